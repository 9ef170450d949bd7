# A streaming standby with wtsmgr, where atomic writes are proven on both
# (our kernel in the guest), following doc/operations.md:
#  - replay (the startup process) and restartpoints (the checkpointer)
#    write atomically, nothing without atomicity;
#  - a base backup from the standby fails with PostgreSQL's documented
#    message while the primary runs with full_page_writes off; after the
#    documented procedure (full_page_writes on at the primary, reload,
#    CHECKPOINT, a restartpoint on the standby) it succeeds and restores;
#  - promotion: full_page_writes stays off on the new primary;
#  - pg_rewind of the old primary with the documented procedure
#    (full_page_writes on at the source, reload, CHECKPOINT), which then
#    follows the new primary.
# Skipped where atomic writes are not proven.
use strict;
use warnings FATAL => 'all';

use File::Path qw(rmtree);
use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WtsmgrTest;

my $primary = wtsmgr_node('primary', qq(
wtsmgr.mode = atomic
autovacuum = off
), allows_streaming => 1);
my $status = skip_unless_atomic($primary);
is($primary->safe_psql('postgres', 'SHOW full_page_writes'),
	'off', 'primary: full_page_writes is off');

$primary->safe_psql('postgres',
	'CREATE TABLE t AS SELECT g AS i, repeat(\'x\', 200) AS v FROM generate_series(1, 1000) g');
$primary->backup('b1');

# The standby: a small buffer pool, so that replay writes pages itself
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b1', has_streaming => 1);
$standby->append_conf('postgresql.conf', "shared_buffers = 1MB\n");
$standby->start;
is($standby->safe_psql('postgres', 'SELECT atomic_proven FROM wtsmgr_status'),
	't', 'standby: atomic writes proven');
is( $standby->safe_psql(
		'postgres',
		'SELECT effective_full_page_writes IS NULL FROM wtsmgr_status'),
	't',
	'standby: no effective full_page_writes (it inserts no WAL)');
is( $primary->safe_psql(
		'postgres', 'SELECT effective_full_page_writes FROM wtsmgr_status'),
	'f', 'primary: full_page_writes effectively off');
$standby->safe_psql('postgres', 'SELECT wtsmgr_stats_reset()');

$primary->safe_psql('postgres',
	'INSERT INTO t SELECT g, repeat(\'y\', 200) FROM generate_series(1001, 60000) g; CHECKPOINT');
$primary->wait_for_catchup($standby);
$standby->safe_psql('postgres', 'CHECKPOINT');

foreach my $type ('startup', 'checkpointer')
{
	my $s = wtsmgr_stats($standby, $type);
	cmp_ok($s->{atomic_writes}, '>', 0, "standby: $type wrote atomically");
	is($s->{writethrough_writes} + $s->{passthrough_writes} + $s->{atomic_failures},
		0, "standby: $type wrote nothing without atomicity");
}

# A base backup from the standby fails while the primary's WAL has no
# full-page images
my $sbdir = $standby->backup_dir . '/sb';
my @basebackup = (
	'pg_basebackup', '--pgdata' => $sbdir,
	'--host' => $standby->host, '--port' => $standby->port,
	'--checkpoint' => 'fast', '--no-sync');
$standby->command_fails_like(
	[@basebackup],
	qr/WAL generated with "?full_page_writes=off"? was replayed since last restartpoint/,
	'backup from the standby: refused with PostgreSQL\'s message');
rmtree($sbdir);

# The procedure: full_page_writes on at the primary, reload, CHECKPOINT;
# the standby replays it and makes a restartpoint
$primary->safe_psql('postgres',
	'ALTER SYSTEM SET full_page_writes = on; SELECT pg_reload_conf()');
$primary->poll_query_until('postgres', 'SHOW full_page_writes', 'on')
  or die 'full_page_writes was not turned on';
$primary->safe_psql('postgres', 'CHECKPOINT');
$primary->wait_for_catchup($standby);
$standby->safe_psql('postgres', 'CHECKPOINT');
$standby->command_ok([@basebackup],
	'backup from the standby: succeeds after the procedure');

$primary->safe_psql('postgres',
	'ALTER SYSTEM RESET full_page_writes; SELECT pg_reload_conf()');
ok($primary->poll_query_until('postgres', 'SHOW full_page_writes', 'off'),
	'primary: full_page_writes back to off');

# The backup restores (on atomic storage)
my $restored = PostgreSQL::Test::Cluster->new('restored');
$restored->init_from_backup($standby, 'sb');
$restored->start;
is($restored->safe_psql('postgres', 'SELECT count(*) FROM t'),
	'60000', 'the standby backup restores');
$restored->stop;

# Promotion: full_page_writes stays off, writes go on
$standby->promote;
is($standby->safe_psql('postgres', 'SHOW full_page_writes'),
	'off', 'promoted: full_page_writes is off');
$standby->safe_psql('postgres',
	'INSERT INTO t SELECT g, \'new\' FROM generate_series(60001, 61000) g');

# The old primary diverges, then is rewound with the procedure
$primary->safe_psql('postgres',
	'INSERT INTO t SELECT g, \'lost\' FROM generate_series(70001, 70100) g');
$primary->stop;
$standby->safe_psql('postgres',
	'ALTER SYSTEM SET full_page_writes = on; SELECT pg_reload_conf()');
$standby->poll_query_until('postgres', 'SHOW full_page_writes', 'on')
  or die 'full_page_writes was not turned on';
$standby->safe_psql('postgres', 'CHECKPOINT');
# pg_rewind copies the source's configuration files: keep the target's
my %conf = map { $_ => slurp_file($primary->data_dir . "/$_") }
  ('postgresql.conf', 'postgresql.auto.conf');
command_ok(
	[
		'pg_rewind', '--target-pgdata' => $primary->data_dir,
		'--source-server' => $standby->connstr('postgres')
	],
	'pg_rewind of the old primary');
foreach my $file (keys %conf)
{
	open my $fh, '>', $primary->data_dir . "/$file" or die "$file: $!";
	print $fh $conf{$file};
	close $fh;
}
$primary->enable_streaming($standby);
$primary->start;
$standby->wait_for_catchup($primary);
is($primary->safe_psql('postgres', 'SELECT count(*) FROM t'),
	'61000', 'the rewound old primary follows the new one');
$standby->safe_psql('postgres',
	'ALTER SYSTEM RESET full_page_writes; SELECT pg_reload_conf()');

$primary->stop;
$standby->stop;
done_testing();
