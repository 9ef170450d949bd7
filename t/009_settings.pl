# Settings combinations: every io_method (PostgreSQL 18's AIO reads; the
# data writes stay synchronous pwrite calls and must all pass through
# wtsmgr), wtsmgr.mode = off, and wtsmgr.full_page_writes = keep with
# full_page_writes on.  Runs on every kernel: what is expected follows
# wtsmgr_status.
use strict;
use warnings FATAL => 'all';

use FindBin;
use lib $FindBin::RealBin;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use WtsmgrTest;

# workload(NODE): data written by a backend and the checkpointer; returns
# their counters summed
sub workload
{
	my ($node) = @_;
	$node->safe_psql('postgres', 'SELECT wtsmgr_stats_reset()');
	$node->safe_psql('postgres', q(
DROP TABLE IF EXISTS w;
CREATE TABLE w AS SELECT g, repeat('x', 300) AS v FROM generate_series(1, 20000) g;
UPDATE w SET g = g + 1 WHERE g % 10 = 0;
SELECT count(*) FROM w;
CHECKPOINT;
));
	my %sum;
	foreach my $type ('client backend', 'checkpointer')
	{
		my $s = wtsmgr_stats($node, $type);
		$sum{$_} += $s->{$_}
		  foreach grep { $_ ne 'backend_type' && $_ ne 'stats_reset' } keys %$s;
	}
	return \%sum;
}

foreach my $io_method ('sync', 'worker', 'io_uring')
{
	my $node = wtsmgr_node("io_$io_method", qq(
io_method = $io_method
shared_buffers = 1MB
autovacuum = off
));
	my $status = wtsmgr_status($node);
	is($node->safe_psql('postgres', 'SHOW io_method'),
		$io_method, "io_method = $io_method");
	my $s = workload($node);
	my $expect = {
		atomic => 'atomic_writes',
		writethrough => 'writethrough_writes',
		off => 'passthrough_writes'
	}->{ $status->{effective_mode} };
	cmp_ok($s->{$expect}, '>', 0,
		"$io_method: data pages written the $status->{effective_mode} way");
	is( $s->{atomic_writes} + $s->{writethrough_writes} +
		  $s->{passthrough_writes} - $s->{$expect},
		0, "$io_method: and no other way");
	is($s->{atomic_failures}, 0, "$io_method: no atomic write failed");
	$node->stop;
}

# wtsmgr.mode = off: everything passes through, full_page_writes stays on
my $node = wtsmgr_node('mode_off', qq(
wtsmgr.mode = off
shared_buffers = 1MB
autovacuum = off
));
my $status = wtsmgr_status($node);
is($status->{effective_mode}, 'off', 'mode off: effective mode off');
is($node->safe_psql('postgres', 'SHOW full_page_writes'),
	'on', 'mode off: full_page_writes stays on');
my $s = workload($node);
cmp_ok($s->{passthrough_writes}, '>', 0, 'mode off: pages pass through');
is($s->{atomic_writes} + $s->{writethrough_writes},
	0, 'mode off: nothing else');
$node->stop;

# keep with full_page_writes on: left on, whatever the proof
$node = wtsmgr_node('keep_on', qq(
wtsmgr.full_page_writes = keep
full_page_writes = on
));
$status = wtsmgr_status($node);
is($status->{full_page_writes_policy}, 'keep', 'keep: policy');
is($node->safe_psql('postgres', 'SHOW full_page_writes'),
	'on', 'keep: full_page_writes is left on');
like($status->{full_page_writes_reason}, qr/keep/, 'keep: the reason says so');
$node->stop;

done_testing();
