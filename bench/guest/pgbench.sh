#!/bin/bash
# Guest part of "make bench": the same pgbench workload against the same
# freshly initialised database on the atomic NVMe device, BENCH_REPEATS
# times per configuration, interleaved (one round runs every
# configuration once; the next round starts over).  Collects raw data only (pgbench transaction logs, the
# server log, counters before and after each measured window); the host
# turns it into the table and plots (bench/report.py).
#
# Settings come from the environment (bench/run.sh passes them):
#   BENCH_CONFIGS   comma list of stock, wtsmgr, unsafe, directio
#   BENCH_SCALE BENCH_DURATION BENCH_WARMUP BENCH_CLIENTS BENCH_JOBS
#   BENCH_DEVICE    block device for PGDATA (xfs is made on it)
#   BENCH_PG_SETTINGS  the postgresql.conf lines common to every config
#   BENCH_REPEATS   runs per configuration (default 1)
#   BENCH_WORKLOADS tpcb (pgbench's default), insert (random-key B-tree
#                   inserts: UUID keys into an index larger than
#                   shared_buffers), select (pgbench -S, the read-only
#                   control); results of the others than tpcb go under
#                   $WTSMGR_OUT/pgbench-WORKLOAD[-cloud]/
#   BENCH_INSERT_ROWS  rows of the insert workload's table (default 5000000)
#   BENCH_PROFILES  cpu (the device as it is) and/or cloud (the throttled
#                   NVMe device, serial wtsmgr1: vm/run.sh --throttle);
#                   cloud results go under $WTSMGR_OUT/pgbench-cloud/
#   BENCH_ICOUNT_SHIFT  set when QEMU counts instructions (-icount): a
#                   calibration loop runs first
#   BENCH_CLOUD_MIBS BENCH_CLOUD_IOPS  the cloud volume modelled
#   BENCH_CLOUD_SLOWDOWN  "measured" (bench/guest/cpucal.sh here against
#                   BENCH_HOST_CPU_TPS, the host's result of the same
#                   script) or a fixed number: the throttle is the volume
#                   divided by it, set by the host (vm/run.sh
#                   --throttle-ctl) once each cloud run's copy is on the
#                   device, lifted after the window
#   BENCH_CHECKPOINT_EVERY  seconds between the checkpoints that the
#                   benchmark requests during the window (0: only
#                   PostgreSQL's own, checkpoint_timeout)
#
# Per configuration and run, under $WTSMGR_OUT/pgbench/CONFIG/rN/:
#   copy.txt                copy_ms (fresh xfs, the template's copy, sync)
#                           and, cloud only, the throttle set afterwards
#   before.txt, after.txt   KEY VALUE counters at the window's edges
#                           (with the guest's uptime and /proc/stat cpu line)
#   pgbench_log.*           one line per transaction (pgbench -l)
#   pgbench.txt             pgbench's summary
#   samples.txt             each second: time_ms wal_bytes dev_write_req
#                           dev_write_sectors dev_flush
#   postgres.log            server log (checkpoint lines, epoch ms prefix)
#   waldump.txt             pg_waldump --stats over the window's LSN range
#   settings.txt            every non-default setting of the server
#   wtsmgr_status.txt, wtsmgr_stats.txt  (wtsmgr only)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CONFIGS=${BENCH_CONFIGS:-stock,wtsmgr,unsafe}
SCALE=${BENCH_SCALE:-30}
DURATION=${BENCH_DURATION:-180}
WARMUP=${BENCH_WARMUP:-20}
CLIENTS=${BENCH_CLIENTS:-4}
JOBS=${BENCH_JOBS:-2}
REPEATS=${BENCH_REPEATS:-1}
PROFILES=${BENCH_PROFILES:-cpu}
WORKLOADS=${BENCH_WORKLOADS:-tpcb}
INSERT_ROWS=${BENCH_INSERT_ROWS:-5000000}
IFS=, read -r -a workloads <<< "$WORKLOADS"
for wl in "${workloads[@]}"; do
	case "$wl" in tpcb|insert|select) ;; *) bdie "unknown workload '$wl' (tpcb, insert, select)";; esac
done
# The insert workload: one row with a random UUID key per transaction,
# so every insert dirties a random leaf of the index.
echo 'INSERT INTO bench_uuid (k, v) VALUES (gen_random_uuid(), :client_id);' > /tmp/insert.sql
chmod 644 /tmp/insert.sql
DEV=${BENCH_DEVICE:-/dev/nvme0n1}
TEMPLATE_DEV=${BENCH_TEMPLATE_DEVICE:-/dev/vdb}
OUT=$WTSMGR_OUT/pgbench
MNT=/mnt/bench
TMNT=/mnt/template
PGDATA=$MNT/pgdata
PGLOG=/tmp/postgres.log
export PGHOST=/tmp PGDATABASE=postgres

[ -b "$DEV" ] || bdie "no block device $DEV"
[ -b "$TEMPLATE_DEV" ] || bdie "no block device $TEMPLATE_DEV for the template"
IFS=, read -r -a profiles <<< "$PROFILES"
CPU_DEV=$DEV
CLOUD_DEV=
for p in "${profiles[@]}"; do
	case "$p" in
	cpu) ;;
	cloud)
		for s in /sys/block/nvme*/device/serial; do
			[ "$(tr -d ' ' < "$s" 2>/dev/null)" = wtsmgr1 ] || continue
			b=${s#/sys/block/}; CLOUD_DEV=/dev/${b%%/*}
		done
		[ -n "$CLOUD_DEV" ] && [ "$CLOUD_DEV" != "$DEV" ] ||
			bdie "profile cloud: no throttled NVMe device (serial wtsmgr1; vm/run.sh --throttle)"
		blog "profile cloud: throttled device $CLOUD_DEV";;
	*) bdie "unknown profile '$p' (cpu, cloud)";;
	esac
done
mkdir -p "$OUT" $MNT $TMNT
CKPT_EVERY=${BENCH_CHECKPOINT_EVERY:-0}

pg() { runuser -u postgres -- "$@"; }
sql() { pg psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }
pg_start() {
	pg pg_ctl -D "$1" -w -t 300 -l $PGLOG \
		-o "-k /tmp -c listen_addresses=''" start >/dev/null && return 0
	tail -n 30 $PGLOG >&2
	bdie "PostgreSQL did not start (config ${2:-template})"
}
pg_stop() { pg pg_ctl -D "$1" -w -t 600 -m fast stop >/dev/null; }

# The wtsmgr check is the one that can fail (until the kernel has
# buffered RWF_ATOMIC): run that configuration first, so a failing check
# costs one database copy, not the others' runs.  The results are
# reported in the usual order whatever the order of the runs.
order=()
case ",$CONFIGS," in *,wtsmgr,*) order+=(wtsmgr);; esac
IFS=, read -r -a listed <<< "$CONFIGS"
for c in "${listed[@]}"; do
	case "$c" in
	stock|unsafe|directio) order+=("$c");;
	wtsmgr) ;;
	*) bdie "unknown configuration '$c' (stock, wtsmgr, unsafe, directio)";;
	esac
done
n_cfg=${#order[@]}
n_runs=$((n_cfg * REPEATS * ${#profiles[@]} * ${#workloads[@]}))

if [ "${order[0]}" = wtsmgr ]; then
	stage=/wtsmgr/build/ext-stage
	[ -d $stage/usr ] || bdie "the extension is not staged in $stage (vm/build-extension.sh)"
	cp -a $stage/. /
fi

# Instruction counter: an idle baseline (PostgreSQL not running) and a
# calibration loop of a known number of instructions.
if [ -n "${BENCH_INSN:-}" ]; then
	blog "instruction counter: idle baseline (10 s) and calibration"
	insn_mark idle-start; sleep 10; insn_mark idle-end
	insn_mark calib-start
	/wtsmgr/build/bench/insnloop 500000000 > "$OUT/calibration.txt"
	insn_mark calib-end
fi
# Under -icount guest CPU time is an instruction count: the same loop,
# with the CPU counters around it, checks the conversion.
if [ -n "${BENCH_ICOUNT_SHIFT:-}" ]; then
	blog "icount (shift $BENCH_ICOUNT_SHIFT): calibration loop"
	cpusnap > "$OUT/icount-calib-before.txt"
	/wtsmgr/build/bench/insnloop 250000000 > "$OUT/icount-calibration.txt"
	cpusnap > "$OUT/icount-calib-after.txt"
fi

# The guest's CPU speed against the host's: the same single-threaded
# program (gzip of a fixed text; the host times it in the guest root as a
# chroot), fastest of three.
# Not in the instruction-count pass (its clock is an instruction count).
if [ -z "${BENCH_ICOUNT_SHIFT:-}" ]; then
	for k in 1 2 3; do
		a=$(now_ms)
		seq 1 1000000 | gzip -6 | wc -c > /dev/null
		echo $(( $(now_ms) - a ))
	done | sort -n | head -n 1 | sed 's/^/guest_ms /' > "$OUT/cpu-speed.txt"
	blog "CPU speed: gzip test $(cut -d' ' -f2 "$OUT/cpu-speed.txt") ms in the guest"
fi

# The cloud volume's throttle: the modelled volume divided by the guest's
# CPU slowdown against the host, measured here (the same pgbench on a
# database in memory, here and on the host) unless a fixed one is given.
cloud_bps=0 cloud_iops=0
if [ -n "$CLOUD_DEV" ]; then
	mibs=${BENCH_CLOUD_MIBS:-125} iops=${BENCH_CLOUD_IOPS:-3000}
	slowdown=${BENCH_CLOUD_SLOWDOWN:-measured}
	source=fixed guest_tps= host_tps=${BENCH_HOST_CPU_TPS:-}
	if [ "$slowdown" = measured ]; then
		source=measured
		blog "cloud volume: measuring the guest's CPU slowdown (pgbench in memory, ${BENCH_CPUCAL_SECONDS:-15} s; host: ${host_tps:-?} TPS)"
		guest_tps=$(bash "$(dirname "$0")/cpucal.sh" "${BENCH_CPUCAL_SECONDS:-15}" |
			sed -n 's/^tps //p' | tail -n 1) || guest_tps=
		slowdown=$(awk -v h="$host_tps" -v g="$guest_tps" 'BEGIN {
			if (h + 0 > 0 && g + 0 > 0) printf "%.2f", h / g }')
		if [ -z "$slowdown" ]; then
			blog "cloud volume: the slowdown could not be measured (host ${host_tps:-?}, guest ${guest_tps:-?} TPS); assuming 20"
			source=assumed slowdown=20
		fi
	fi
	cloud_bps=$(awk -v m="$mibs" -v s="$slowdown" 'BEGIN { printf "%d", m * 1048576 / s }')
	cloud_iops=$(awk -v i="$iops" -v s="$slowdown" 'BEGIN { v = int(i / s + 0.5); printf "%d", v < 1 ? 1 : v }')
	[ "$cloud_bps" -ge 4096 ] || cloud_bps=4096
	printf '%s\n' "source $source" "slowdown $slowdown" "host_tps ${host_tps:-}" "guest_tps ${guest_tps:-}" \
		"mibs $mibs" "iops $iops" "bps $cloud_bps" "iops_throttle $cloud_iops" > "$OUT/cloud-throttle.txt"
	blog "cloud volume: slowdown $slowdown ($source): throttle $cloud_bps B/s, $cloud_iops IOPS, set after each copy"
	throttle_set 0 0
fi

# 1. The template: initdb and pgbench -i once, on the scratch disk; each
# configuration gets an identical copy on a fresh xfs on $DEV.  With
# BENCH_TEMPLATE_REUSE, a template of the same scale already on the disk
# (an earlier boot's, kept by the host) is used as it is.
t0=$(date +%s)
key="scale=$SCALE"
case ",$WORKLOADS," in *,insert,*) key="$key insert_rows=$INSERT_ROWS";; esac
reuse=0
if [ -n "${BENCH_TEMPLATE_REUSE:-}" ] && mount "$TEMPLATE_DEV" $TMNT 2>/dev/null; then
	if [ "$(cat $TMNT/template.key 2>/dev/null)" = "$key" ]; then
		reuse=1
	else
		umount $TMNT
	fi
fi
if [ $reuse = 1 ]; then
	blog "template: reusing the one on $TEMPLATE_DEV ($key)"
	cp $TMNT/database-bytes.txt $TMNT/accounts-bytes.txt "$OUT/"
else
blog "template: initdb and pgbench -i -s $SCALE on $TEMPLATE_DEV"
mkfs.ext4 -q -F "$TEMPLATE_DEV"
mount "$TEMPLATE_DEV" $TMNT
mkdir $TMNT/pgdata && chown postgres: $TMNT/pgdata
pg initdb -D $TMNT/pgdata -A trust --no-sync >/dev/null
cat >> $TMNT/pgdata/postgresql.conf <<CONF

# bench: the common settings, then the configuration's own
include = 'bench.conf'
CONF
# The template keeps no WAL beyond what PostgreSQL itself keeps: every
# configuration copies it.
printf '%s\n' "$BENCH_PG_SETTINGS" "wal_keep_size = 0" > $TMNT/pgdata/bench.conf
chown postgres: $TMNT/pgdata/bench.conf
pg_start $TMNT/pgdata
# pgbench -i -q reports every 5 s: those lines are the progress line.
pg pgbench -i -q -s "$SCALE" 2>&1 | tee "$OUT/pgbench-init.txt" |
	while read -r line; do
		case "$line" in *" done (elapsed"*) blog "[template] pgbench -i: ${line%%(elapsed*}";; esac
	done ||
	{ tail "$OUT/pgbench-init.txt" >&2; bdie "pgbench -i failed"; }
case "$key" in
*insert_rows=*)
	blog "template: bench_uuid, $INSERT_ROWS rows with random UUID keys, and its index"
	sql "CREATE TABLE bench_uuid (k uuid NOT NULL, v int NOT NULL)" >/dev/null
	sql "INSERT INTO bench_uuid SELECT gen_random_uuid(), 0 FROM generate_series(1, $INSERT_ROWS)" >/dev/null
	sql "ALTER TABLE bench_uuid ADD PRIMARY KEY (k)" >/dev/null
	sql "VACUUM ANALYZE bench_uuid" >/dev/null
	blog "template: bench_uuid index $(( $(sql "SELECT pg_relation_size('bench_uuid_pkey')") / 1048576 )) MiB";;
esac
sql "SELECT pg_database_size('postgres')" > "$OUT/database-bytes.txt"
sql "SELECT pg_relation_size('pgbench_accounts')" > "$OUT/accounts-bytes.txt"
pg_stop $TMNT/pgdata
cp "$OUT/database-bytes.txt" "$OUT/accounts-bytes.txt" $TMNT/
sync
echo "$key" > $TMNT/template.key
sync
fi
blog "template ready in $(( $(date +%s) - t0 )) s: database $(( $(cat "$OUT/database-bytes.txt") / 1048576 )) MiB"
printf '%s\n' "$BENCH_PG_SETTINGS" > "$OUT/common-settings.txt"

i=0
for run in $(seq "$REPEATS"); do
for prof in "${profiles[@]}"; do
for wl in "${workloads[@]}"; do
# Each round starts one configuration later (round 1: wtsmgr, stock,
# unsafe; round 2: stock, unsafe, wtsmgr; ...), so that no configuration
# always runs in the same position.
rot=$(( (run - 1) % n_cfg ))
for cfg in "${order[@]:rot}" "${order[@]:0:rot}"; do
	i=$((i + 1))
	sub=pgbench
	[ "$wl" = tpcb ] || sub=$sub-$wl
	if [ "$prof" = cloud ]; then
		DEV=$CLOUD_DEV
		sub=$sub-cloud
	else
		DEV=$CPU_DEV
	fi
	tag="[$cfg r$run, $i/$n_runs]"
	[ "$sub" = pgbench ] || tag="[${sub#pgbench-} $cfg r$run, $i/$n_runs]"
	d=$WTSMGR_OUT/$sub/$cfg/r$run
	case $wl in
	tpcb) wl_args=();;
	select) wl_args=(-S);;
	insert) wl_args=(-f /tmp/insert.sql);;
	esac
	mkdir -p "$d"

	# 2. A fresh xfs on the device and the template's copy, cold caches.
	# The cloud device is throttled only once the copy is on it.
	grep -q "^$DEV " /proc/mounts && umount "$DEV"
	copy0=$(now_ms)
	mkfs.xfs -f -q "$DEV"
	mount -t xfs "$DEV" $MNT
	cp -a $TMNT/pgdata $PGDATA
	{
		printf '%s\n' "$BENCH_PG_SETTINGS"
		echo "# configuration $cfg"
		case $cfg in
		stock) echo "full_page_writes = on";;
		unsafe) echo "full_page_writes = off";;
		directio) printf '%s\n' "full_page_writes = on" "debug_io_direct = data";;
		# No full_page_writes line: an explicit "on" would win over
		# wtsmgr's decision (wtsmgr.full_page_writes = auto).
		wtsmgr) printf '%s\n' "shared_preload_libraries = 'wtsmgr'" \
			"wtsmgr.mode = atomic" "wtsmgr.full_page_writes = auto";;
		esac
	} > $PGDATA/bench.conf
	cp $PGDATA/bench.conf "$d/bench.conf"
	sync
	echo 3 > /proc/sys/vm/drop_caches
	echo "copy_ms $(( $(now_ms) - copy0 ))" > "$d/copy.txt"
	if [ "$prof" = cloud ]; then
		throttle_set "$cloud_bps" "$cloud_iops"
		printf '%s\n' "throttle_bps $cloud_bps" "throttle_iops $cloud_iops" >> "$d/copy.txt"
		blog "$tag copied in $(( ($(now_ms) - copy0) / 1000 )) s; device throttled to $cloud_bps B/s, $cloud_iops IOPS"
	fi
	rm -f $PGLOG
	pg_start $PGDATA "$cfg"

	if [ "$cfg" = wtsmgr ]; then
		sql "CREATE EXTENSION wtsmgr" >/dev/null
		sql "SELECT * FROM wtsmgr_status" > "$d/wtsmgr_status.txt"
		pg psql -X -c "SELECT * FROM wtsmgr_locations" >> "$d/wtsmgr_status.txt"
		fpw=$(sql "SHOW full_page_writes")
		if [ "$fpw" != off ]; then
			reason=$(sql "SELECT full_page_writes_reason FROM wtsmgr_status")
			cp $PGLOG "$d/postgres.log"
			pg_stop $PGDATA || true
			bdie "configuration wtsmgr: wtsmgr's safety check did not turn full_page_writes off (it is $fpw): $reason.
The comparison needs a kernel with buffered RWF_ATOMIC; to run the other configurations meanwhile use BENCH_CONFIGS=stock,unsafe."
		fi
		blog "$tag wtsmgr turned full_page_writes off: $(sql "SELECT full_page_writes_reason FROM wtsmgr_status")"
	fi
	sql "SELECT name, setting FROM pg_settings WHERE source NOT IN ('default', 'override') ORDER BY name" \
		> "$d/settings.txt"

	if [ "$WARMUP" -gt 0 ]; then
		blog "$tag warm-up ${WARMUP} s"
		pg pgbench -n "${wl_args[@]}" -T "$WARMUP" -c "$CLIENTS" -j "$JOBS" > "$d/warmup.txt" 2>&1
	fi
	# A checkpoint right before the window: every configuration starts
	# its window at the beginning of a checkpoint cycle.
	sql "CHECKPOINT" >/dev/null

	snapshot() {
		echo "time_ms $(now_ms)"
		echo "lsn $(sql "SELECT pg_current_wal_lsn()")"
		echo "lsn_bytes $(sql "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")"
		sql "SELECT 'wal_records ' || wal_records, 'wal_fpi ' || wal_fpi,
			'wal_bytes ' || wal_bytes, 'wal_buffers_full ' || wal_buffers_full
			FROM pg_stat_wal" | tr '|' '\n'
		sql "SELECT 'ckpt_timed ' || num_timed, 'ckpt_requested ' || num_requested,
			'ckpt_done ' || num_done, 'ckpt_buffers_written ' || buffers_written
			FROM pg_stat_checkpointer" | tr '|' '\n'
		sql "SELECT 'xact_commit ' || xact_commit FROM pg_stat_database WHERE datname = 'postgres'"
		# Relation (data) pages written by every process: 8 kB each.
		sql "SELECT 'data_page_writes ' || coalesce(sum(writes), 0) FROM pg_stat_io WHERE object = 'relation'"
		# Client backends' own data writes and the time they took
		# (track_io_timing): their mean write latency.
		sql "SELECT 'backend_writes ' || coalesce(sum(writes), 0), 'backend_write_ms ' || coalesce(sum(write_time), 0)
			FROM pg_stat_io WHERE object = 'relation' AND backend_type = 'client backend'" | tr '|' '\n'
		echo "devstat $(devstat "$DEV")"
		cpusnap
	}
	# Once a second during the window: WAL position and the device's
	# write counters, through one psql session (cheap).  Stops when the
	# flag file goes.
	sampler() {
		local st
		while [ -e /tmp/sampling ]; do
			read -r -a st < "/sys/block/${DEV##*/}/stat"
			echo "SELECT '$(now_ms) ' || (pg_current_wal_lsn() - '0/0'::pg_lsn) || ' ${st[4]} ${st[6]} ${st[15]}';"
			sleep 1
		done | pg psql -X -At -q > "$d/samples.txt"
	}
	# Checkpoints at a pace that fits the window (PostgreSQL's own
	# checkpoint_timeout cannot go below 30 s): one every CKPT_EVERY
	# seconds from the window's start, until pgbench ends (the flag file
	# goes).  In PostgreSQL 18 a requested checkpoint is a fast one.
	pacer() {
		local k=1 t0 due
		t0=$(now_ms)
		while [ -e /tmp/pacing ]; do
			due=$((t0 + k * CKPT_EVERY * 1000))
			while [ -e /tmp/pacing ] && [ "$(now_ms)" -lt $due ]; do sleep 0.2; done
			[ -e /tmp/pacing ] || break
			sql "CHECKPOINT" >/dev/null || true
			k=$((k + 1))
		done
	}
	# wtsmgr's own counters cover the window only.
	[ "$cfg" = wtsmgr ] && sql "SELECT wtsmgr_stats_reset()" >/dev/null
	snapshot > "$d/before.txt"
	touch /tmp/sampling
	sampler &
	sampler_pid=$!
	pacer_pid=
	if [ "$CKPT_EVERY" -gt 0 ]; then
		touch /tmp/pacing
		pacer &
		pacer_pid=$!
	fi
	insn_mark "$cfg-r$run-start"
	# The CPU counters right around pgbench (the snapshots' own psql
	# calls stay outside).
	cpusnap > "$d/cpu-before.txt"
	rm -rf /tmp/pgb && mkdir /tmp/pgb && chown postgres: /tmp/pgb
	# pgbench's progress lines (stderr) become ours; its summary (stdout)
	# goes to a file.  "set -o pipefail" keeps pgbench's exit status.
	pg pgbench -n "${wl_args[@]}" -T "$DURATION" -c "$CLIENTS" -j "$JOBS" -P 5 \
		-l --log-prefix=/tmp/pgb/pgbench_log 2>&1 >"$d/pgbench.txt" |
	while read -r line; do
		case "$line" in
		progress:*)
			set -- $line
			blog "$tag ${2%.0}/$DURATION s, ${4} tps, lat ${7} ms";;
		*) echo "$line";;
		esac
	done
	rm -f /tmp/pacing
	cpusnap > "$d/cpu-after.txt"
	insn_mark "$cfg-r$run-end"
	snapshot > "$d/after.txt"
	rm -f /tmp/sampling
	wait $sampler_pid || true
	# The throttle covers the warm-up and the window only (a checkpoint
	# still running then finishes at full speed).
	[ "$prof" != cloud ] || throttle_set 0 0
	[ -z "$pacer_pid" ] || wait $pacer_pid || true
	# Data pages again once a checkpoint still running at the window's end
	# has finished: processes report their pg_stat_io counts only at the
	# end of a round (the checkpointer after each checkpoint), so the
	# reading right after pgbench can lack a whole checkpoint's pages.
	sleep 1
	sql "SELECT 'data_page_writes_settled ' || coalesce(sum(writes), 0) FROM pg_stat_io WHERE object = 'relation'" \
		>> "$d/after.txt"
	# Likewise the client backends' writes: a busy backend reports them
	# only when it exits, which pgbench's have done by now.
	sql "SELECT 'backend_writes_settled ' || coalesce(sum(writes), 0), 'backend_write_ms_settled ' || coalesce(sum(write_time), 0)
		FROM pg_stat_io WHERE object = 'relation' AND backend_type = 'client backend'" | tr '|' '\n' >> "$d/after.txt"
	cp /tmp/pgb/pgbench_log* "$d/"
	lsn1=$(sed -n 's/^lsn //p' "$d/before.txt")
	lsn2=$(sed -n 's/^lsn //p' "$d/after.txt")
	blog "$tag pg_waldump --stats $lsn1 .. $lsn2"
	pg pg_waldump --stats -p $PGDATA/pg_wal -s "$lsn1" -e "$lsn2" > "$d/waldump.txt" 2>&1 ||
		blog "$tag pg_waldump failed (see waldump.txt); full-page image bytes will be missing"
	if [ "$cfg" = wtsmgr ]; then
		sql "SELECT 'atomic_writes ' || sum(atomic_writes), 'atomic_bytes ' || sum(atomic_bytes),
			'writethrough_writes ' || sum(writethrough_writes),
			'passthrough_writes ' || sum(passthrough_writes),
			'atomic_failures ' || sum(atomic_failures),
			'wal_segments_write_zeroes ' || sum(wal_segments_write_zeroes),
			'wal_segments_fallback ' || sum(wal_segments_fallback)
			FROM wtsmgr_stats" | tr '|' '\n' > "$d/wtsmgr_stats.txt"
		pg psql -X -c "SELECT * FROM wtsmgr_stats" >> "$d/wtsmgr_stats.txt"
	fi
	# The copy is thrown away: no shutdown checkpoint (on the throttled
	# device it would take as long as a run).
	pg pg_ctl -D $PGDATA -w -t 600 -m immediate stop >/dev/null
	cp $PGLOG "$d/postgres.log"
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$d/pgbench.txt")
	blog "$tag done: ${tps:-?} tps"
	umount $MNT
done
done
done
done
umount $TMNT
blog "pgbench: all ${n_cfg} configurations done, $REPEATS run(s) each"
