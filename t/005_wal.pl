# New WAL segments are zeroed with fallocate(FALLOC_FL_WRITE_ZEROES) where
# the file system and device support it, and zero-filled as usual (counted
# and logged once) where they do not.  Whether they do is found out here
# independently, by trying the call in pg_wal.  The first pg_wal is in
# PGDATA; the second, if one is found, on a file system where the answer
# differs (WTSMGR_TEST_NOATOMIC_DIR, /dev/shm or /tmp).  Runs on every
# kernel.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WtsmgrTest;

# No recycling: every segment after a switch is a new one.
my $node = wtsmgr_node('wal', qq(
wal_recycle = off
wal_init_zero = on
));
my $segsize = $node->safe_psql('postgres',
	q(SELECT pg_size_bytes(current_setting('wal_segment_size'))));

# Make at least two new segments
sub new_segments
{
	$node->safe_psql('postgres', 'SELECT wtsmgr_stats_reset()');
	for my $i (1 .. 5)
	{
		$node->safe_psql('postgres',
			"CREATE TABLE IF NOT EXISTS w (i int); INSERT INTO w VALUES ($i); SELECT pg_switch_wal()"
		);
	}
	$node->safe_psql('postgres', 'CHECKPOINT');
	my ($zeroes, $fallback, $bytes) = split /\|/,
	  $node->safe_psql('postgres',
		'SELECT sum(wal_segments_write_zeroes), sum(wal_segments_fallback), sum(wal_write_zeroes_bytes) FROM wtsmgr_stats'
	  );
	return ($zeroes // 0, $fallback // 0, $bytes // 0);
}

# check_wal(LABEL): segments made now, compared with what the file system
# in pg_wal supports
sub check_wal
{
	my ($label) = @_;
	my $walfs = $node->data_dir . '/pg_wal';
	my ($supported, $why) = wal_write_zeroes_supported($walfs);
	my $offset = -s $node->logfile;
	my ($zeroes, $fallback, $bytes) = new_segments();

	note("$label: FALLOC_FL_WRITE_ZEROES in pg_wal: "
		  . ($supported ? 'supported' : "not supported ($why)")
		  . "; segments by write-zeroes $zeroes, zero-filled $fallback");
	cmp_ok($zeroes + $fallback, '>=', 2, "$label: new WAL segments counted");
	if ($supported)
	{
		is($fallback, 0, "$label: no segment fell back");
		is($bytes, $zeroes * $segsize,
			"$label: whole segments zeroed by write-zeroes");
	}
	else
	{
		is($zeroes, 0, "$label: no segment by write-zeroes where unsupported");
		is($bytes, 0, "$label: no bytes by write-zeroes");
	}
	return $supported;
}

my $first = check_wal('pg_wal in PGDATA');
my @fb = (slurp_file($node->logfile) =~
	  /LOG:  FALLOC_FL_WRITE_ZEROES is not supported for WAL segments here/g);
is(scalar @fb, $first ? 0 : 1, 'the fallback is logged once, if at all');

# wtsmgr.wal_write_zeroes = off (by reload): PostgreSQL writes the zeroes
$node->append_conf('postgresql.conf', 'wtsmgr.wal_write_zeroes = off');
$node->reload;
$node->poll_query_until('postgres', 'SHOW wtsmgr.wal_write_zeroes', 'off')
  or die 'wtsmgr.wal_write_zeroes did not change';
my ($zeroes, $fallback, $bytes) = new_segments();
is($zeroes + $fallback, 0,
	'wtsmgr.wal_write_zeroes = off: segments are left to PostgreSQL');
$node->adjust_conf('postgresql.conf', 'wtsmgr.wal_write_zeroes', undef);

# pg_wal on a file system where the answer differs
my $other;
foreach my $dir (grep { defined && -d && -w }
	($ENV{WTSMGR_TEST_NOATOMIC_DIR}, '/dev/shm', '/tmp'))
{
	my ($s) = wal_write_zeroes_supported($dir);
	if ($s != $first) { $other = $dir; last; }
}
$node->stop unless defined $other;
SKIP:
{
	skip 'no file system where FALLOC_FL_WRITE_ZEROES support differs', 3
	  unless defined $other;
	my $wal = "$other/wtsmgr_wal_$$";
	$node->stop;
	system('mv', $node->data_dir . '/pg_wal', $wal) == 0
	  or die "could not move pg_wal to $wal";
	symlink($wal, $node->data_dir . '/pg_wal')
	  or die "could not link pg_wal: $!";
	$node->start;
	check_wal("pg_wal in $other");
	$node->stop;
	system('rm', '-rf', $wal);
}

done_testing();
