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
# CRASH_RESULTS (default $WTSMGR_OUT/crash-postgres), CRASH_PG_LOGS (a
# folder: copy each configuration's log there, with its commit and
# transaction counts, for crash/check-logs.sh on the host; with
# CRASH_PG_POINTS=0 the guest then checks no crash point itself),
# CRASH_PG_LOG_CONFIGS (the configurations whose logs are copied out;
# default all).
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
pg_summary_header "$SUMMARY"
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
	if [ -n "${CRASH_PG_LOGS:-}" ] && [[ " ${CRASH_PG_LOG_CONFIGS:-$CONFIGS} " = *" $cfg "* ]]; then
		# the full campaign checks the log on the host (crash/check-logs.sh)
		mkdir -p "$CRASH_PG_LOGS"
		out=$CRASH_PG_LOGS/$FS-$cfg
		bytes=$($REPLAY info /dev/mapper/crash-log | sed -n 's/^log bytes //p')
		dd if=/dev/mapper/crash-log of="$out.log" bs=1M iflag=direct status=none \
			count=$(( (${bytes:-0} + 1048575) / 1048576 ))
		printf 'commits\t%s\ntransactions\t%s\nseed\t%s\n' "$i" "${txns:-0}" "$SEED" >"$out.info"
		check_eq "$FS $cfg: the log ($(( ${bytes:-0} >> 20 )) MiB) was copied out whole" \
			"$($REPLAY info /dev/mapper/crash-log)" "$($REPLAY info "$out.log" 2>&1)"
	fi
	[ "$POINTS" -gt 0 ] || continue
	pg_replay_run "$FS" "$cfg" /dev/mapper/crash-log "$REPLAY_TARGET" "$i" "${txns:-0}"
	pg_replay_verdict "$FS" "$cfg"
done
done
lw_cleanup
note "summary: $SUMMARY"
sed 's/^/# /' "$SUMMARY"
finish
