# Every data page write was seen: for client backends and the
# checkpointer, the bytes wtsmgr wrote (atomically, write-through or
# passed through) equal what pg_stat_io counts as written and extended
# for relations and temporary relations.  Relation extension writes zeroes
# (file_extend_method = write_zeros) so that it goes through the same
# calls; the background writer and autovacuum are off, so that nothing
# else writes.  The client backend writes its temporary table (small
# temp_buffers); the buffer pool is large enough that the sessions that
# reset and read the counters write nothing themselves, which would be
# counted by wtsmgr at once but by pg_stat_io at their exit.  Runs on
# every kernel.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WtsmgrTest;

my $node = wtsmgr_node('stat_io', qq(
shared_buffers = 32MB
temp_buffers = 800kB
file_extend_method = write_zeros
bgwriter_lru_maxpages = 0
autovacuum = off
));

$node->safe_psql('postgres', q(
SELECT pg_stat_reset_shared('io');
SELECT wtsmgr_stats_reset();
));
$node->safe_psql('postgres', q(
CREATE TABLE w AS SELECT g, repeat('x', 300) AS v FROM generate_series(1, 20000) g;
UPDATE w SET g = g + 1 WHERE g % 7 = 0;
CREATE TEMP TABLE tt AS SELECT g, repeat('t', 300) AS v FROM generate_series(1, 5000) g;
UPDATE tt SET g = g + 1;
CHECKPOINT;
));

foreach my $type ('client backend', 'checkpointer')
{
	my $wtsmgr = qq{
SELECT coalesce(sum(atomic_bytes + writethrough_bytes + passthrough_bytes), 0)
  FROM wtsmgr_stats WHERE backend_type = '$type'};
	my $stat_io = qq{
SELECT coalesce(sum(coalesce(write_bytes, 0) + coalesce(extend_bytes, 0)), 0)
  FROM pg_stat_io
 WHERE backend_type = '$type' AND object IN ('relation', 'temp relation')};

	# pg_stat_io is flushed by each process in its own time (a backend at
	# its exit), wtsmgr's counters at once: wait until they agree
	my $ok = $node->poll_query_until('postgres',
		"SELECT ($wtsmgr) = ($stat_io)", 't');
	ok($ok, "$type: wtsmgr wrote the bytes pg_stat_io counts")
	  or diag($node->safe_psql('postgres', "SELECT ($wtsmgr), ($stat_io)"));
	cmp_ok($node->safe_psql('postgres', $wtsmgr), '>', 0,
		"$type: and wrote some");
}

$node->stop;
done_testing();
