# On a kernel with buffered atomic write-through (ours, in the guest, with
# the test clusters on an atomic device): full_page_writes is off after an
# auto start; CREATE TABLESPACE on a location without atomic writes is
# refused; a tablespace there, created while full_page_writes is on,
# keeps full_page_writes on at the next start and refuses turning it off.
# Skipped, with the reason, when PGDATA has no atomic writes.
#
# WTSMGR_TEST_NOATOMIC_DIR names a directory, writable by the server, on a
# device without atomic writes (the guest suite mounts /dev/vdb there);
# without it the first of /dev/shm, /run and /tmp that fails the probe is
# used.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WtsmgrTest;

my $node = wtsmgr_node('atomic', qq(
wtsmgr.mode = atomic
wtsmgr.full_page_writes = auto
));
show_status($node, 'atomic: auto start');
my $status = wtsmgr_status($node);
my $pgdata = wtsmgr_location($node, 'pg_default');

if ($status->{kernel_writethrough} ne 't')
{
	$node->stop;
	plan skip_all => 'this kernel has no RWF_WRITETHROUGH';
}
if ($pgdata->{probe_ok} ne 't')
{
	$node->stop;
	plan skip_all =>
	  "PGDATA has no buffered atomic writes here ($pgdata->{reason}); this needs a kernel with buffered RWF_ATOMIC and TESTDATADIR on an atomic device";
}

is($node->safe_psql('postgres', 'SHOW full_page_writes'),
	'off', 'full_page_writes is off after an auto start');
is($status->{atomic_proven}, 't', 'atomic writes proven');
is($status->{effective_mode}, 'atomic', 'data writes are atomic');
like(slurp_file($node->logfile),
	qr/LOG:  full_page_writes turned off: 8192-byte atomic write-through proven on all 1 locations/,
	'the decision is logged');

# The NVMe namespace's own report (libnvme): the emulated namespace has
# NAWUPF = 15 in 4 KiB blocks, 64 KiB
SKIP:
{
	skip 'PGDATA is not on an NVMe namespace', 3
	  unless defined $pgdata->{nvme_report};
	skip "no NVMe report: $pgdata->{nvme_report}", 3
	  if $pgdata->{nvme_report} =~ /built without libnvme/;
	is($pgdata->{nvme_report}, 'ok', 'NVMe: Identify data read');
	is($pgdata->{nvme_nawupf_bytes} // $pgdata->{nvme_awupf_bytes},
		65536, 'NVMe: 64 KiB written atomically on power failure');
	ok(defined $pgdata->{nvme_volatile_write_cache},
		'NVMe: the volatile write cache is reported');
}

# CREATE TABLESPACE where there are no atomic writes
my $bad;
my @candidates = grep { defined && -d && -w }
  ($ENV{WTSMGR_TEST_NOATOMIC_DIR}, '/dev/shm', '/run', '/tmp');
foreach my $dir (@candidates)
{
	if ($node->safe_psql('postgres',
			"SELECT probe_ok FROM wtsmgr_probe('$dir')") eq 'f')
	{
		$bad = $dir;
		last;
	}
}
ok(!defined $ENV{WTSMGR_TEST_NOATOMIC_DIR}
	  || (defined $bad && $bad eq $ENV{WTSMGR_TEST_NOATOMIC_DIR}),
	'WTSMGR_TEST_NOATOMIC_DIR, if set, fails the probe');

# Locations CREATE TABLESPACE refuses itself keep its own messages
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"CREATE TABLESPACE rel LOCATION 'relative'");
like($stderr, qr/tablespace location must be an absolute path/,
	'a relative location: the core message');
($ret, $stdout, $stderr) = $node->psql('postgres',
	"CREATE TABLESPACE gone LOCATION '/nonexistent/wtsmgr_ts'");
like($stderr, qr/directory "\/nonexistent\/wtsmgr_ts" does not exist/,
	'a missing directory: the core message');

# An in-place tablespace lives in PGDATA: allowed
$node->safe_psql('postgres', q(
	SET allow_in_place_tablespaces = on;
	CREATE TABLESPACE inplace LOCATION '';
	DROP TABLESPACE inplace;));
pass('an in-place tablespace may be created');

SKIP:
{
	skip 'no writable location without atomic writes found', 17
	  unless defined $bad;
	my $loc = "$bad/wtsmgr_ts_$$";
	mkdir $loc or die "mkdir $loc: $!";

	($ret, $stdout, $stderr) =
	  $node->psql('postgres', "CREATE TABLESPACE bad LOCATION '$loc'");
	isnt($ret, 0, "CREATE TABLESPACE at $loc is refused");
	like(
		$stderr,
		qr/cannot create tablespace at "\Q$loc\E" while full_page_writes is off/,
		'with the reason');
	like($stderr, qr/DETAIL:  Probe result: /, 'and the probe result');

	# Turning full_page_writes on by reload is always allowed; then the
	# tablespace may be created
	$node->safe_psql('postgres', 'ALTER SYSTEM SET full_page_writes = on');
	$node->reload;
	ok( $node->poll_query_until(
			'postgres', 'SHOW full_page_writes', 'on'),
		'full_page_writes turned on by reload');
	($ret, $stdout, $stderr) =
	  $node->psql('postgres', "CREATE TABLESPACE bad LOCATION '$loc'");
	is($ret, 0, 'with full_page_writes on the tablespace is created');
	$node->safe_psql('postgres',
		'CREATE TABLE in_bad TABLESPACE bad AS SELECT generate_series(1, 1000) g'
	);

	# ... and full_page_writes cannot be turned off again
	($ret, $stdout, $stderr) = $node->psql('postgres',
		'ALTER SYSTEM SET full_page_writes = off');
	isnt($ret, 0, 'ALTER SYSTEM SET full_page_writes = off is refused');
	like(
		$stderr,
		qr/full_page_writes cannot be turned off: atomic writes are not proven on every tablespace/,
		'because of the new tablespace');
	like($stderr, qr/DETAIL:  Atomic writes are not proven for tablespace \d+ at "\Q$loc\E"/,
		'which is named');
	my $offset = -s $node->logfile;
	$node->append_conf('postgresql.conf', 'full_page_writes = off');
	$node->safe_psql('postgres', 'ALTER SYSTEM RESET full_page_writes');
	$node->reload;
	ok( $node->wait_for_log(
			qr/full_page_writes cannot be turned off: atomic writes are not proven on every tablespace/,
			$offset),
		'a reload with full_page_writes = off is refused too');
	is($node->safe_psql('postgres', 'SHOW full_page_writes'),
		'on', 'full_page_writes is still on');

	# At the next start the tablespace fails the probe: full_page_writes
	# stays on, and a warning names the location
	$node->adjust_conf('postgresql.conf', 'full_page_writes', undef);
	$offset = -s $node->logfile;
	$node->restart;
	show_status($node, 'atomic: restarted with a tablespace on a device without atomic writes');
	my $oid = $node->safe_psql('postgres',
		"SELECT oid FROM pg_tablespace WHERE spcname = 'bad'");
	my $ts = wtsmgr_location($node, $oid);
	$status = wtsmgr_status($node);
	is($node->safe_psql('postgres', 'SHOW full_page_writes'),
		'on', 'full_page_writes is on with the tablespace');
	is($status->{atomic_proven}, 'f', 'atomic writes are not proven');
	ok(defined $ts && $ts->{path} eq $loc && $ts->{probe_ok} eq 'f',
		'the tablespace was probed at startup and failed');
	ok( $node->wait_for_log(
			qr/WARNING:  keeping full_page_writes on: atomic writes are not proven at "\Q$loc\E"/,
			$offset),
		'a warning names the location');
	like($status->{full_page_writes_reason},
		qr/atomic writes not proven at "\Q$loc\E"/,
		'the status gives the reason');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM in_bad'),
		'1000', 'the table in the tablespace is there');

	# Without the tablespace, full_page_writes is off again
	$node->safe_psql('postgres', 'DROP TABLE in_bad; DROP TABLESPACE bad');
	$node->restart;
	is($node->safe_psql('postgres', 'SHOW full_page_writes'),
		'off', 'without the tablespace full_page_writes is off again');
	rmdir $loc;
}

$node->stop;
done_testing();
