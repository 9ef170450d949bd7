# Under pgbench, the data writes of client backends, the background writer
# and the checkpointer all go through wtsmgr's write path, the way its
# status says they should (atomic, write-through or passed through).  An
# immediate shutdown in the middle of pgbench then recovers, with
# full_page_writes as wtsmgr decided (off where atomic writes are proven),
# and neither the balances, nor pg_amcheck, nor pg_checksums on the
# stopped cluster find anything wrong.  Where atomic writes are not
# proven, the restart needs wtsmgr.allow_unproven_start.  Runs on every
# kernel.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WtsmgrTest;

# A small buffer pool, so that backends must write out victims, and an
# eager background writer.
my $node = wtsmgr_node('pgbench', qq(
wtsmgr.mode = atomic
shared_buffers = 1MB
fsync = on
bgwriter_delay = 10ms
bgwriter_lru_maxpages = 1000
bgwriter_lru_multiplier = 10.0
));
show_status($node, 'pgbench');
my $status = wtsmgr_status($node);
my $fpw = $node->safe_psql('postgres', 'SHOW full_page_writes');
is($fpw, $status->{atomic_proven} eq 't' ? 'off' : 'on',
	'full_page_writes is off exactly when atomic writes are proven');
is($node->safe_psql('postgres', 'SHOW data_checksums'),
	'on', 'data checksums are on (initdb --data-checksums)');

$node->command_ok([ 'pgbench', '--initialize', '--scale' => '1', '--quiet', 'postgres' ],
	'pgbench --initialize');
$node->safe_psql('postgres', 'CHECKPOINT');
$node->safe_psql('postgres', 'SELECT wtsmgr_stats_reset()');

# pgbench runs until the server goes away
my ($out, $err) = ('', '');
my $pgbench;
{
	local $ENV{PGAPPNAME} = 'wtsmgr_pgbench';
	$pgbench = IPC::Run::start(
		[
			'pgbench', '--no-vacuum',
			'--client' => '2', '--jobs' => '1',
			'--time' => '3600', '--port' => $node->port,
			'--host' => $node->host, 'postgres'
		],
		'>' => \$out,
		'2>' => \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
}

# Wait until each of the three has written data pages, with a checkpoint
# now and then for the checkpointer.
my @types = ('client backend', 'background writer', 'checkpointer');
my $all_wrote = qq(
	SELECT count(*) = 3 FROM wtsmgr_stats
	 WHERE backend_type IN ('client backend', 'background writer', 'checkpointer')
	   AND atomic_writes + writethrough_writes + passthrough_writes > 0);
$node->poll_query_until('postgres',
	"SELECT count(*) >= 200 FROM pgbench_history")
  or diag('pgbench made little progress');
$node->safe_psql('postgres', 'CHECKPOINT');
ok($node->poll_query_until('postgres', $all_wrote),
	'backends, the background writer and the checkpointer wrote data pages')
  or diag($node->safe_psql('postgres', 'SELECT * FROM wtsmgr_stats'));

# Which counter each write must land in, from the status
my ($counter, $how);
if ($status->{effective_mode} eq 'atomic' && $status->{atomic_proven} eq 't')
{
	($counter, $how) = ('atomic', 'atomically');
}
elsif ($status->{effective_mode} eq 'off')
{
	($counter, $how) = ('passthrough', 'passed through');
}
else
{
	($counter, $how) = ('writethrough', 'write-through');
}
note("effective mode $status->{effective_mode}: data pages go out $how");
foreach my $type (@types)
{
	my $s = wtsmgr_stats($node, $type);
	my $writes = $s->{"${counter}_writes"};
	my $bytes = $s->{"${counter}_bytes"};
	note("$type: "
		  . join(', ', map { "$_=$s->{$_}" } grep { /_writes$|_failures$/ } sort keys %$s));
	cmp_ok($writes, '>', 0, "$type: data pages written $how");
	ok($bytes >= 8192 * $writes && $bytes % 8192 == 0,
		"$type: whole pages");
	if ($counter eq 'atomic')
	{
		is($s->{writethrough_writes} + $s->{passthrough_writes},
			0, "$type: nothing written without atomicity");
		is($s->{atomic_failures}, 0, "$type: no atomic write failed");
	}
	elsif ($counter eq 'passthrough')
	{
		is($s->{atomic_writes} + $s->{writethrough_writes},
			0, "$type: nothing written atomically or write-through");
	}
}

# Immediate shutdown in the middle of pgbench
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'wtsmgr_pgbench'"
	),
	'2',
	'pgbench is running')
  or diag(
	$node->safe_psql(
		'postgres',
		'SELECT pid, application_name, backend_type, state, query FROM pg_stat_activity'
	),
	"\npgbench: $out$err");
$node->stop('immediate');
# pgbench ends by itself when its connections are gone
eval { $pgbench->finish; };
$pgbench->kill_kill if $@;
note("pgbench after the shutdown: $out$err");

my $offset = -s $node->logfile;
if ($status->{atomic_proven} ne 't')
{
	# Where atomic writes are not proven, wtsmgr refuses to replay WAL
	# after a crash unless told to accept the risk (t/007_unproven_start.pl)
	ok(!$node->start(fail_ok => 1),
		'not proven: recovery is refused without wtsmgr.allow_unproven_start');
	$node->append_conf('postgresql.conf', 'wtsmgr.allow_unproven_start = on');
}
$node->start;
ok( $node->wait_for_log(qr/database system was interrupted|database system was not properly shut down/, $offset),
	'the server recovered from the crash');
like(substr(slurp_file($node->logfile), $offset), qr/redo done at/,
	'WAL was replayed');
is($node->safe_psql('postgres', 'SHOW full_page_writes'),
	$fpw, "full_page_writes is $fpw after recovery too");

# Every committed transaction moved the same amount in each table
is( $node->safe_psql(
		'postgres', q(
		SELECT (SELECT sum(abalance) FROM pgbench_accounts) =
		         (SELECT coalesce(sum(delta), 0) FROM pgbench_history)
		   AND (SELECT sum(tbalance) FROM pgbench_tellers) =
		         (SELECT coalesce(sum(delta), 0) FROM pgbench_history)
		   AND (SELECT sum(bbalance) FROM pgbench_branches) =
		         (SELECT coalesce(sum(delta), 0) FROM pgbench_history))),
	't',
	'the balances agree with the history');
cmp_ok($node->safe_psql('postgres', 'SELECT count(*) FROM pgbench_history'),
	'>=', 200, 'the transactions before the crash are there');

# pg_amcheck: heap and every B-tree, with the index entries
$node->command_ok(
	[
		'pg_amcheck', '--install-missing', '--heapallindexed',
		'--rootdescend', '--progress', 'postgres'
	],
	'pg_amcheck finds no corruption');

# pg_checksums on the stopped cluster
$node->stop;
$node->command_like(
	[ 'pg_checksums', '--check', '--pgdata' => $node->data_dir ],
	qr/Bad checksums:\s+0\b/,
	'pg_checksums finds no bad checksum');

done_testing();
