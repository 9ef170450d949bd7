#!/bin/bash
# "make bench": build what is missing, boot our kernel in the VM, run the
# benchmarks there and turn their raw data into a report: a markdown
# table (results.md, also printed at the end), CSV files and PNG plots.
#
# Sub-benchmarks (BENCH, comma list; default pgbench,walinit; "all" = the five):
#   pgbench  the same pgbench workload on the same freshly initialised
#            database (xfs on the atomic NVMe device) under each
#            configuration, BENCH_REPEATS times, interleaved, each round
#            starting one configuration later (wtsmgr, stock, unsafe;
#            stock, unsafe, wtsmgr; unsafe, wtsmgr, stock; ...):
#              stock     wtsmgr not loaded, full_page_writes on
#              wtsmgr    wtsmgr in atomic mode; its safety check must have
#                        turned full_page_writes off, else the run FAILS
#              unsafe    stock with full_page_writes off (the ceiling;
#                        no torn-page protection: unsafe)
#              directio  debug_io_direct=data, full_page_writes on
#                        (developer-only setting; not in the default list)
#   walinit  16 MiB WAL segment creation: FALLOC_FL_WRITE_ZEROES against
#            writing zeroes, on ext4 and xfs on the NVMe device
#   kernel   issue 11's figures: write-through against O_DIRECT (4 KiB
#            random overwrites at io_uring QD32, 16 KiB atomic at QD32, 4
#            synchronous threads, QD1, CPU per write, a buffered reader's
#            p99 latency, RWF_DSYNC requests and flushes on a volatile
#            write cache) and the seeds' costs (O_DSYNC into 64 KiB and 2
#            MiB folios, 1 KiB overwrites, ext4 against xfs), on xfs and
#            ext4 (bigalloc for atomic), BENCH_KERNEL_REPEATS rounds
#            (bench/guest/kernel.sh); about 7 minutes under TCG
#   checkpoint  issue 13's checkpoint figure: the time of a CHECKPOINT that
#            writes the same dirty buffers (a table of BENCH_CKPT_MB) under
#            stock PostgreSQL, wtsmgr with synchronous writes and wtsmgr
#            with asynchronous ones, BENCH_CKPT_ROUNDS rounds interleaved
#            (bench/guest/checkpoint.sh); stock-wb: stock PostgreSQL with
#            BENCH_CKPT_WB_CONTEXTS writeback contexts on the device
#   writeback  issue 15's figures: background writeback throughput with 1,
#            2 and 4 writeback contexts per device, on xfs and ext4, many
#            files and one (bench/guest/writeback.sh), BENCH_WB_ROUNDS
#            rounds; about 8 minutes under TCG
#
# Options (environment variables, or make variables: make bench BENCH_SCALE=10):
#   BENCH_CONFIGS    pgbench configurations (default stock,wtsmgr,unsafe)
#   BENCH_SCALE      pgbench scale (default 20: about 300 MB, 2.3 times
#                    shared_buffers; each cloud run copies it onto the
#                    cloud device before the device is throttled)
#   BENCH_DURATION   measured seconds per run (default 60)
#   BENCH_REPEATS    runs per configuration (default 3; the report shows
#                    the median and the range of every figure)
#   BENCH_WORKLOADS  tpcb (pgbench's TPC-B-like default), insert (random-key
#                    B-tree inserts: one row with a UUID key per
#                    transaction into a table whose index is larger than
#                    shared_buffers), select (pgbench -S: the read-only
#                    control); comma list, default tpcb (each one adds
#                    as many runs again)
#   BENCH_INSERT_ROWS  rows loaded into the insert workload's table
#                    (default 5000000: an index of about 150 MiB; 1.5
#                    million rows gave 45 MiB)
#   BENCH_PROFILES   cpu and/or cloud (default cpu,cloud): cpu runs on the
#                    NVMe device as it is (under TCG the guest is then
#                    CPU-bound); cloud on a second NVMe device throttled
#                    like a provisioned cloud volume, scaled down by the
#                    guest's slowdown against the host.  The throttle is
#                    set through QEMU's monitor (vm/run.sh --throttle-ctl)
#                    only once each run's copy of the database is on the
#                    device, and lifted after the window
#   BENCH_CLOUD_MIBS, BENCH_CLOUD_IOPS  the volume modelled (default 125
#                    MiB/s and 3000 IOPS, a gp3-like baseline); for a
#                    bandwidth-bound volume e.g. BENCH_CLOUD_MIBS=25
#                    BENCH_CLOUD_IOPS=100000
#   BENCH_CLOUD_SLOWDOWN  the guest's CPU slowdown against the host used to
#                    scale them: "measured" (default: the TPS of the same
#                    short pgbench on a database in memory, on the host in
#                    the guest root as a chroot and in the guest,
#                    bench/guest/cpucal.sh) or a fixed number (20 was the
#                    earlier assumption)
#   BENCH_CPUCAL_SECONDS  length of that measurement on each side (default 15)
#   BENCH_CHECKPOINT_EVERY  seconds between the checkpoints that the
#                    benchmark requests during each window (default 11:
#                    five complete cycles in the default 60 s window;
#                    PostgreSQL's checkpoint_timeout cannot be below 30 s,
#                    and in PostgreSQL 18 a requested checkpoint is a fast
#                    one); 0 = PostgreSQL's own timed checkpoints only
#                    (BENCH_CHECKPOINT_TIMEOUT)
#   BENCH_INSN       icount (default under TCG) or off: after the main
#                    runs, a second boot under QEMU -icount (one vCPU)
#                    runs each configuration once more to count guest
#                    instructions per transaction
#   BENCH_INSN_DURATION  measured (guest) seconds of that pass (default 10:
#                    about 1,000 transactions; under -icount a guest second
#                    takes about 3 s on this host), after a warm-up of at
#                    most 5 s
#   BENCH_ICOUNT_SHIFT   2^shift ns of guest time per instruction (default 3)
#   BENCH_WARMUP     warm-up seconds before each window (default 10)
#   BENCH_CLIENTS    pgbench clients (default 4); BENCH_JOBS threads (2)
#   BENCH_DEVICE     guest block device for the data (default /dev/nvme0n1)
#   BENCH_CHECKPOINT_TIMEOUT  (default 30s); BENCH_SHARED_BUFFERS (128MB)
#   BENCH_WAL_SEGMENTS        segments per walinit run (default 32)
#   BENCH_KERNEL_SECONDS      seconds per timed kernel run (default 5)
#   BENCH_KERNEL_FILE_MB      kernel benchmark file size (default 256)
#   BENCH_KERNEL_REPEATS      kernel rounds, interleaved (default 3)
#   BENCH_KERNEL_FOLIO_MB     file of the folio and 1 KiB tests (default 32)
#   BENCH_CKPT_MB             checkpoint benchmark table size (default 256)
#   BENCH_CKPT_ROUNDS         checkpoint rounds, interleaved (default 3)
#   BENCH_CKPT_WB_CONTEXTS    writeback contexts of the stock-wb rounds
#                             (default 4)
#   BENCH_WB_ROUNDS           writeback rounds, interleaved (default 3)
#   BENCH_OUT        results folder (default bench/results/YYYYmmdd-HHMMSS;
#                    bench/results/latest points at the last one)
#   BENCH_NO_BUILD=1 skip the build steps (use what is built)
#   BENCH_BUILD_KERNEL=1  run kernel/build.sh even when a kernel exists
#   BENCH_ACCEL      tcg or kvm (default: kvm where the CPU has vmx/svm)
#   BENCH_QEMU_CPU   TCG only: QEMU's CPU model for the guest (default
#                    max); e.g. max,-fsrm,-erms makes the guest kernel copy
#                    with rep movsq instead of rep movsb, which TCG emulates
#                    a byte at a time (see README, kernel write paths)
#
# The kernel is built only when there is none: the bzImage that exists is
# the one benchmarked (its release and date are in the report), so that
# a benchmark never rebuilds a kernel under development.
set -euo pipefail
. "$(dirname "$0")/../vm/lib/common.sh"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
case "${1:-}" in
-h|--help) usage; exit 0;;
?*) die "no arguments (settings are environment or make variables; see bench/bench.sh --help)";;
esac

# The command as typed, with the BENCH* variables that were set (before
# any of them is rewritten below), for the report.
vars=$(for v in $(compgen -e | grep '^BENCH' | grep -vx BENCH_COMMAND); do
	case "${!v}" in
	*[!A-Za-z0-9_,./:=+-]*) printf '%s=%q ' "$v" "${!v}";;
	*) printf '%s=%s ' "$v" "${!v}";;
	esac
done)
if [ -n "${BENCH_COMMAND:-}" ]; then
	command="$BENCH_COMMAND ${vars% }"
else
	command="${vars}bench/bench.sh"
fi
command=${command% }

BENCH=${BENCH:-pgbench,walinit}
CONFIGS=${BENCH_CONFIGS:-stock,wtsmgr,unsafe}
SCALE=${BENCH_SCALE:-20}
DURATION=${BENCH_DURATION:-60}
REPEATS=${BENCH_REPEATS:-3}
PROFILES=${BENCH_PROFILES:-cpu,cloud}
WORKLOADS=${BENCH_WORKLOADS:-tpcb}
INSERT_ROWS=${BENCH_INSERT_ROWS:-5000000}
CLOUD_MIBS=${BENCH_CLOUD_MIBS:-125}
CLOUD_IOPS=${BENCH_CLOUD_IOPS:-3000}
CLOUD_SLOWDOWN=${BENCH_CLOUD_SLOWDOWN:-measured}
CPUCAL_SECONDS=${BENCH_CPUCAL_SECONDS:-15}
CKPT_EVERY=${BENCH_CHECKPOINT_EVERY:-11}
INSN=${BENCH_INSN:-icount}
INSN_DURATION=${BENCH_INSN_DURATION:-10}
ICOUNT_SHIFT=${BENCH_ICOUNT_SHIFT:-3}
WARMUP=${BENCH_WARMUP:-10}
CLIENTS=${BENCH_CLIENTS:-4}
JOBS=${BENCH_JOBS:-2}
DEVICE=${BENCH_DEVICE:-/dev/nvme0n1}
CKPT=${BENCH_CHECKPOINT_TIMEOUT:-30s}
SB=${BENCH_SHARED_BUFFERS:-128MB}
WAL_SEGMENTS=${BENCH_WAL_SEGMENTS:-32}
KSECS=${BENCH_KERNEL_SECONDS:-5}
KMB=${BENCH_KERNEL_FILE_MB:-256}
KREPEATS=${BENCH_KERNEL_REPEATS:-3}
KFMB=${BENCH_KERNEL_FOLIO_MB:-32}
CKPT_MB=${BENCH_CKPT_MB:-256}
CKPT_ROUNDS=${BENCH_CKPT_ROUNDS:-3}
CKPT_WBC=${BENCH_CKPT_WB_CONTEXTS:-4}
WB_ROUNDS=${BENCH_WB_ROUNDS:-3}
ACCEL=${BENCH_ACCEL:-$(default_accel)}
QEMU_CPU=${BENCH_QEMU_CPU:-max}
stamp=$(date +%Y%m%d-%H%M%S)
OUTDIR=${BENCH_OUT:-$REPO/bench/results/$stamp}

# Check every option before building or booting anything.
[ "$BENCH" = all ] && BENCH=pgbench,walinit,kernel,checkpoint,writeback
IFS=, read -r -a benches <<< "$BENCH"
for b in "${benches[@]}"; do
	case "$b" in pgbench|walinit|kernel|checkpoint|writeback) ;;
	*) die "BENCH: unknown sub-benchmark '$b' (pgbench, walinit, kernel, checkpoint, writeback or all)";; esac
done
IFS=, read -r -a configs <<< "$CONFIGS"
[ ${#configs[@]} -gt 0 ] || die "BENCH_CONFIGS is empty"
for c in "${configs[@]}"; do
	case "$c" in stock|wtsmgr|unsafe|directio) ;;
	*) die "BENCH_CONFIGS: unknown configuration '$c' (stock, wtsmgr, unsafe, directio)";; esac
done
case "$INSN" in icount|off) ;; *) die "BENCH_INSN is icount or off (got '$INSN')";; esac
IFS=, read -r -a profiles <<< "$PROFILES"
[ ${#profiles[@]} -gt 0 ] || die "BENCH_PROFILES is empty"
for p in "${profiles[@]}"; do
	case "$p" in cpu|cloud) ;; *) die "BENCH_PROFILES: unknown profile '$p' (cpu, cloud)";; esac
done
IFS=, read -r -a workloads <<< "$WORKLOADS"
[ ${#workloads[@]} -gt 0 ] || die "BENCH_WORKLOADS is empty"
for wl in "${workloads[@]}"; do
	case "$wl" in tpcb|insert|select) ;; *) die "BENCH_WORKLOADS: unknown workload '$wl' (tpcb, insert, select)";; esac
done
for v in CLOUD_MIBS CLOUD_IOPS INSERT_ROWS CPUCAL_SECONDS; do
	case "${!v}" in ''|*[!0-9]*|0) die "BENCH_$v must be a positive whole number (got '${!v}')";; esac
done
[ "$CLOUD_SLOWDOWN" = measured ] || [[ "$CLOUD_SLOWDOWN" =~ ^[0-9]+(\.[0-9]+)?$ && ! "$CLOUD_SLOWDOWN" =~ ^0+(\.0+)?$ ]] ||
	die "BENCH_CLOUD_SLOWDOWN is 'measured' or a positive number (got '$CLOUD_SLOWDOWN')"
[[ "$CKPT_MB" =~ ^[0-9]+$ ]] && [ "$CKPT_MB" -ge 8 ] && [ "$CKPT_MB" -le 1024 ] ||
	die "BENCH_CKPT_MB must be from 8 to 1024 (got '$CKPT_MB')"
[[ "$CKPT_ROUNDS" =~ ^[0-9]+$ ]] && [ "$CKPT_ROUNDS" -ge 1 ] && [ "$CKPT_ROUNDS" -le 20 ] ||
	die "BENCH_CKPT_ROUNDS must be from 1 to 20 (got '$CKPT_ROUNDS')"
[[ "$CKPT_WBC" =~ ^[0-9]+$ ]] && [ "$CKPT_WBC" -ge 1 ] && [ "$CKPT_WBC" -le 16 ] ||
	die "BENCH_CKPT_WB_CONTEXTS must be from 1 to 16 (got '$CKPT_WBC')"
[[ "$WB_ROUNDS" =~ ^[0-9]+$ ]] && [ "$WB_ROUNDS" -ge 1 ] && [ "$WB_ROUNDS" -le 20 ] ||
	die "BENCH_WB_ROUNDS must be from 1 to 20 (got '$WB_ROUNDS')"
for v in SCALE DURATION WARMUP CLIENTS JOBS WAL_SEGMENTS KSECS KMB REPEATS INSN_DURATION ICOUNT_SHIFT CKPT_EVERY KREPEATS KFMB; do
	case "${!v}" in ''|*[!0-9]*) die "BENCH_$(echo "$v" | sed 's/^CKPT_EVERY$/CHECKPOINT_EVERY/; s/^KSECS$/KERNEL_SECONDS/; s/^KMB$/KERNEL_FILE_MB/; s/^KREPEATS$/KERNEL_REPEATS/; s/^KFMB$/KERNEL_FOLIO_MB/') must be a whole number (got '${!v}')";; esac
done
[ "$KREPEATS" -ge 1 ] && [ "$KREPEATS" -le 20 ] || die "BENCH_KERNEL_REPEATS must be from 1 to 20"
[ "$KSECS" -ge 1 ] && [ "$KMB" -ge 16 ] && [ "$KFMB" -ge 4 ] ||
	die "BENCH_KERNEL_SECONDS >= 1, BENCH_KERNEL_FILE_MB >= 16, BENCH_KERNEL_FOLIO_MB >= 4"
[ "$CKPT_EVERY" = 0 ] || [ "$CKPT_EVERY" -ge 5 ] ||
	die "BENCH_CHECKPOINT_EVERY must be 0 (off) or at least 5 seconds (got $CKPT_EVERY)"
[ "$SCALE" -ge 1 ] && [ "$DURATION" -ge 10 ] && [ "$CLIENTS" -ge 1 ] && [ "$JOBS" -ge 1 ] ||
	die "BENCH_SCALE >= 1, BENCH_DURATION >= 10, BENCH_CLIENTS and BENCH_JOBS >= 1"
[ "$REPEATS" -ge 1 ] && [ "$REPEATS" -le 20 ] || die "BENCH_REPEATS must be from 1 to 20"
[ "$INSN_DURATION" -ge 10 ] || die "BENCH_INSN_DURATION must be at least 10"
[ "$ICOUNT_SHIFT" -le 10 ] || die "BENCH_ICOUNT_SHIFT must be from 0 to 10"
[ "$JOBS" -le "$CLIENTS" ] || die "BENCH_JOBS ($JOBS) cannot exceed BENCH_CLIENTS ($CLIENTS)"
case "$DEVICE" in /dev/[a-z]*) ;; *) die "BENCH_DEVICE must be a guest device path like /dev/nvme0n1";; esac
case "$ACCEL" in tcg|kvm) ;; *) die "BENCH_ACCEL is tcg or kvm";; esac
case "$QEMU_CPU" in ''|*[!A-Za-z0-9,=_.+-]*) die "BENCH_QEMU_CPU: '$QEMU_CPU' is no QEMU CPU model (letters, digits and , = _ . + - only)";; esac
[ "$ACCEL" = tcg ] || [ "$QEMU_CPU" = max ] || die "BENCH_QEMU_CPU applies to TCG only (BENCH_ACCEL=$ACCEL)"
[ "$(id -u)" = 0 ] || die "must run as root (apt, chroot, mounts)"
[ ! -e "$OUTDIR/results.md" ] || die "$OUTDIR already holds results; choose another BENCH_OUT"

t0=$(now)
# 1. Build what is missing: the same steps as "make check".
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	log "== build"
	"$REPO/vm/setup-host.sh"
	if [ ! -f "$KERNEL_DIR/bzImage" ] || [ "${BENCH_BUILD_KERNEL:-0}" = 1 ]; then
		"$REPO/kernel/build.sh"
	else
		log "kernel: using $KERNEL_DIR/bzImage ($(cat "$KERNEL_DIR/kernel.release"), built $(date -r "$KERNEL_DIR/bzImage" '+%F %T'))"
	fi
	"$REPO/vm/build-root.sh"
	build_guest_programs
	"$REPO/vm/chroot.sh" make -s -C bench/progs O=/wtsmgr/build/bench
	[ "$ACCEL" = tcg ] && "$REPO/bench/plugin/build.sh"
	log "build done in $(elapsed "$t0")"
fi
[ -f "$KERNEL_DIR/bzImage" ] || die "no kernel (run without BENCH_NO_BUILD)"
[ -x "$WTSMGR_CACHE/build/bench/insnloop" ] || die "bench programs not built (run without BENCH_NO_BUILD)"

mkdir -p "$OUTDIR/raw"
OUTDIR=$(cd "$OUTDIR" && pwd)
ln -sfn "$OUTDIR" "$REPO/bench/results/latest" 2>/dev/null || true

# 2. Settings shared by every configuration (printed with the results).
# Checkpoints every $CKPT over a window of several cycles; WAL kept
# (wal_keep_size) so that pg_waldump can read the whole window: every
# configuration then creates all its WAL segments new, as a young
# cluster does.
PG_SETTINGS="shared_buffers = $SB
checkpoint_timeout = $CKPT
checkpoint_completion_target = 0.9
max_wal_size = 4GB
min_wal_size = 80MB
wal_keep_size = 3GB
log_checkpoints = on
track_io_timing = on
log_line_prefix = '%n [%p] '"

insn_args=()
plugin_note=
if [ "$ACCEL" = tcg ]; then
	if [ -f "$WTSMGR_CACHE/build/bench/insn.so" ]; then
		insn_args=(--plugin "$WTSMGR_CACHE/build/bench/insn.so,ctl=/wtsmgr/out/insn.ctl,log=/wtsmgr/out/insn.log")
		plugin_note="counted by bench/plugin/insn.c ($(cat "$WTSMGR_CACHE/build/bench/insn.so.header" 2>/dev/null))"
	else
		plugin_note="not measured: $(cat "$WTSMGR_CACHE/build/bench/insn.so.unavailable" 2>/dev/null || echo "plugin not built")"
	fi
else
	plugin_note="not measured: TCG plugins do not run under KVM"
fi
# The cloud-volume profile: a second NVMe device, throttled to the
# modelled volume divided by the guest's slowdown, so that the balance of
# CPU to I/O is that of a real server on such a volume.  The guest
# computes the throttle (from its own measurement of the slowdown) and
# has the host set it once each run's copy is on the device.
throttle_args=()
host_cpu_tps=
if [[ ",$PROFILES," == *,cloud,* ]] && [[ ",$BENCH," == *,pgbench,* ]]; then
	throttle_args=(--throttle-ctl)
	if [ "$CLOUD_SLOWDOWN" = measured ]; then
		log "cloud volume: the host's CPU speed (bench/guest/cpucal.sh, $CPUCAL_SECONDS s, in the guest root as a chroot)"
		host_cpu_tps=$("$REPO/vm/chroot.sh" bash bench/guest/cpucal.sh "$CPUCAL_SECONDS" |
			sed -n 's/^tps //p' | tail -n 1) || host_cpu_tps=
		log "cloud volume: host ${host_cpu_tps:-?} TPS"
	fi
fi
# The host's speed on the guest's CPU test (bench/guest/pgbench.sh): the
# same programs from the guest root, fastest of three.
host_gzip_ms=$(for k in 1 2 3; do
	a=$(date +%s%3N)
	chroot "$ROOT_DIR/dir" sh -c 'seq 1 1000000 | gzip -6 | wc -c' > /dev/null
	echo $(( $(date +%s%3N) - a ))
done | sort -n | head -n 1)

# The instruction-count pass: only pgbench, only under TCG.
icount_pass=0
if [ "$INSN" = icount ] && [ "$ACCEL" = tcg ] && [[ ",$BENCH," == *,pgbench,* ]]; then
	icount_pass=1
fi

# 3. What produced this: written before the run, so a failed run says too.
{
	echo "date=$(date -u '+%F %T UTC')"
	echo "command=$command"
	echo "settings=BENCH=$(IFS=,; echo "${benches[*]}") BENCH_CONFIGS=$CONFIGS BENCH_REPEATS=$REPEATS BENCH_PROFILES=$PROFILES BENCH_WORKLOADS=$WORKLOADS BENCH_SCALE=$SCALE BENCH_DURATION=$DURATION BENCH_WARMUP=$WARMUP BENCH_CLIENTS=$CLIENTS BENCH_JOBS=$JOBS BENCH_DEVICE=$DEVICE BENCH_CHECKPOINT_TIMEOUT=$CKPT BENCH_CHECKPOINT_EVERY=$CKPT_EVERY BENCH_SHARED_BUFFERS=$SB"
	echo "commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet HEAD 2>/dev/null || echo '+uncommitted changes')"
	echo "host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "host_cores=$(nproc)"
	echo "host_memory=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "host_kernel=$(uname -r)"
	echo "accel=$ACCEL"
	[ "$ACCEL" != tcg ] || echo "qemu_cpu=$QEMU_CPU"
	echo "qemu=$(chroot "$ROOT_DIR/dir" dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null)"
	echo "guest=$(nproc) vCPUs, 4096 MB allocated on the host at start (-mem-prealloc)"
	echo "guest_kernel=$(cat "$KERNEL_DIR/kernel.release") (bzImage built $(date -r "$KERNEL_DIR/bzImage" '+%F %T'))"
	echo "postgresql=$(chroot "$ROOT_DIR/dir" dpkg-query -W -f='${Version}' postgresql-18 2>/dev/null)"
	echo "instructions=$plugin_note"
	[ $icount_pass = 0 ] || echo "icount=shift=$ICOUNT_SHIFT duration=$INSN_DURATION"
	echo "host_gzip_ms=$host_gzip_ms"
	[ ${#throttle_args[@]} = 0 ] ||
		echo "cloud=mibs=$CLOUD_MIBS iops=$CLOUD_IOPS slowdown=$CLOUD_SLOWDOWN host_cpu_tps=${host_cpu_tps:-none} after_copy=1"
	echo "checkpoint_every=$CKPT_EVERY"
	[[ ",$BENCH," != *,kernel,* ]] ||
		echo "kernel_settings=BENCH_KERNEL_REPEATS=$KREPEATS BENCH_KERNEL_SECONDS=$KSECS BENCH_KERNEL_FILE_MB=$KMB BENCH_KERNEL_FOLIO_MB=$KFMB BENCH_DEVICE=$DEVICE"
	[[ ",$BENCH," != *,checkpoint,* ]] ||
		echo "checkpoint_settings=BENCH_CKPT_MB=$CKPT_MB BENCH_CKPT_ROUNDS=$CKPT_ROUNDS BENCH_CKPT_WB_CONTEXTS=$CKPT_WBC BENCH_DEVICE=$DEVICE"
	[[ ",$BENCH," != *,writeback,* ]] ||
		echo "writeback_settings=BENCH_WB_ROUNDS=$WB_ROUNDS BENCH_DEVICE=$DEVICE"
} > "$OUTDIR/machine.txt"
printf '%s\n' "$PG_SETTINGS" > "$OUTDIR/pg-settings.txt"

# A generous limit: template, per configuration warm-up + window + copy,
# start, pg_waldump; the other sub-benchmarks.
timeout=$(( 900 + CKPT_ROUNDS * 3 * (60 + CKPT_MB) + 4 * CPUCAL_SECONDS + REPEATS * ${#profiles[@]} * ${#workloads[@]} * ${#configs[@]} * (DURATION + WARMUP + 300) + 600 + KREPEATS * (60 * KSECS + 600) + WB_ROUNDS * 600 ))
# The kernel benchmark's RWF_DSYNC rows need a volatile write cache on the
# NVMe device: asked for explicitly (the guest checks and records it).
wcache_args=()
[[ ",$BENCH," != *,kernel,* ]] || wcache_args=(--write-cache on)
log "== running ${benches[*]} in the guest ($ACCEL); results in $OUTDIR"
# What else runs on the (shared) host: every 5 s the load average and
# the number of QEMU processes, ours included; the report says how busy
# the host was.
( while :; do
	echo "$(date +%s) $(cut -d' ' -f1 /proc/loadavg) $(pgrep -c '^qemu-system' || true)"
	sleep 5
done > "$OUTDIR/host-load.txt" ) &
load_pid=$!
# With an instruction-count pass, the scratch disk that holds the
# template database is kept for it (no second pgbench -i).
scratch_args=()
if [ $icount_pass = 1 ]; then
	mkdir -p "$WTSMGR_CACHE/runs"
	template_img=$(mktemp "$WTSMGR_CACHE/runs/bench-template.XXXXXX")
	trap 'rm -f "$template_img"' EXIT
	truncate -s 2G "$template_img"
	scratch_args=(--scratch "$template_img")
fi
rc=0
"$REPO/vm/run.sh" --accel "$ACCEL" --cpu "$QEMU_CPU" --prealloc --out "$OUTDIR/raw" --timeout "$timeout" \
	"${insn_args[@]}" "${scratch_args[@]}" "${throttle_args[@]}" "${wcache_args[@]}" -- \
	env BENCH_CONFIGS="$CONFIGS" BENCH_SCALE="$SCALE" BENCH_DURATION="$DURATION" \
	BENCH_WARMUP="$WARMUP" BENCH_CLIENTS="$CLIENTS" BENCH_JOBS="$JOBS" \
	BENCH_REPEATS="$REPEATS" BENCH_PROFILES="$PROFILES" \
	BENCH_WORKLOADS="$WORKLOADS" BENCH_INSERT_ROWS="$INSERT_ROWS" \
	BENCH_DEVICE="$DEVICE" BENCH_PG_SETTINGS="$PG_SETTINGS" \
	BENCH_WAL_SEGMENTS="$WAL_SEGMENTS" BENCH_KERNEL_SECONDS="$KSECS" \
	BENCH_KERNEL_FILE_MB="$KMB" BENCH_KERNEL_REPEATS="$KREPEATS" \
	BENCH_KERNEL_FOLIO_MB="$KFMB" BENCH_INSN="${insn_args:+1}" \
	BENCH_CLOUD_MIBS="$CLOUD_MIBS" BENCH_CLOUD_IOPS="$CLOUD_IOPS" \
	BENCH_CLOUD_SLOWDOWN="$CLOUD_SLOWDOWN" BENCH_HOST_CPU_TPS="$host_cpu_tps" \
	BENCH_CPUCAL_SECONDS="$CPUCAL_SECONDS" BENCH_CHECKPOINT_EVERY="$CKPT_EVERY" \
	BENCH_CKPT_MB="$CKPT_MB" BENCH_CKPT_ROUNDS="$CKPT_ROUNDS" \
	BENCH_CKPT_WB_CONTEXTS="$CKPT_WBC" BENCH_WB_ROUNDS="$WB_ROUNDS" \
	bash bench/guest/main.sh "${benches[@]}" 2>&1 | tee "$OUTDIR/console.log" ||
	rc=${PIPESTATUS[0]}

# The instruction count: a second boot under -icount, one vCPU (guest
# CPU time is then an instruction count only when one vCPU runs), each
# configuration once, a shorter window.  The guest's clock runs at
# 2^shift ns per instruction, so its seconds are not the host's.
if [ $icount_pass = 1 ] && [ $rc = 0 ]; then
	log "== instruction count: every configuration once more under QEMU -icount shift=$ICOUNT_SHIFT, one vCPU"
	mkdir -p "$OUTDIR/raw-insn"
	irc=0
	"$REPO/vm/run.sh" --accel tcg --cpu "$QEMU_CPU" --icount "$ICOUNT_SHIFT" --smp 1 --out "$OUTDIR/raw-insn" \
		"${scratch_args[@]}" \
		--timeout $(( 1500 + ${#workloads[@]} * ${#configs[@]} * (4 * INSN_DURATION + 400) )) -- \
		env BENCH_CONFIGS="$CONFIGS" BENCH_SCALE="$SCALE" BENCH_DURATION="$INSN_DURATION" \
		BENCH_WARMUP=$(( WARMUP < 5 ? WARMUP : 5 )) BENCH_CLIENTS="$CLIENTS" BENCH_JOBS="$JOBS" \
		BENCH_REPEATS=1 BENCH_DEVICE="$DEVICE" BENCH_PG_SETTINGS="$PG_SETTINGS" \
		BENCH_WORKLOADS="$WORKLOADS" BENCH_INSERT_ROWS="$INSERT_ROWS" \
		BENCH_ICOUNT_SHIFT="$ICOUNT_SHIFT" BENCH_TEMPLATE_REUSE=1 \
		BENCH_CHECKPOINT_EVERY="$CKPT_EVERY" \
		bash bench/guest/main.sh pgbench 2>&1 | tee "$OUTDIR/console-insn.log" ||
		irc=${PIPESTATUS[0]}
	rm -f "$template_img"
	[ $irc = 0 ] || log "the instruction-count pass FAILED (exit $irc): see $OUTDIR/console-insn.log; the report leaves instructions out"
fi

kill $load_pid 2>/dev/null; wait $load_pid 2>/dev/null || true

# 4. The report, from whatever the guest left (also after a failure).
log "== report"
python3 "$REPO/bench/report.py" "$OUTDIR" || { log "the report failed"; rc=1; }
if [ -f "$OUTDIR/results.md" ]; then
	echo
	cat "$OUTDIR/results.md"
	echo
fi
log "total $(elapsed "$t0"); results in $OUTDIR"
if [ $rc != 0 ]; then
	grep -h '^bench: FAILED' "$OUTDIR/console.log" >&2 || true
	die "the benchmark FAILED (exit $rc): see above and $OUTDIR/console.log"
fi
