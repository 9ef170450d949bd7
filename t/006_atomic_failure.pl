# A failed atomic data write, forced with wtsmgr.inject_atomic_failure
# (superuser only, off by default), where atomic writes are proven:
#  - while full_page_writes is off wtsmgr decision: ERROR, the page is not
#    written at all (no write-through or pass-through write is counted);
#  - ENOSPC: md.c's own message (not "atomically"), no non-atomic write;
#  - EIO: PANIC, as for a failed fsync (data_sync_retry is off);
#  - after full_page_writes was turned on by reload in the middle of a
#    checkpoint cycle: still an ERROR (the pages changed earlier in the
#    cycle have no image in WAL), and no hint to turn full_page_writes on;
#  - unlogged relations need no atomicity: written without it, no error;
#  - the full_page_writes check hook does no I/O;
#  - wtsmgr forced full_page_writes on at startup (a tablespace without
#    atomic writes), the last checkpoint had it on: the page is written
#    without atomicity rather than fail;
#  - a tablespace without atomic writes is written as stock PostgreSQL
#    does, with no failed atomic call per page.
# Needs atomic writes proven on PGDATA (our kernel in the guest); skipped
# otherwise.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use WtsmgrTest;

my $node = wtsmgr_node('failure', qq(
wtsmgr.mode = atomic
autovacuum = off
restart_after_crash = off
data_sync_retry = off
));
my $status = skip_unless_atomic($node);

$node->safe_psql('postgres', q(
CREATE EXTENSION pg_buffercache;
CREATE TABLE t (i int, v text);
INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 2000) g;
CREATE UNLOGGED TABLE u (i int, v text);
INSERT INTO u SELECT g, repeat('y', 200) FROM generate_series(1, 2000) g;
CHECKPOINT;
));

# evict(TABLE, INJECT): dirty TABLE's pages, then write them out from one
# session with wtsmgr.inject_atomic_failure = INJECT.  Returns psql's exit
# status, stdout, stderr and that backend type's counters.
sub evict
{
	my ($table, $inject) = @_;
	$node->safe_psql('postgres', "UPDATE $table SET i = i + 1");
	$node->safe_psql('postgres', 'SELECT wtsmgr_stats_reset()');
	my ($ret, $out, $err) = $node->psql('postgres', qq(
SET wtsmgr.inject_atomic_failure = '$inject';
SELECT buffers_flushed > 0 FROM pg_buffercache_evict_relation('$table');
));
	# (after a PANIC there is no server to ask)
	my $stats = eval { wtsmgr_stats($node, 'client backend') };
	return ($ret, $out, $err, $stats);
}

sub non_atomic_writes
{
	my ($s) = @_;
	return $s->{writethrough_writes} + $s->{passthrough_writes};
}

# Only superusers may inject
$node->safe_psql('postgres', 'CREATE ROLE plain LOGIN');
my ($ret, $out, $err) = $node->psql('postgres',
	"SET ROLE plain; SET wtsmgr.inject_atomic_failure = 'eio'");
like($err, qr/permission denied to set parameter/,
	'only superusers may inject failures');
is($node->safe_psql('postgres', 'SHOW wtsmgr.inject_atomic_failure'),
	'off', 'no failure is injected by default');

# 1. full_page_writes off: ERROR, nothing written
is($node->safe_psql('postgres', 'SHOW full_page_writes'),
	'off', 'full_page_writes is off');
my $s;
($ret, $out, $err, $s) = evict('t', 'unsupported');
isnt($ret, 0, 'fpw off: the eviction fails');
like($err, qr/ERROR:  could not write block \d+ of file ".*" atomically/,
	'fpw off: the error says why');
cmp_ok($s->{atomic_failures}, '>', 0, 'fpw off: the failure is counted');
is(non_atomic_writes($s), 0, 'fpw off: no page was written without atomicity');

# 2. ENOSPC: md.c's message and hint, nothing written
($ret, $out, $err, $s) = evict('t', 'enospc');
isnt($ret, 0, 'ENOSPC: the eviction fails');
like($err, qr/could not write blocks? [\d.]+ in file ".*": No space left on device/,
	"ENOSPC: md.c's own message");
unlike($err, qr/atomically/, 'ENOSPC: not reported as an atomic write failure');
is(non_atomic_writes($s), 0, 'ENOSPC: no page was written without atomicity');

# 3. unlogged relation: no atomicity needed, written, no error
($ret, $out, $err, $s) = evict('u', 'unsupported');
is($ret, 0, 'unlogged: the eviction succeeds') or diag($err);
is($out, 't', 'unlogged: buffers were written');
cmp_ok(non_atomic_writes($s), '>', 0, 'unlogged: written without atomicity');

# The full_page_writes check hook does no I/O (it runs in every process
# at each reload and in every parallel worker): a tablespace created since
# startup was probed once, by CREATE TABLESPACE.  Here an in-place one
# (PGDATA's file system) whose directory is not writable any more must
# not keep full_page_writes from being turned off.
$node->safe_psql('postgres',
	"SET allow_in_place_tablespaces = on; CREATE TABLESPACE inplace LOCATION ''");
my $tsdir = $node->data_dir . '/pg_tblspc/'
  . $node->safe_psql('postgres',
	"SELECT oid FROM pg_tablespace WHERE spcname = 'inplace'");
$node->safe_psql('postgres',
	'ALTER SYSTEM SET full_page_writes = on; SELECT pg_reload_conf()');
$node->poll_query_until('postgres', 'SHOW full_page_writes', 'on')
  or die 'full_page_writes was not turned on';
chmod 0500, $tsdir or die "chmod $tsdir: $!";
($ret, $out, $err) =
  $node->psql('postgres', 'ALTER SYSTEM SET full_page_writes = off');
is($ret, 0, 'check hook: no probe in the tablespace when turning full_page_writes off')
  or diag($err);
chmod 0700, $tsdir or die "chmod $tsdir: $!";
$node->safe_psql('postgres',
	'ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf()');
$node->poll_query_until('postgres', 'SHOW full_page_writes', 'off')
  or die 'full_page_writes was not turned off';
$node->safe_psql('postgres', 'ALTER SYSTEM RESET full_page_writes');
$node->safe_psql('postgres', 'DROP TABLESPACE inplace');

# 4. EIO: PANIC
my $offset = -s $node->logfile;
($ret, $out, $err, $s) = evict('t', 'eio');
isnt($ret, 0, 'EIO: the eviction fails');
ok( $node->wait_for_log(qr/PANIC:  could not write block \d+ of file ".*" atomically: Input\/output error/,
		$offset),
	'EIO: PANIC, as for a failed fsync');
# restart_after_crash is off: wait for the postmaster to go, then start
foreach (1 .. 600)
{
	last unless -f $node->data_dir . '/postmaster.pid';
	usleep(100_000);
}
$node->_update_pid(0);
$node->start;
is($node->safe_psql('postgres', 'SELECT count(*) FROM t'),
	'2000', 'EIO: recovered after the PANIC');

# 5. full_page_writes on by reload in the middle of a cycle: still ERROR
$node->safe_psql('postgres', q(
UPDATE t SET i = i + 1;
ALTER SYSTEM SET full_page_writes = on;
SELECT pg_reload_conf();
));
$node->poll_query_until('postgres', 'SHOW full_page_writes', 'on')
  or die 'full_page_writes was not turned on';
($ret, $out, $err, $s) = evict('t', 'unsupported');
isnt($ret, 0, 'fpw on by reload: the eviction fails');
like($err, qr/ERROR:  could not write block \d+ of file ".*" atomically/,
	'fpw on by reload: the error says why');
unlike($err, qr/turn full_page_writes on/i,
	'fpw on by reload: no hint to turn full_page_writes on');
is(non_atomic_writes($s), 0,
	'fpw on by reload: no page was written without atomicity');

# Removed from the configuration again, full_page_writes returns to
# wtsmgr's decision (off), not to PostgreSQL's built-in default (on)
$node->safe_psql('postgres',
	'ALTER SYSTEM RESET full_page_writes; SELECT pg_reload_conf()');
ok($node->poll_query_until('postgres', 'SHOW full_page_writes', 'off'),
	"removed from the configuration, full_page_writes is wtsmgr's off again");

# 6. wtsmgr forced full_page_writes on at startup: the fallback is allowed
SKIP:
{
	my $dir = $ENV{WTSMGR_TEST_NOATOMIC_DIR};
	skip 'WTSMGR_TEST_NOATOMIC_DIR is not set', 7 unless defined $dir;
	my $loc = "$dir/006_ts";
	mkdir $loc or die "mkdir $loc: $!";
	$node->safe_psql('postgres',
		'ALTER SYSTEM SET full_page_writes = on; SELECT pg_reload_conf()');
	$node->poll_query_until('postgres', 'SHOW full_page_writes', 'on')
	  or die 'full_page_writes was not turned on';
	$node->safe_psql('postgres', "CREATE TABLESPACE noatomic LOCATION '$loc'");
	$node->safe_psql('postgres', q(
CREATE TABLE tn (i int, v text) TABLESPACE noatomic;
INSERT INTO tn SELECT g, repeat('z', 200) FROM generate_series(1, 2000) g;
ALTER SYSTEM RESET full_page_writes;
));
	$node->restart;
	$status = wtsmgr_status($node);
	is($node->safe_psql('postgres', 'SHOW full_page_writes'),
		'on', 'forced: wtsmgr forced full_page_writes on');
	($ret, $out, $err, $s) = evict('t', 'unsupported');
	is($ret, 0, 'forced: the eviction succeeds') or diag($err);
	cmp_ok($s->{atomic_failures}, '>', 0, 'forced: the failure is counted');
	cmp_ok(non_atomic_writes($s), '>', 0,
		'forced: pages written without atomicity');

	# A location without atomic writes is written as stock PostgreSQL
	# does: no failed atomic call per page
	($ret, $out, $err, $s) = evict('tn', 'off');
	is($ret, 0, 'no atomic writes there: the eviction succeeds') or diag($err);
	is($s->{atomic_failures}, 0, 'no atomic writes there: none is tried');
	cmp_ok($s->{passthrough_writes}, '>', 0,
		'no atomic writes there: written as PostgreSQL does');
	$node->safe_psql('postgres', 'DROP TABLE tn; DROP TABLESPACE noatomic');
}

$node->stop;
done_testing();
