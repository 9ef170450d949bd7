# On a kernel without buffered write-through (RWF_WRITETHROUGH), such as a
# stock kernel: the server starts, data writes pass through and are
# counted, full_page_writes stays on, one LOG line says why, and
# full_page_writes cannot be turned off.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WtsmgrTest;

my $node = wtsmgr_node('fallback', qq(
wtsmgr.mode = atomic
shared_buffers = 1MB
));
show_status($node, 'fallback');
my $status = wtsmgr_status($node);

if ($status->{kernel_writethrough} eq 't')
{
	$node->stop;
	plan skip_all =>
	  'this kernel has RWF_WRITETHROUGH; the fallback path needs a kernel without it';
}

is($status->{effective_mode}, 'off', 'data writes pass through');
is($node->safe_psql('postgres', 'SHOW full_page_writes'),
	'on', 'full_page_writes stays on');
like($status->{full_page_writes_reason},
	qr/no buffered write-through/, 'status gives the reason');

my $log = slurp_file($node->logfile);
my @why = ($log =~ /LOG:  the kernel has no buffered write-through/g);
is(scalar @why, 1, 'one LOG line says why');
unlike($log, qr/WARNING:  wtsmgr/, 'no wtsmgr warning on the fallback path');

# pgbench: backends (1 MB of shared buffers) and the checkpointer write
$node->command_ok([ 'pgbench', '-i', '-s', '2', '-q', 'postgres' ],
	'pgbench -i');
$node->safe_psql('postgres', 'SELECT wtsmgr_stats_reset()');
$node->command_ok(
	[ 'pgbench', '-c', '2', '-t', '400', '-n', 'postgres' ],
	'pgbench run');
$node->safe_psql('postgres', 'CHECKPOINT');

foreach my $type ('client backend', 'checkpointer')
{
	my $s = wtsmgr_stats($node, $type);
	my $writes = $s->{passthrough_writes};
	cmp_ok($writes, '>', 0, "$type: writes passed through");
	ok($s->{passthrough_bytes} >= 8192 * $writes
		  && $s->{passthrough_bytes} % 8192 == 0,
		"$type: whole pages passed through");
	is($s->{atomic_writes} + $s->{writethrough_writes},
		0, "$type: nothing written atomically or write-through");
	is($s->{atomic_failures}, 0, "$type: no atomic failures");
}

# full_page_writes = off by reload is refused
my $offset = -s $node->logfile;
$node->append_conf('postgresql.conf', 'full_page_writes = off');
$node->reload;
ok( $node->wait_for_log(
		qr/full_page_writes cannot be turned off: wtsmgr has not proven atomic writes/,
		$offset),
	'reload: the refusal is logged');
is($node->safe_psql('postgres', 'SHOW full_page_writes'),
	'on', 'reload cannot turn full_page_writes off');

# ... and at startup it is forced back on, with a warning
$offset = -s $node->logfile;
$node->restart;
is($node->safe_psql('postgres', 'SHOW full_page_writes'),
	'on', 'full_page_writes = off in the configuration is overridden');
ok( $node->wait_for_log(
		qr/WARNING:  full_page_writes is forced on/, $offset),
	'with a warning');

$node->stop;
done_testing();
