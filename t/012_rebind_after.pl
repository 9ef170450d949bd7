# Another library in shared_preload_libraries that takes the server's data
# writes for itself (test/wtsmgr_test_rebind.c: it rebinds the postgres
# executable's pwrite and pwritev slots, or installs file_pwritev_hook
# where the server has the core hooks) must not leave wtsmgr believing it
# writes atomically while the writes go around it: loaded after wtsmgr,
# the server refuses to start once every library is loaded; loaded before
# it, wtsmgr refuses to take over.  Only when the library is gone does the
# server start, and then the writes go through wtsmgr.  Runs on every
# kernel; the library is compiled here with the server's compiler and
# headers (pg_config), as it must never be installed.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WtsmgrTest;

# Build the library
my $dir = PostgreSQL::Test::Utils::tempdir;
my $lib = "$dir/wtsmgr_test_rebind.so";
my $src = "$FindBin::RealBin/../test/wtsmgr_test_rebind.c";
my ($cc, $cppflags, $cflags, $cflags_sl, $inc) =
  map { my $v = `pg_config --$_`; chomp $v; $v }
  qw(cc cppflags cflags cflags_sl includedir-server);
my ($stdout, $stderr) = run_command(
	[
		'sh', '-c',
		"$cc $cppflags $cflags $cflags_sl -shared -I'$inc' -o '$lib' '$src'"
	]);
ok(-f $lib, 'the test library builds') or BAIL_OUT("cc failed: $stderr");

my $hooks =
  slurp_file("$inc/storage/fd.h") =~ /^#define PG_HAVE_FILE_PWRITEV_HOOK\b/m;

my $node = PostgreSQL::Test::Cluster->new('rebind');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = ''\n");

# start_with(LIBRARIES): start with them preloaded; returns whether it
# started and what the log says from here on.
sub start_with
{
	my ($libraries) = @_;
	my $offset = -s $node->logfile // 0;

	$node->adjust_conf('postgresql.conf', 'shared_preload_libraries',
		"'$libraries'");
	my $started = $node->start(fail_ok => 1);
	return ($started, substr(slurp_file($node->logfile), $offset));
}

# Loaded after wtsmgr: the check once every library has been loaded
my ($started, $log) = start_with("wtsmgr, $lib");
ok(!$started, 'a library that takes the writes after wtsmgr: the server does not start');
like(
	$log,
	$hooks
	? qr/FATAL:  another library has replaced wtsmgr's file_pwritev_hook or wal_segment_init_hook/
	: qr/FATAL:  another library has taken over the server's pwrite calls after wtsmgr/,
	'the log says another library took over the writes after wtsmgr');
like($log, qr/DETAIL:  Data writes would bypass wtsmgr's write path\./,
	'and why that matters');
like($log, qr/HINT:  Remove that library or wtsmgr from "shared_preload_libraries"\./,
	'and what to do');
if ($started)
{
	# What the check prevents: the server runs, wtsmgr's status says it
	# writes, and the checkpointer's writes never reach it.
	$node->safe_psql('postgres', 'CREATE EXTENSION wtsmgr');
	$node->safe_psql('postgres',
		'CREATE TABLE t AS SELECT g FROM generate_series(1, 10000) g; CHECKPOINT');
	my $s = wtsmgr_stats($node, 'checkpointer');
	cmp_ok($s->{atomic_bytes} + $s->{writethrough_bytes} + $s->{passthrough_bytes},
		'>', 0, 'started anyway: the checkpointer writes through wtsmgr');
	$node->stop;
}

# Loaded before wtsmgr: wtsmgr finds the writes taken
($started, $log) = start_with("$lib, wtsmgr");
ok(!$started, 'a library that takes the writes before wtsmgr: the server does not start');
like(
	$log,
	$hooks
	? qr/Another library in "shared_preload_libraries" has installed file_pwritev_hook or wal_segment_init_hook already/
	: qr/The slot for pwrite holds 0x[0-9a-f]+ \(.*\), not libc's pwrite at 0x[0-9a-f]+: another library may have rebound it already\./,
	'the log says the writes were taken already');
$node->stop if $started;

# Without it, the server starts and its writes go through wtsmgr
($started, $log) = start_with('wtsmgr');
ok($started, 'without the library, the server starts');
$node->safe_psql('postgres', 'CREATE EXTENSION wtsmgr');
$node->safe_psql('postgres',
	'CREATE TABLE t AS SELECT g FROM generate_series(1, 10000) g; CHECKPOINT');
my $s = wtsmgr_stats($node, 'checkpointer');
cmp_ok($s->{atomic_bytes} + $s->{writethrough_bytes} + $s->{passthrough_bytes},
	'>', 0, 'and the checkpointer writes through wtsmgr');
$node->stop;

done_testing();
