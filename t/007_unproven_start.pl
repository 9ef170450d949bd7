# Where atomic writes are not proven (here: wtsmgr.mode = writethrough,
# whatever the kernel), wtsmgr refuses to start a server that may replay
# WAL written with full_page_writes off, since a power failure during that
# replay could tear pages that nothing repairs:
#  - after a crash with full_page_writes off (made here without wtsmgr);
#  - with standby.signal or recovery.signal;
#  - after a clean shutdown whose checkpoint had full_page_writes off;
# and starts with wtsmgr.allow_unproven_start = on, with a WARNING, and
# a WARNING again where replay meets the record that turned
# full_page_writes off.
# wtsmgr.full_page_writes = keep with full_page_writes off and atomic
# writes not proven is refused too.  Runs on every kernel.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WtsmgrTest;

my $node = PostgreSQL::Test::Cluster->new('unproven');
$node->init;
$node->append_conf('postgresql.conf', qq(
full_page_writes = off
autovacuum = off
));

# with_wtsmgr(ON): preload wtsmgr (never proven: write-through mode) or not
sub with_wtsmgr
{
	my ($on) = @_;
	$node->adjust_conf('postgresql.conf', 'shared_preload_libraries', undef);
	$node->adjust_conf('postgresql.conf', 'wtsmgr.mode', undef);
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'wtsmgr'\nwtsmgr.mode = 'writethrough'\n")
	  if $on;
}

# refused(LABEL, DETAIL): the server does not start, and says why
sub refused
{
	my ($label, $detail) = @_;
	my $offset = -s $node->logfile;
	ok(!$node->start(fail_ok => 1), "$label: the server refuses to start");
	my $log = substr(slurp_file($node->logfile), $offset);
	like($log, qr/FATAL:  cannot start without proven atomic writes/,
		"$label: the message says why");
	like($log, $detail, "$label: the detail names the cause");
	like($log, qr/HINT:  .*wtsmgr\.allow_unproven_start = on/,
		"$label: the hint names the override");
}

# 1. A crash with full_page_writes off, without wtsmgr
$node->start;
$node->safe_psql('postgres', q(
CREATE TABLE t (i int);
INSERT INTO t SELECT generate_series(1, 1000);
CHECKPOINT;
INSERT INTO t SELECT generate_series(1001, 2000);
));
$node->stop('immediate');

with_wtsmgr(1);
refused('crash with fpw off', qr/not shut down cleanly/);

# ... with the override: starts, with a WARNING, and recovers
$node->append_conf('postgresql.conf', 'wtsmgr.allow_unproven_start = on');
my $offset = -s $node->logfile;
$node->start;
ok( $node->wait_for_log(
		qr/WARNING:  starting without proven atomic writes, as wtsmgr.allow_unproven_start is on/,
		$offset),
	'override: started, with a WARNING');
is($node->safe_psql('postgres', 'SELECT count(*) FROM t'),
	'2000', 'override: recovered');
is($node->safe_psql('postgres', 'SHOW full_page_writes'),
	'on', 'override: full_page_writes is forced on');
$node->stop;
$node->adjust_conf('postgresql.conf', 'wtsmgr.allow_unproven_start', undef);

# 2. A clean shutdown with full_page_writes on: starts
$offset = -s $node->logfile;
$node->start;
unlike(substr(slurp_file($node->logfile), $offset),
	qr/starting without proven atomic writes/,
	'clean shutdown with fpw on: starts without a warning');
$node->stop;

# 3. standby.signal and recovery.signal
foreach my $signal ('standby.signal', 'recovery.signal')
{
	my $file = $node->data_dir . "/$signal";
	open my $fh, '>', $file or die "could not create $file: $!";
	close $fh;
	refused($signal, qr/File "\Q$signal\E" exists/);
	unlink $file or die "could not remove $file: $!";
}

# 4. A clean shutdown whose checkpoint had full_page_writes off
with_wtsmgr(0);
$node->start;
is($node->safe_psql('postgres', 'SHOW full_page_writes'),
	'off', 'without wtsmgr full_page_writes is off');
$node->stop;
with_wtsmgr(1);
refused('clean shutdown with fpw off',
	qr/The last checkpoint was made with full_page_writes off/);

# 5. wtsmgr.full_page_writes = keep, full_page_writes off, not proven
$node->append_conf('postgresql.conf', 'wtsmgr.full_page_writes = keep');
$offset = -s $node->logfile;
ok(!$node->start(fail_ok => 1), 'keep with fpw off: refused');
like(substr(slurp_file($node->logfile), $offset),
	qr/FATAL:  full_page_writes is off, but atomic writes are not proven/,
	'keep with fpw off: the message says why');

# 6. With the override, replay warns at the record that turned
# full_page_writes off.  The checkpointer writes it (at wal_level replica
# or above) when a reload turns full_page_writes off, before the server
# stops taking images: here with wtsmgr.full_page_writes = keep, whose
# effective_full_page_writes says when that happened.  Then a crash.
my $replay = PostgreSQL::Test::Cluster->new('unproven_replay');
$replay->init(allows_streaming => 1);
$replay->append_conf('postgresql.conf', qq(
autovacuum = off
shared_preload_libraries = 'wtsmgr'
wtsmgr.mode = 'writethrough'
wtsmgr.full_page_writes = keep
wtsmgr.allow_unproven_start = on
));
$replay->start;
$replay->safe_psql('postgres', 'CREATE EXTENSION wtsmgr; CHECKPOINT');
$replay->append_conf('postgresql.conf', "full_page_writes = off\n");
$replay->reload;
$replay->poll_query_until('postgres',
	'SELECT NOT effective_full_page_writes FROM wtsmgr_status')
  or die 'full_page_writes was not turned off';
$replay->safe_psql('postgres',
	'CREATE TABLE t AS SELECT generate_series(1, 1000) AS i');
$replay->stop('immediate');
$offset = -s $replay->logfile;
$replay->start;
is($replay->safe_psql('postgres', 'SELECT count(*) FROM t'),
	'1000', 'replay: recovered');
like(
	substr(slurp_file($replay->logfile), $offset),
	qr{WARNING:  replaying WAL written with full_page_writes off where atomic writes are not proven\n.*DETAIL:  The record at [0-9A-F]+/[0-9A-F]+ turned full_page_writes off; atomic writes are not proven because }s,
	'replay: a WARNING at the record that turned full_page_writes off');
$replay->stop;

done_testing();
