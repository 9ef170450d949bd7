#!/bin/bash
# pgcheck.sh MARKS RESULTS: the PostgreSQL check of one crash point, run
# by on-image.sh in the mounted image (replay's --exec hook).
#
# Starts PostgreSQL on the image's data folder (crash recovery), then:
#   - no lost commit: every id that the client saw committed before the
#     crash point (MARKS: "ENTRY ID" lines, the log entries of the marks
#     the client set after each COMMIT returned) is in table commits;
#   - pgbench's invariant: balances sum to the history's deltas;
#   - pg_amcheck --heapallindexed finds nothing;
#   - after a clean stop, pg_checksums --check finds nothing.
# The recovered server runs without wtsmgr: the image is on the replay
# disk, which has no atomic writes, and what is checked is what the
# crash left, not how wtsmgr writes during recovery.
#
# Appends one line to RESULTS: point recovered lost_commits invariant
# amcheck checksum_failures.  Exit 1 when anything failed, 2 on a setup
# error.
set -u
marks=$1 results=$2
point=$CRASH_POINT
data=$PWD/data
# CRASH_JOB: a number that keeps checks running side by side apart
job=${CRASH_JOB:-0}
sock=/tmp/pgcheck-$job
port=$((5499 + job))
pglog=/tmp/pgcheck-$job.log
pg() { runuser -u postgres -- "$@"; }
sql() { pg psql -X -At -h $sock -p $port -d postgres -v ON_ERROR_STOP=1 -c "$1"; }

[ -d "$data" ] || { echo "no data folder in the image"; exit 2; }
mkdir -p $sock && chown postgres: $sock
# the image was taken with the server running: its lock file is stale
rm -f "$data/postmaster.pid"
recovered=yes lost=- invariant=- amcheck=- checksums=-
if ! pg pg_ctl -D "$data" -w -t 600 -l $pglog -o "-c shared_preload_libraries='' \
		-c listen_addresses='' -c unix_socket_directories=$sock -c port=$port" \
		start >/dev/null 2>&1; then
	recovered=no
	echo "crash point $point: PostgreSQL did not recover:"
	grep -E 'FATAL|PANIC|ERROR|invalid page|checksum' $pglog | tail -n 5
	pg pg_ctl -D "$data" -m immediate stop >/dev/null 2>&1
else
	expected=$(awk -v p="$point" '$1 <= p { m = $2 } END { print m + 0 }' "$marks")
	present=$(sql "SELECT count(*) FROM commits WHERE id <= $expected")
	lost=$((expected - ${present:-0}))
	[ "$lost" = 0 ] || echo "crash point $point: $lost of $expected acknowledged commits lost"
	invariant=$(sql "SELECT (SELECT sum(abalance) FROM pgbench_accounts) =
			(SELECT coalesce(sum(delta), 0) FROM pgbench_history)
		AND (SELECT sum(tbalance) FROM pgbench_tellers) =
			(SELECT coalesce(sum(delta), 0) FROM pgbench_history)
		AND (SELECT sum(bbalance) FROM pgbench_branches) =
			(SELECT coalesce(sum(delta), 0) FROM pgbench_history)" 2>&1)
	[ "$invariant" = t ] || echo "crash point $point: pgbench invariant: $invariant"
	if pg pg_amcheck -h $sock -p $port --install-missing --heapallindexed \
			postgres >/tmp/pgcheck-$job.amcheck 2>&1; then
		amcheck=ok
	else
		amcheck=failed
		echo "crash point $point: pg_amcheck:"
		head -n 5 /tmp/pgcheck-$job.amcheck
	fi
	pg pg_ctl -D "$data" -w -t 600 -m fast stop >/dev/null 2>&1
	checksums=$(pg pg_checksums --check -D "$data" 2>&1 |
		sed -n 's/^Bad checksums: *//p')
	[ "${checksums:-x}" = 0 ] || {
		echo "crash point $point: pg_checksums: ${checksums:-did not run}"
		pg pg_checksums --check -D "$data" 2>&1 | grep -i 'checksum verification failed' | head -n 3
	}
fi
printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$point" "$recovered" "$lost" "$invariant" \
	"$amcheck" "$checksums" >>"$results"
[ "$recovered" = yes ] && [ "$lost" = 0 ] && [ "$invariant" = t ] &&
	[ "$amcheck" = ok ] && [ "$checksums" = 0 ] && exit 0
exit 1
