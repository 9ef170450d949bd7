# On a kernel without buffered write-through (RWF_WRITETHROUGH), such as a
# stock kernel: the server starts, data writes pass through and are
# counted, full_page_writes stays on, one LOG line says why, and
# full_page_writes cannot be turned off.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('fallback');
$node->init;
$node->append_conf(
	'postgresql.conf', qq(
shared_preload_libraries = 'wtsmgr'
wtsmgr.mode = atomic
shared_buffers = 1MB
));
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION wtsmgr');

if ($node->safe_psql('postgres',
		'SELECT kernel_writethrough FROM wtsmgr_status') eq 't')
{
	$node->stop;
	plan skip_all =>
	  'this kernel has RWF_WRITETHROUGH; the fallback path needs a kernel without it';
}

is($node->safe_psql('postgres', 'SELECT effective_mode FROM wtsmgr_status'),
	'off', 'data writes pass through');
is($node->safe_psql('postgres', 'SHOW full_page_writes'),
	'on', 'full_page_writes stays on');
like(
	$node->safe_psql(
		'postgres', 'SELECT full_page_writes_reason FROM wtsmgr_status'),
	qr/no buffered write-through/,
	'status gives the reason');

my $log = slurp_file($node->logfile);
my @why = ($log =~ /LOG:  wtsmgr: the kernel has no buffered write-through/g);
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
	my $row = $node->safe_psql(
		'postgres', qq(
		SELECT passthrough_writes, passthrough_bytes,
		       atomic_writes + writethrough_writes, atomic_failures
		  FROM wtsmgr_stats WHERE backend_type = '$type'));
	my ($writes, $bytes, $other, $failures) = split /\|/, $row // '';
	cmp_ok($writes // 0, '>', 0, "$type: writes passed through");
	ok(defined $bytes && $bytes >= 8192 * $writes && $bytes % 8192 == 0,
		"$type: whole pages passed through");
	is($other, 0, "$type: nothing written atomically or write-through");
	is($failures, 0, "$type: no atomic failures");
}
diag(
	'bgwriter: ',
	$node->safe_psql(
		'postgres',
		"SELECT passthrough_writes FROM wtsmgr_stats WHERE backend_type = 'background writer'"
	));

# WAL segments were created, by write-zeroes or by the fallback; the
# fallback is logged once
$node->safe_psql('postgres',
	'CREATE TABLE w AS SELECT g, repeat(\'x\', 400) FROM generate_series(1, 100000) g'
);
my ($zeroes, $fallback) = split /\|/,
  $node->safe_psql('postgres',
	'SELECT sum(wal_segments_write_zeroes), sum(wal_segments_fallback) FROM wtsmgr_stats'
  );
cmp_ok($zeroes + $fallback, '>', 0, 'WAL segments counted');
$log = slurp_file($node->logfile);
my @fb = ($log =~ /FALLOC_FL_WRITE_ZEROES is not supported for WAL/g);
is(scalar @fb, $fallback > 0 ? 1 : 0, 'WAL fallback logged once');

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
		qr/WARNING:  wtsmgr: full_page_writes is forced on/, $offset),
	'with a warning');

$node->stop;
done_testing();
