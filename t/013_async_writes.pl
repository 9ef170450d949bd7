# Asynchronous atomic data writes (src/async_writes.c), where atomic
# writes are proven (our kernel in the guest; skipped elsewhere):
#  - the startup probe finds the kernel copying io_uring writes with
#    RWF_NOWAIT when they are submitted, and wtsmgr_status says so;
#  - a CHECKPOINT of many dirty pages: the checkpointer submits them
#    asynchronously, never more than wtsmgr.max_inflight_writes in flight
#    and more than one at a time, nothing left in flight afterwards, and
#    every page reads back;
#  - visibility: with every process writing asynchronously into a buffer
#    pool of 16 pages, concurrent increments of a counter per page are
#    never lost (a page written and read back before its data reached the
#    page cache would lose them).  The same run with
#    wtsmgr.inject_async_fault = late_copy, which hands each page to the
#    kernel only at the process's next data write, must lose some: the
#    check can fail;
#  - nothing stays in flight: not in an idle session (its files are
#    closed at transaction end, or it drains before it waits for its
#    client), not in the background writer between rounds, which keeps
#    its files open and drains only before it sleeps (checked failing
#    with that drain removed);
#  - a write that fails after its submission is a PANIC, like a failed
#    fsync, before the checkpoint that wrote it completes, and crash
#    recovery brings every committed change back.  (Which layer reaps it
#    first is not pinned down: with the drains before fsync, close and
#    unlink all removed this still passes, the next submission reaping
#    the completion of the one before);
#  - data_sync_retry = on and wtsmgr.async_writes = off keep writes
#    synchronous, and the status says why.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use WtsmgrTest;

my $node = wtsmgr_node('async', qq(
fsync = on
wtsmgr.mode = atomic
wtsmgr.max_inflight_writes = 8
autovacuum = off
checkpoint_timeout = 1h
max_wal_size = 1GB
checkpoint_flush_after = 0
restart_after_crash = off
data_sync_retry = off
));
my $status = skip_unless_atomic($node);
show_status($node, 'async');

is($status->{async_writes}, 'background', 'async_writes defaults to background');
is($status->{max_inflight_writes}, 8, 'max_inflight_writes as set');
is($status->{async_proven}, 't',
	"asynchronous writes proven ($status->{async_reason})");

# --- a checkpoint of many dirty pages -----------------------------------
$node->safe_psql('postgres', q(
CREATE EXTENSION pg_buffercache;
CREATE TABLE big (i int, v text) WITH (fillfactor = 50);
INSERT INTO big SELECT g, repeat('a', 300) FROM generate_series(1, 20000) g;
CHECKPOINT;
UPDATE big SET v = repeat('b', 300);
SELECT wtsmgr_stats_reset();
));
my $dirty = $node->safe_psql('postgres',
	"SELECT count(*) FROM pg_buffercache WHERE isdirty");
$node->safe_psql('postgres', 'CHECKPOINT');
my $cp = wtsmgr_stats($node, 'checkpointer');
note("checkpointer after a checkpoint of $dirty dirty buffers: "
	  . join(', ', map { "$_=$cp->{$_}" } sort grep { /atomic_writes|async/ } keys %$cp));
cmp_ok($cp->{async_writes}, '>=', $dirty * 0.9,
	"the checkpointer submitted its $dirty pages asynchronously");
cmp_ok($cp->{async_writes}, '<=', $cp->{atomic_writes},
	'asynchronous writes are counted among atomic writes');
cmp_ok($cp->{async_inflight_peak}, '>', 1, 'more than one write in flight at once');
cmp_ok($cp->{async_inflight_peak}, '<=', 8,
	'never more than wtsmgr.max_inflight_writes in flight');
is($cp->{async_inflight}, 0, 'nothing in flight after the checkpoint');
is($node->safe_psql('postgres', q(
SELECT pg_buffercache_evict_relation('big'::regclass) IS NOT NULL;
SELECT count(*) FILTER (WHERE v = repeat('b', 300)) || '/' || count(*) FROM big)),
	"t\n20000/20000", 'every page reads back new after eviction');

# --- visibility: read back right after being written ---------------------
# counter(NODE, OPTIONS): 4 clients x 400 increments of random rows of a
# table with one row per page, through 16 shared buffers, with every
# process writing asynchronously.  Returns the sum of the counters and
# the number of committed increments.
$node->append_conf('postgresql.conf', "wtsmgr.async_writes = all\n");
$node->append_conf('postgresql.conf',
	"shared_buffers = 128kB\nbgwriter_lru_maxpages = 0\n");
$node->restart;
$node->safe_psql('postgres', q(
CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL DEFAULT 0,
  pad text NOT NULL DEFAULT repeat('x', 1000)) WITH (fillfactor = 10);
INSERT INTO counter (id) SELECT g FROM generate_series(1, 300) g;
CHECKPOINT;
));
my $script = $node->basedir . '/increment.sql';
PostgreSQL::Test::Utils::append_to_file($script,
	"\\set id random(1, 300)\nUPDATE counter SET n = n + 1 WHERE id = :id;\n");

sub counter_run
{
	my ($fault) = @_;
	my ($stdout, $stderr);

	$node->safe_psql('postgres', 'UPDATE counter SET n = 0; CHECKPOINT');
	local $ENV{PGOPTIONS} = "-c wtsmgr.inject_async_fault=$fault";
	IPC::Run::run(
		[
			'pgbench', '-n', '-c', '4', '-t', '400', '-f', $script,
			$node->connstr('postgres')
		],
		'>', \$stdout, '2>', \$stderr);
	my ($done) = $stdout =~ /number of transactions actually processed: (\d+)/;
	my ($ret, $sum, $err) = $node->psql('postgres', 'SELECT sum(n) FROM counter');
	return ($ret == 0 ? $sum : "($err)", $done // 0, $stderr // '');
}

my $before = wtsmgr_stats($node, 'client backend');
my ($sum, $done) = counter_run('off');
my $after = wtsmgr_stats($node, 'client backend');
note("client backends in the run: "
	  . join(', ', map { "$_=$after->{$_}" } sort grep { /atomic_writes|async/ } keys %$after));
note("asynchronous writes of client backends in the run: "
	  . ($after->{async_writes} - $before->{async_writes})
	  . ", refused inline: "
	  . ($after->{async_refused} - $before->{async_refused}));
is($done, 1600, 'pgbench committed every increment');
is($sum, $done, 'no increment lost with asynchronous writes in every process');
cmp_ok($after->{async_writes} - $before->{async_writes}, '>', 50,
	'client backends wrote their victims asynchronously');

# A copy made after the write returned loses an increment only when
# another backend reads the page in between: try a few times.
my ($bad_sum, $bad_done, $bad_err);
foreach my $try (1 .. 5)
{
	($bad_sum, $bad_done, $bad_err) = counter_run('late_copy');
	note("late_copy, run $try: sum $bad_sum of $bad_done increments; pgbench: "
		  . ((split /\n/, $bad_err)[0] // ''));
	last if $bad_sum ne $bad_done || $bad_err =~ /ERROR|FATAL/;
}
ok($bad_sum ne $bad_done || $bad_err =~ /ERROR|FATAL/,
	"late_copy loses increments or fails (sum $bad_sum of $bad_done): the check sees a copy made after return");
# repair what the broken run did: replay it away from its last checkpoint;
# from here on, a buffer pool that holds the table
$node->stop('immediate');
$node->append_conf('postgresql.conf',
	"shared_buffers = 4MB\nbgwriter_lru_maxpages = 100\n");
$node->start;

# --- nothing in flight in an idle session -------------------------------
# The eviction runs in a read-only transaction of its own, so that no
# commit (whose WAL flush reaps what has completed) comes after it.
my $session = $node->background_psql('postgres');
$session->query_safe('UPDATE counter SET n = n + 1');
my $b = wtsmgr_stats($node, 'client backend');
$session->query_safe(q(
SELECT count(*) FROM (SELECT pg_buffercache_evict(bufferid)
  FROM pg_buffercache WHERE isdirty) e));
my $a = wtsmgr_stats($node, 'client backend');
note("the idle session's eviction: "
	  . join(', ', map { "$_=" . ($a->{$_} - $b->{$_}) } qw(atomic_writes async_writes async_refused)));
cmp_ok($a->{async_writes} - $b->{async_writes}, '>', 0,
	'the session wrote pages asynchronously');
ok( $node->poll_query_until('postgres',
		"SELECT sum(async_inflight) = 0 FROM wtsmgr_stats WHERE backend_type = 'client backend'"),
	'an idle session has no write in flight');
$session->quit;

# The background writer keeps its files open: only its sleep between
# rounds (a WaitLatch) completes what it left in flight.
$b = wtsmgr_stats($node, 'background writer');
$node->safe_psql('postgres', "UPDATE big SET v = repeat('e', 300)");
$node->safe_psql('postgres', 'SELECT pg_sleep(1)');
$a = wtsmgr_stats($node, 'background writer');
note("the background writer during an UPDATE of big: "
	  . join(', ', map { "$_=" . ($a->{$_} - $b->{$_}) } qw(atomic_writes async_writes async_refused)));
cmp_ok($a->{async_writes} - $b->{async_writes}, '>', 0,
	'the background writer wrote pages asynchronously');
my $idle = 0;
foreach (1 .. 100)
{
	$idle = $node->safe_psql('postgres',
		"SELECT coalesce(sum(async_inflight), 0) FROM wtsmgr_stats WHERE backend_type = 'background writer'") eq '0';
	last if $idle;
	usleep(100_000);
}
ok($idle, 'the background writer has no write in flight while it sleeps');

# --- a write that fails after its submission ------------------------------
# Only the checkpointer writes here: a background writer armed with the
# fault as well would fail first, on whatever it cleans right after the
# reload (seen: its PANIC before the CHECKPOINT was even sent, which then
# "failed" only because the server was gone).  Every page of counter is
# dirty, so that the checkpointer certainly submits some asynchronously
# (the first write to a file per clock tick is refused inline).
$node->append_conf('postgresql.conf',
	"wtsmgr.async_writes = background\nbgwriter_lru_maxpages = 0\n");
$node->reload;
$node->safe_psql('postgres', 'CHECKPOINT');
my $expect = $node->safe_psql('postgres', 'SELECT sum(n) + count(*) FROM counter');
# the log from before the fault is armed: whatever it leads to is after
my $log_offset = -s $node->logfile;
$node->safe_psql('postgres', q(
UPDATE counter SET n = n + 1;
ALTER SYSTEM SET wtsmgr.inject_async_fault = eio;
SELECT pg_reload_conf();
));
my ($ret, $out, $err) = $node->psql('postgres', 'CHECKPOINT');
isnt($ret, 0, 'CHECKPOINT fails when an asynchronous write fails');
ok( $node->wait_for_log(
		qr/PANIC:  could not write block \d+ of file "[^"]+" atomically: Input\/output error/,
		$log_offset),
	'the failed asynchronous write is a PANIC');
ok( $node->wait_for_log(
		qr/checkpointer process \(PID \d+\) was terminated by signal 6/,
		$log_offset),
	"and it is the checkpointer's");
my $log = slurp_file($node->logfile, $log_offset);
like($log, qr/statement: CHECKPOINT\n(?s:.*)PANIC:  could not write block/,
	'after the CHECKPOINT was sent');
like($log, qr/The write was asynchronous and failed after it had been submitted/,
	'the PANIC says the write was asynchronous');
# The checkpointer completes its writes before it fsyncs their files: the
# failure must stop the checkpoint, not come after it.
unlike($log, qr/checkpoint complete/,
	'no checkpoint completed over the failed write');
# restart_after_crash is off: wait for the postmaster to go
foreach (1 .. 600)
{
	last unless -f $node->data_dir . '/postmaster.pid';
	usleep(100_000);
}
$node->_update_pid(0);
# the fault is gone after the "repair"; start with crash recovery
my $auto = $node->data_dir . '/postgresql.auto.conf';
my $conf = slurp_file($auto);
$conf =~ s/^wtsmgr\.inject_async_fault.*$//m;
open(my $fh, '>', $auto) or die $!;
print $fh $conf;
close($fh);
$node->start;
is($node->safe_psql('postgres', 'SELECT sum(n) FROM counter'),
	$expect, 'crash recovery brings back every committed increment');
$node->safe_psql('postgres', 'CHECKPOINT');
is($node->safe_psql('postgres', q(
SELECT pg_buffercache_evict_relation('counter'::regclass) IS NOT NULL;
SELECT sum(n) FROM counter)), "t\n$expect", 'and the pages read back after a checkpoint');

# --- where writes stay synchronous ---------------------------------------
# checkpoint_is_synchronous(CONF, LABEL): restart with CONF appended, then
# a checkpoint of big's pages must be all atomic, none asynchronous.
sub checkpoint_is_synchronous
{
	my ($conf, $label) = @_;

	$node->append_conf('postgresql.conf', $conf);
	$node->restart;
	$node->safe_psql('postgres', q(
SELECT wtsmgr_stats_reset();
UPDATE big SET v = repeat('c', 300);
CHECKPOINT;
));
	my $cp = wtsmgr_stats($node, 'checkpointer');
	cmp_ok($cp->{atomic_writes}, '>', 0, "$label: the checkpointer writes atomically");
	is($cp->{async_writes}, 0, "$label: and synchronously");
	return wtsmgr_status($node);
}

$status = checkpoint_is_synchronous("data_sync_retry = on\n", 'data_sync_retry = on');
is($status->{async_proven}, 'f', 'data_sync_retry = on: not asynchronous');
like($status->{async_reason}, qr/data_sync_retry/, 'and the status says why');
$status = checkpoint_is_synchronous("data_sync_retry = off\nwtsmgr.async_writes = off\n",
	'wtsmgr.async_writes = off');
is($status->{async_writes}, 'off', 'wtsmgr.async_writes = off in the status');

$node->stop;
done_testing();
