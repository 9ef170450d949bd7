#!/bin/bash
# Guest part of "make bench BENCH=checkpoint": how long a CHECKPOINT takes
# to write the same dirty buffers under three configurations, on xfs on
# the NVMe device:
#   stock   wtsmgr not loaded, full_page_writes on: buffered writes, then
#           fsync
#   sync    wtsmgr in atomic mode, wtsmgr.async_writes = off: one
#           synchronous atomic write-through write per page
#   async   wtsmgr in atomic mode, wtsmgr.async_writes = background: the
#           checkpointer submits them through io_uring
#           (wtsmgr.max_inflight_writes in flight)
#   stock-wb  stock, with BENCH_CKPT_WB_CONTEXTS writeback contexts on
#           the device (/sys/class/bdi/<bdi>/writeback_contexts, issue
#           15), set before PostgreSQL starts and back to 1 after
# One database; each round dirties every page of a table (an UPDATE of
# every row, HOT, so only the table's pages) and times CHECKPOINT, the
# configurations interleaved and rotated from round to round.
#
# Settings: BENCH_DEVICE, BENCH_CKPT_MB (table size, default 256),
#   BENCH_CKPT_ROUNDS (default 3), BENCH_CKPT_CONFIGS (default
#   stock,sync,async,stock-wb), BENCH_CKPT_WB_CONTEXTS (default 4).
# Then the client backends' own write latency (see below).
# Output: $WTSMGR_OUT/checkpoint/results.txt, one line per checkpoint:
#   config=C round=R ms=T buffers=B write_s=W sync_s=S async_writes=A
#   async_refused=F async_peak=P dev_write_req=Q dev_write_sectors=N
#   dev_flush=L ckpt_cpu_ms=U busy_cpu_ms=V
# (the device's counters, the checkpointer's user+system CPU time, and
# the CPU time of the whole guest, kernel workers included, over the
# CHECKPOINT)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DEV=${BENCH_DEVICE:-/dev/nvme0n1}
MB=${BENCH_CKPT_MB:-256}
ROUNDS=${BENCH_CKPT_ROUNDS:-3}
CONFIGS=${BENCH_CKPT_CONFIGS:-stock,sync,async,stock-wb}
WBC=${BENCH_CKPT_WB_CONTEXTS:-4}
WB_KNOB=/sys/block/${DEV##*/}/bdi/writeback_contexts
OUT=$WTSMGR_OUT/checkpoint
MNT=/mnt/bench
PGDATA=$MNT/pgdata
PGLOG=/tmp/postgres-checkpoint.log
export PGHOST=/tmp PGDATABASE=postgres
IFS=, read -r -a configs <<< "$CONFIGS"
for c in "${configs[@]}"; do
	case "$c" in stock|sync|async|stock-wb) ;; *) bdie "unknown configuration '$c' (stock, sync, async, stock-wb)";; esac
	[ "$c" != stock-wb ] || [ -w "$WB_KNOB" ] ||
		bdie "stock-wb: $WB_KNOB missing (a kernel without writeback contexts)"
done
[ -b "$DEV" ] || bdie "no block device $DEV"
stage=/wtsmgr/build/ext-stage
[ -d $stage/usr ] || bdie "the extension is not staged in $stage (vm/build-extension.sh)"
cp -a $stage/. /
mkdir -p "$OUT" $MNT
: > "$OUT/results.txt"

pg() { runuser -u postgres -- "$@"; }
sql() { pg env PGOPTIONS='-c client_min_messages=warning' psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }
pg_start() {
	pg pg_ctl -D $PGDATA -w -t 300 -l $PGLOG \
		-o "-k /tmp -c listen_addresses=''" start >/dev/null && return 0
	tail -n 30 $PGLOG >&2
	bdie "PostgreSQL did not start (configuration $1)"
}
pg_stop() { pg pg_ctl -D $PGDATA -w -t 600 -m fast stop >/dev/null; }
# start_config CFG ASYNC [LINE...]: PostgreSQL started for configuration
# CFG: stock when ASYNC is "stock", else wtsmgr in atomic mode with
# wtsmgr.async_writes = ASYNC (and the extension created); each LINE is
# added to its settings.
start_config() {
	local cfg=$1 async=$2
	shift 2
	if [ "$async" = stock ]; then
		echo "full_page_writes = on"
	else
		printf '%s\n' "shared_preload_libraries = 'wtsmgr'" \
			"wtsmgr.mode = atomic" "wtsmgr.async_writes = $async"
	fi > $PGDATA/bench.conf
	[ $# = 0 ] || printf '%s\n' "$@" >> $PGDATA/bench.conf
	pg_start "$cfg"
	[ "$async" = stock ] || sql "CREATE EXTENSION IF NOT EXISTS wtsmgr" >/dev/null
}
# async_counts CFG BACKEND_TYPE: BACKEND_TYPE's asynchronous writes,
# refusals and most in flight from wtsmgr_stats ("async_writes=A
# async_refused=F async_peak=P"), zeros under a stock configuration.
async_counts() {
	local out=
	case $1 in
	*stock|stock-wb) ;;
	*) out=$(sql "SELECT 'async_writes=' || async_writes || ' async_refused=' || async_refused || ' async_peak=' || async_inflight_peak FROM wtsmgr_stats WHERE backend_type = '$2'");;
	esac
	echo "${out:-async_writes=0 async_refused=0 async_peak=0}"
}
# require_async CFG: stop unless the startup probe proved asynchronous
# writes (a configuration meant to measure them must have them).
require_async() {
	[ "$(sql "SELECT async_proven FROM wtsmgr_status")" = t ] ||
		bdie "$1: asynchronous writes not proven: $(sql "SELECT async_reason FROM wtsmgr_status")"
}
# busy_ticks: the guest's busy CPU time so far (every vCPU; all but idle
# and iowait), in clock ticks.
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

grep -q "^$DEV " /proc/mounts && umount "$DEV"
mkfs.xfs -f -q "$DEV"
mount -t xfs "$DEV" $MNT
mkdir $PGDATA && chown postgres: $PGDATA
pg initdb -D $PGDATA -A trust --no-sync >/dev/null
cat >> $PGDATA/postgresql.conf <<CONF
shared_buffers = $((MB * 4))MB
max_wal_size = 4GB
checkpoint_timeout = 1h
autovacuum = off
log_checkpoints = on
include = 'bench.conf'
CONF
: > $PGDATA/bench.conf
chown postgres: $PGDATA/bench.conf
pg_start setup
rows=$((MB * 1024 * 1024 / 8192 * 10))
blog "checkpoint: table of $MB MiB ($rows rows, 10 a page)"
sql "CREATE TABLE ckpt (i int, pad text) WITH (fillfactor = 40)" >/dev/null
sql "INSERT INTO ckpt SELECT g, repeat('a', 300) FROM generate_series(1, $rows) g" >/dev/null
sql "CREATE EXTENSION pg_buffercache" >/dev/null
pg_stop

# A warm-up checkpoint first, with synchronous atomic writes, reported
# apart (config=warmup): the first atomic pass over pages that buffered
# writes laid out costs more than later ones, and would otherwise be
# charged to whichever configuration comes first.
n_cfg=${#configs[@]}
i=0
for round in warmup $(seq "$ROUNDS"); do
	if [ $round = warmup ]; then
		list=(warmup)
	else
		rot=$(( (round - 1) % n_cfg ))
		list=("${configs[@]:rot}" "${configs[@]:0:rot}")
	fi
	for cfg in "${list[@]}"; do
		[ $cfg = warmup ] || i=$((i + 1))
		case $cfg in
		stock) start_config $cfg stock;;
		stock-wb) echo "$WBC" > "$WB_KNOB"; start_config $cfg stock;;
		sync|warmup) start_config $cfg off;;
		async) start_config $cfg background;;
		esac
		[ $cfg != async ] || require_async $cfg
		sql "CHECKPOINT" >/dev/null
		sql "UPDATE ckpt SET pad = repeat('$((i % 10))', 300)" >/dev/null
		dirty=$(sql "SELECT count(*) FROM pg_buffercache WHERE isdirty")
		case $cfg in stock|stock-wb) ;; *) sql "SELECT wtsmgr_stats_reset()" >/dev/null;; esac
		# The UPDATE's WAL and anything else dirty goes first.
		sync
		lines=$(wc -l < $PGLOG)
		ckpt_pid=$(sql "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
		d0=($(devstat "$DEV"))
		c0=$(awk '{print $14 + $15}' /proc/$ckpt_pid/stat)
		b0=$(busy_ticks)
		t0=$(now_ms)
		sql "CHECKPOINT" >/dev/null
		ms=$(( $(now_ms) - t0 ))
		b1=$(busy_ticks)
		c1=$(awk '{print $14 + $15}' /proc/$ckpt_pid/stat)
		d1=($(devstat "$DEV"))
		hz=$(getconf CLK_TCK)
		# devstat fields (0-based): 4 write requests, 6 write sectors, 15 flushes
		io="dev_write_req=$((d1[4] - d0[4])) dev_write_sectors=$((d1[6] - d0[6])) dev_flush=$((d1[15] - d0[15])) ckpt_cpu_ms=$(( (c1 - c0) * 1000 / hz )) busy_cpu_ms=$(( (b1 - b0) * 1000 / hz ))"
		# "checkpoint complete: wrote N buffers (...); ... write=W s, sync=S s"
		done_line=$(tail -n +$((lines + 1)) $PGLOG | grep "checkpoint complete" | tail -n 1)
		buffers=$(sed -n 's/.*wrote \([0-9]*\) buffers.*/\1/p' <<< "$done_line")
		write_s=$(sed -n 's/.*write=\([0-9.]*\) s.*/\1/p' <<< "$done_line")
		sync_s=$(sed -n 's/.*sync=\([0-9.]*\) s.*/\1/p' <<< "$done_line")
		extra=$(async_counts $cfg checkpointer)
		line="config=$cfg round=$round ms=$ms dirty=$dirty buffers=${buffers:-0} write_s=${write_s:-0} sync_s=${sync_s:-0} $extra $io"
		echo "$line" >> "$OUT/results.txt"
		blog "checkpoint [$cfg r$round, $i/$((ROUNDS * n_cfg))]: $line"
		pg_stop
		[ $cfg != stock-wb ] || echo 1 > "$WB_KNOB"
	done
done
# Client backends' own data writes (issue 13's backend write latency):
# with 16 MB of shared buffers and no background writer, an UPDATE of the
# first quarter of the table dirties more pages than the pool holds, so
# the backend writes its own victims.  pg_stat_io has their number and
# time (track_io_timing) once the session has exited: the mean latency of
# a backend's data write (pg_stat_io keeps no distribution).
#   backend-stock       stock: buffered writes
#   backend-background  wtsmgr, async_writes = background (the default):
#                       backends write synchronously
#   backend-all         wtsmgr, async_writes = all: backends submit too
# Output lines: config=backend-C round=R ms=T writes=N write_ms=W
#   async_writes=A async_refused=F async_peak=P
bconfigs=(backend-stock backend-background backend-all)
for round in $(seq "$ROUNDS"); do
	rot=$(( (round - 1) % ${#bconfigs[@]} ))
	for cfg in "${bconfigs[@]:rot}" "${bconfigs[@]:0:rot}"; do
		i=$((i + 1))
		start_config $cfg "${cfg#backend-}" "shared_buffers = 16MB" \
			"bgwriter_lru_maxpages = 0" "track_io_timing = on"
		[ $cfg != backend-all ] || require_async $cfg
		sql "CHECKPOINT" >/dev/null
		sql "SELECT pg_stat_reset_shared('io')" >/dev/null
		[ $cfg = backend-stock ] || sql "SELECT wtsmgr_stats_reset()" >/dev/null
		t0=$(now_ms)
		sql "UPDATE ckpt SET pad = repeat('$((i % 10))', 300) WHERE i <= $((rows / 4))" >/dev/null
		ms=$(( $(now_ms) - t0 ))
		# the UPDATE's session has exited: its counts are in pg_stat_io
		sleep 1
		io=$(sql "SELECT 'writes=' || coalesce(sum(writes), 0) || ' write_ms=' || round(coalesce(sum(write_time), 0)::numeric, 3)
			FROM pg_stat_io WHERE object = 'relation' AND backend_type = 'client backend'")
		line="config=$cfg round=$round ms=$ms $io $(async_counts $cfg 'client backend')"
		echo "$line" >> "$OUT/results.txt"
		blog "checkpoint [$cfg r$round]: $line"
		pg_stop
	done
done
cp $PGLOG "$OUT/postgres.log"
umount $MNT
