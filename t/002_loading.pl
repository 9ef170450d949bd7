# Loading: without shared_preload_libraries the library loads quietly and
# its functions fail with a clear message; misspelt settings keep the server from starting; when
# preloaded, the writes are taken over by the core hooks or by rebinding,
# as the server's headers say.  One node throughout, reconfigured between
# the cases.
use strict;
use warnings FATAL => 'all';

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('loading');
$node->init;
$node->start;

# Not preloaded: loading the library does nothing and raises no error
# (as pg_stat_statements: session_preload_libraries, dump and restore,
# pg_upgrade into a cluster without it keep working); the functions say
# what is missing.
my ($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CREATE EXTENSION wtsmgr');
is($ret, 0, 'CREATE EXTENSION without preloading succeeds') or diag($stderr);
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'SELECT * FROM wtsmgr_status');
isnt($ret, 0, 'its functions fail');
like(
	$stderr,
	qr/wtsmgr must be loaded via "shared_preload_libraries"/,
	'the error says how it must be loaded');
like($stderr, qr/HINT:  Add wtsmgr to "shared_preload_libraries"/,
	'the hint says where');

($ret, $stdout, $stderr) = $node->psql('postgres', q(LOAD 'wtsmgr'));
is($ret, 0, 'LOAD succeeds quietly') or diag($stderr);
$node->append_conf('postgresql.conf', "session_preload_libraries = 'wtsmgr'\n");
$node->reload;
is($node->safe_psql('postgres', 'SELECT 1'), '1',
	'sessions start with wtsmgr in session_preload_libraries');
$node->adjust_conf('postgresql.conf', 'session_preload_libraries', undef);
$node->safe_psql('postgres', 'DROP EXTENSION wtsmgr');
$node->stop;

# Misspelt values: the server refuses to start
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'wtsmgr'\n");
foreach my $setting ([ 'wtsmgr.mode', 'atomc' ],
	[ 'wtsmgr.full_page_writes', 'of' ])
{
	my ($name, $value) = @$setting;
	my $offset = -s $node->logfile;

	$node->append_conf('postgresql.conf', "$name = '$value'\n");
	my $started = $node->start(fail_ok => 1);
	ok(!$started, "server does not start with $name = '$value'");
	my $log = substr(slurp_file($node->logfile), $offset);
	like(
		$log,
		qr/invalid value for parameter "\Q$name\E": "\Q$value\E"/,
		'the log names the parameter and the value');
	like($log, qr/HINT:  Available values: /, 'with the valid values');
	$node->stop if $started;
	$node->adjust_conf('postgresql.conf', $name, undef);
}

# The core hooks are used when the server's headers declare them (patched
# with contrib_wtsmgr/postgresql-18-write-hooks.patch), rebinding otherwise.
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION wtsmgr');
my $hooks =
  slurp_file($node->config_data('--includedir-server') . '/storage/fd.h') =~
  /^#define PG_HAVE_FILE_PWRITEV_HOOK\b/m;
is( $node->safe_psql('postgres', 'SELECT write_path FROM wtsmgr_status'),
	$hooks ? 'hook' : 'got',
	$hooks ? 'the core hooks are installed' : 'write calls were rebound');
$node->stop;

done_testing();
