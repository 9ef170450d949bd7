# On a kernel with buffered write-through and atomic writes (ours, in the
# guest): full_page_writes is off after an auto start when PGDATA passes
# the probe, data writes go out atomically, CREATE TABLESPACE on a
# location without atomic writes is refused.  Skipped elsewhere.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('atomic');
$node->init;
$node->append_conf(
	'postgresql.conf', qq(
shared_preload_libraries = 'wtsmgr'
wtsmgr.mode = atomic
wtsmgr.full_page_writes = auto
shared_buffers = 1MB
));
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION wtsmgr');

my ($kernel, $probe_ok, $reason) = split /\|/,
  $node->safe_psql(
	'postgres', q(
	SELECT s.kernel_writethrough, l.probe_ok, l.reason
	  FROM wtsmgr_status s, wtsmgr_locations l
	 WHERE l.tablespace = 'pg_default'));
if ($kernel ne 't')
{
	$node->stop;
	plan skip_all => 'this kernel has no RWF_WRITETHROUGH';
}
if ($probe_ok ne 't')
{
	$node->stop;
	plan skip_all =>
	  "PGDATA has no atomic writes here ($reason); set TESTDATADIR to a file system on an atomic device";
}

is($node->safe_psql('postgres', 'SHOW full_page_writes'),
	'off', 'full_page_writes is off after an auto start');
is($node->safe_psql('postgres', 'SELECT atomic_proven FROM wtsmgr_status'),
	't', 'atomic writes proven');

$node->command_ok([ 'pgbench', '-i', '-s', '2', '-q', 'postgres' ],
	'pgbench -i');
$node->safe_psql('postgres', 'SELECT wtsmgr_stats_reset()');
$node->command_ok([ 'pgbench', '-c', '2', '-t', '400', '-n', 'postgres' ],
	'pgbench run');
$node->safe_psql('postgres', 'CHECKPOINT');
foreach my $type ('client backend', 'checkpointer')
{
	my ($atomic, $failures) = split /\|/,
	  $node->safe_psql('postgres',
		"SELECT atomic_writes, atomic_failures FROM wtsmgr_stats WHERE backend_type = '$type'"
	  );
	cmp_ok($atomic // 0, '>', 0, "$type: atomic writes");
	is($failures, 0, "$type: no atomic failures");
}

# a location that fails the probe: the first candidate that does
my $bad;
foreach my $dir ('/dev/shm', '/run', '/tmp')
{
	next unless -d $dir && -w $dir;
	my $ok = $node->safe_psql('postgres',
		"SELECT probe_ok FROM wtsmgr_probe('$dir')");
	if ($ok eq 'f') { $bad = $dir; last; }
}
SKIP:
{
	skip 'no writable location without atomic writes found', 2
	  unless defined $bad;
	my $loc = "$bad/wtsmgr_ts_$$";
	mkdir $loc or die "mkdir $loc: $!";
	my ($ret, $stdout, $stderr) =
	  $node->psql('postgres', "CREATE TABLESPACE bad LOCATION '$loc'");
	isnt($ret, 0, "CREATE TABLESPACE at $loc is refused");
	like($stderr, qr/cannot create tablespace at .* while full_page_writes is off/,
		'with the reason');
	rmdir $loc;
}

$node->stop;
done_testing();
