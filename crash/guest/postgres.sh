#!/bin/bash
# The PostgreSQL crash campaign, run in the guest (as a suite of checks).
#
# For each configuration, the same workload and seed: a cluster with
# data checksums on a file system on dm-log-writes over the atomic NVMe
# namespace runs pgbench (tpcb-like), in-place updates of wide rows of a
# small hot table and inserts with random keys into a B-tree, with
# shared_buffers small enough that pages are written all the time; a
# client commits numbered rows one by one and, after each COMMIT
# returns, sets a log mark.  The log is replayed at crash points under
# replay's power-cut model (each crash point moved to the end of its
# flush batch, where most writes are in flight), and pgcheck.sh runs
# crash recovery and checks the result.
#
#   wtsmgr   wtsmgr preloaded: atomic write-through, full_page_writes off
#   unsafe   stock PostgreSQL, full_page_writes off: the control, which
#            must show torn pages, failed recoveries or lost commits
#   stock    stock PostgreSQL, full_page_writes on: must recover clean
#
# Environment: CRASH_PG_POINTS (default 6), CRASH_PG_DURATION (seconds
# of workload, 40), CRASH_SEED, CRASH_PG_CONFIGS ("wtsmgr unsafe stock"),
# CRASH_PG_FS (file systems: xfs and/or ext4-bigalloc; default xfs), CRASH_PG_MIN_FOUND
# (points at which the control must fail; default 1),
# CRASH_PG_CONTROL_POINTS (crash points of the control; default
# CRASH_PG_POINTS), CRASH_PG_CONTROL_STOP=1 (the control stops at its
# CRASH_PG_MIN_FOUND-th failure, as make check's short campaign does),
# CRASH_RESULTS (default $WTSMGR_OUT/crash-postgres).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

POINTS=${CRASH_PG_POINTS:-6}
DURATION=${CRASH_PG_DURATION:-40}
CONFIGS=${CRASH_PG_CONFIGS:-wtsmgr unsafe stock}
FSLIST=${CRASH_PG_FS:-xfs}
MIN_FOUND=${CRASH_PG_MIN_FOUND:-1}
CONTROL_POINTS=${CRASH_PG_CONTROL_POINTS:-$POINTS}
RES=${CRASH_RESULTS:-${WTSMGR_OUT:-/tmp}/crash-postgres}
MNT=/mnt/pgcrash
PGDATA=$MNT/data
REPLAY=$CRASH_BIN/replay
export PGHOST=/tmp PGDATABASE=postgres

pg() { runuser -u postgres -- "$@"; }
sql() { pg psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }

mkdir -p "$MNT" "$RES"
SUMMARY=$RES/summary.tsv
printf 'fs\tconfig\tcrash_points\tfailed_points\trecovery_failures\tlost_commits\tinvariant_failures\tamcheck_failures\tchecksum_failures\tcommits\ttransactions\tseed\n' >"$SUMMARY"
note "seed $SEED (CRASH_SEED=$SEED repeats the crash points of this run)"

stage=$WTSMGR_BUILD/ext-stage
case " $CONFIGS " in *" wtsmgr "*)
	check "the extension is staged in $stage" test -d $stage/usr &&
		cp -a $stage/. /;;
esac
# Writeback as on a busy server: dirty pages go to the device within a
# second, so the crash points of the stock configurations find data
# writes in flight, not only WAL.
sysctl -q vm.dirty_expire_centisecs=100 vm.dirty_writeback_centisecs=50
lw_slices >/dev/null 2>&1 || check "dm-linear slices of $NVME" false

cat >/tmp/hot.sql <<'EOF'
\set id random(1, 400)
UPDATE hot SET n = n + 1, pad = md5(random()::text) || substr(pad, 33) WHERE id = :id;
EOF
cat >/tmp/rnd.sql <<'EOF'
INSERT INTO rnd VALUES (gen_random_uuid(), 1);
EOF

for FS in $FSLIST; do
for cfg in $CONFIGS; do
	note "$FS $cfg: ${DURATION}s of workload, then $POINTS crash points"
	lw_start >/dev/null 2>&1 && mkfs_fs "$FS" $LW >/dev/null &&
		mount -t "$(fstype "$FS")" $LW $MNT && mkdir $PGDATA && chown postgres: $PGDATA ||
		{ check "$FS $cfg: file system on log-writes" false; lw_cleanup; lw_slices; continue; }
	pg initdb -D $PGDATA -k -N -A trust >/dev/null
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '/tmp'"
		echo "shared_buffers = 1MB"
		echo "checkpoint_timeout = 30s"
		echo "max_wal_size = 64MB"
		echo "autovacuum = off"
		echo "log_checkpoints = on"
		case $cfg in
		stock) echo "full_page_writes = on";;
		unsafe) echo "full_page_writes = off";;
		wtsmgr) printf '%s\n' "shared_preload_libraries = 'wtsmgr'" \
			"wtsmgr.mode = atomic" "wtsmgr.full_page_writes = auto";;
		esac
	} >>$PGDATA/postgresql.conf
	if ! pg pg_ctl -D $PGDATA -w -t 300 -l /tmp/pg-$cfg.log start >/dev/null; then
		tail -n 20 /tmp/pg-$cfg.log
		check "$FS $cfg: PostgreSQL starts" false
		umount $MNT; lw_stop; continue
	fi
	[ "$cfg" = wtsmgr ] && sql "CREATE EXTENSION wtsmgr" >/dev/null
	want=off
	[ "$cfg" = stock ] && want=on
	check_eq "$FS $cfg: full_page_writes is $want" "$want" "$(sql 'SHOW full_page_writes')"
	[ "$cfg" = wtsmgr ] && note "wtsmgr: $(sql 'SELECT full_page_writes_reason FROM wtsmgr_status')"
	pg pgbench -i -s 1 -q >/dev/null 2>&1
	sql "CREATE TABLE hot (id int PRIMARY KEY, n bigint NOT NULL, pad text NOT NULL)
		WITH (fillfactor = 50);
	     INSERT INTO hot SELECT g, 0, repeat('x', 1000) FROM generate_series(1, 400) g;
	     CREATE TABLE rnd (k uuid PRIMARY KEY, v int);
	     CREATE TABLE commits (id int PRIMARY KEY);
	     CHECKPOINT;" >/dev/null
	sync
	lw_mark start
	pg pgbench -n -c 2 -j 1 -T "$DURATION" -b tpcb-like@4 -f /tmp/hot.sql@4 \
		-f /tmp/rnd.sql@2 >"$RES/pgbench-$FS-$cfg.txt" 2>&1 &
	bench=$!
	i=0
	while kill -0 $bench 2>/dev/null; do
		i=$((i + 1))
		sql "INSERT INTO commits VALUES ($i)" >/dev/null && lw_mark "c$i" || break
	done
	wait $bench
	rc=$?
	lw_mark end
	check "$FS $cfg: the workload ran (pgbench exit $rc, $i commits)" test "$rc" = 0
	txns=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' \
		"$RES/pgbench-$FS-$cfg.txt")
	grep -c 'checkpoint complete' /tmp/pg-$cfg.log | sed "s/^/# $cfg: checkpoints completed: /"
	pg pg_ctl -D $PGDATA -m immediate stop >/dev/null 2>&1
	umount $MNT
	lw_stop
	marks=/tmp/marks-$FS-$cfg
	$REPLAY dump /dev/mapper/crash-log | awk '/ mark c[0-9]+$/ { print $1, substr($NF, 2) }' >$marks
	$REPLAY info /dev/mapper/crash-log | sed "s/^/# $cfg log: /" | grep -v ': mark c[0-9]*$'
	per=$RES/points-$FS-$cfg.tsv
	: >"$per"
	# In a short campaign the control looks until it has found what it
	# must find (a torn page is only visible when both of its halves
	# changed); the full campaign measures its share at every point.
	if [ "$cfg" = unsafe ]; then
		pts=(--points "$CONTROL_POINTS")
		[ "${CRASH_PG_CONTROL_STOP:-0}" = 1 ] && pts+=(--stop-after "$MIN_FOUND")
	else
		pts=(--points "$POINTS")
	fi
	$REPLAY run --start-mark start --end-mark end --batch-end "${pts[@]}" \
		--seed "$SEED" --results "$RES/replay-$FS-$cfg.tsv" \
		--exec "$here/on-image.sh $(fstype "$FS") $here/pgcheck.sh $marks $per" \
		/dev/mapper/crash-log "$REPLAY_TARGET" >"$RES/replay-$FS-$cfg.log" 2>&1
	rrc=$?
	grep -v '^replay: [0-9]*/' "$RES/replay-$FS-$cfg.log" | tail -n 12 | sed 's/^/# /'
	read -r npts failed rec lost inv amc sums <<< "$(awk -F'\t' '{
		n++; bad = 0
		if ($2 != "yes") { r++; bad = 1 }
		if ($3 != "-" && $3 != 0) { l += $3; bad = 1 }
		if ($4 != "-" && $4 != "t") { v++; bad = 1 }
		if ($5 == "failed") { a++; bad = 1 }
		if ($6 != "-" && $6 != 0) { c++; bad = 1 }
		f += bad }
		END { printf "%d %d %d %d %d %d %d\n", n, f, r, l, v, a, c }' "$per")"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$FS" "$cfg" "$npts" "$failed" \
		"$rec" "$lost" "$inv" "$amc" "$sums" "$i" "${txns:-0}" "$SEED" >>"$SUMMARY"
	check_eq "$FS $cfg: every crash point was rebuilt and checked" "yes" \
		"$( [ "$rrc" -le 1 ] && [ "$npts" -ge 1 ] && echo yes || echo "no (replay exit $rrc, $npts points)")"
	case $cfg in
	unsafe) check_ge "$FS $cfg (control): failures found at >= $MIN_FOUND of $npts crash points (found $failed)" \
			"$MIN_FOUND" "$failed";;
	*) check_eq "$FS $cfg: clean recovery, no lost commit, no corruption at all $npts crash points" \
			0 "$failed";;
	esac
done
done
lw_cleanup
note "summary: $SUMMARY"
sed 's/^/# /' "$SUMMARY"
finish
