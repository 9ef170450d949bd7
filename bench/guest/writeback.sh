#!/bin/bash
# Guest part of "make bench BENCH=writeback": issue 15's figures, the
# throughput of background writeback with 1, 2 and 4 writeback contexts
# (/sys/class/bdi/<bdi>/writeback_contexts, kernel patches 0023-0026),
# side by side in one boot, BENCH_WB_ROUNDS rounds (each round makes a
# fresh file system per run; the order of the context counts and of the
# file systems rotates from round to round).
#
# A run: writeback held off (no periodic writeback, background and dirty
# limits far away), fio writes the data set into the page cache in 4 KiB
# random writes (every block once, so in 4 KiB folios):
#   many   BENCH_WB_FILES files of BENCH_WB_FILE_MB MiB, by
#          BENCH_WB_WRITERS processes
#   one    one file of the same total size, by one process (one inode:
#          one context, whatever the number; the no-regression row)
# then background writeback is let go (background limit 1 page,
# periodic writeback every 100 ms) and timed until Dirty + Writeback in
# /proc/meminfo is below 2 MiB.  With it: the guest's busy CPU time over
# that interval (/proc/stat: user, system, irq, softirq; nothing else
# runs), the kernel workers' CPU time (/proc/*/task/*/stat of the
# "kworker" threads: the flushers and the file systems' completion
# workers) and the largest share of the interval one worker thread was
# on a CPU (near 1: a flusher that is CPU-bound), and the device's
# write requests.
#
# Settings: BENCH_DEVICE, BENCH_WB_FILES (default 16), BENCH_WB_FILE_MB
#   (default 96), BENCH_WB_WRITERS (default 4), BENCH_WB_ROUNDS (default
#   3), BENCH_WB_CONTEXTS (default "1 2 4").
# Output: $WTSMGR_OUT/writeback/results.txt, one line per run:
#   rep= fs= shape= contexts= bytes= secs= busy_cpus= cpu_s=
#   kworker_cpu_s= kworker_max_share= ncpu= dev_write_req= dev_write_sectors=
#   status=
# A warm-up run comes first (rep=warmup, left out of the report): the
# first writes of a boot to the NVMe image are slower on the host.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DEV=${BENCH_DEVICE:-/dev/nvme0n1}
FILES=${BENCH_WB_FILES:-16}
FMB=${BENCH_WB_FILE_MB:-96}
WRITERS=${BENCH_WB_WRITERS:-4}
ROUNDS=${BENCH_WB_ROUNDS:-3}
read -r -a CTXS <<< "${BENCH_WB_CONTEXTS:-1 2 4}"
OUT=$WTSMGR_OUT/writeback
MNT=/mnt/wbbench
KNOB=/sys/block/${DEV##*/}/bdi/writeback_contexts
mkdir -p "$OUT" $MNT
: > "$OUT/results.txt"
[ -b "$DEV" ] || bdie "no block device $DEV"
[ -w "$KNOB" ] || bdie "$KNOB missing: the kernel has no writeback contexts (patches 0023-0026)"
HZ=$(getconf CLK_TCK)

hold_writeback() {
	sysctl -q vm.dirty_writeback_centisecs=0 vm.dirty_expire_centisecs=360000 \
		vm.dirty_background_bytes=$((3 << 30)) vm.dirty_bytes=$(((3 << 30) + (256 << 20)))
}

# pending_kb: Dirty + Writeback in /proc/meminfo
pending_kb() { awk '/^(Dirty|Writeback):/ {s += $2} END {print s}' /proc/meminfo; }

# busy_ticks: the guest's non-idle CPU ticks (user nice system irq softirq steal)
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# kworker_ticks: "TID TICKS" (utime + stime) of every kernel worker
# thread: the flushers are workqueue workers ("kworker/..."), and so are
# the file systems' completion workers
kworker_ticks() {
	local t c
	for t in /proc/[0-9]*/task/[0-9]*; do
		read -r c < "$t/comm" 2>/dev/null || continue
		case $c in kworker*) ;; *) continue;; esac
		awk -v tid="${t##*/}" '{sub(/^.*\) /, ""); print tid, $12 + $13}' "$t/stat" 2>/dev/null
	done
}

# kworker_delta BEFORE AFTER SECONDS: "CPU_S MAX_SHARE" from two
# kworker_ticks snapshots: the workers' CPU seconds in all, and the
# largest share of the interval one worker thread was on a CPU
kworker_delta() {
	awk -v hz="$HZ" -v secs="$3" 'FNR == NR {b[$1] = $2; next}
		{d = $2 - b[$1]; sum += d; if (d > max) max = d}
		END {printf "%.3f %.3f\n", sum / hz, max / hz / secs}' "$1" "$2"
}

# one_run SHAPE N: one timed background writeback of the data set
one_run() {
	local shape=$1 n=$2 t0 t1 b0 b1 s0 s1 kw status=ok bytes
	bench_mkfs $fs "$DEV" $MNT
	sync
	echo "$n" > "$KNOB"
	hold_writeback
	echo 3 > /proc/sys/vm/drop_caches
	# 4 KiB random writes into fresh files: small folios, so that the
	# flusher's work per byte (a folio, a block mapping, a bio segment,
	# each) is what bounds it, not the device
	if [ "$shape" = many ]; then
		fio --name=dirty --directory=$MNT --numjobs="$WRITERS" \
			--nrfiles=$((FILES / WRITERS)) --filesize="${FMB}M" \
			--size=$((FILES / WRITERS * FMB))M --file_service_type=random \
			--rw=randwrite --bs=4k --ioengine=psync --fallocate=none \
			--randrepeat=0 --norandommap=0 --eta=never --output=/dev/null
	else
		fio --name=dirty --directory=$MNT --numjobs=1 --nrfiles=1 \
			--filesize=$((FILES * FMB))M --rw=randwrite --bs=4k \
			--ioengine=psync --fallocate=none --randrepeat=0 --eta=never --output=/dev/null
	fi
	bytes=$((FILES * FMB * 1048576))
	read -r -a s0 < "/sys/block/${DEV##*/}/stat"
	kworker_ticks > /tmp/wbbench-kw0
	b0=$(busy_ticks)
	t0=$(now_ms)
	# Let background writeback go: it writes until Dirty is below 1 page.
	sysctl -q vm.dirty_background_bytes=4096 vm.dirty_writeback_centisecs=10
	while [ "$(pending_kb)" -ge 2048 ]; do
		sleep 0.05
		[ $(( $(now_ms) - t0 )) -lt 600000 ] || { status=timeout; break; }
	done
	t1=$(now_ms)
	b1=$(busy_ticks)
	kworker_ticks > /tmp/wbbench-kw1
	read -r -a s1 < "/sys/block/${DEV##*/}/stat"
	kw=$(kworker_delta /tmp/wbbench-kw0 /tmp/wbbench-kw1 \
		"$(awk -v d=$((t1 - t0)) 'BEGIN {print d / 1000}')")
	hold_writeback
	line="rep=$rep fs=$fs shape=$shape contexts=$n bytes=$bytes secs=$(awk -v d=$((t1 - t0)) 'BEGIN {printf "%.3f", d / 1000}')"
	line="$line busy_cpus=$(awk -v b=$((b1 - b0)) -v hz="$HZ" -v d=$((t1 - t0)) 'BEGIN {printf "%.3f", b / hz / (d / 1000)}')"
	line="$line cpu_s=$(awk -v b=$((b1 - b0)) -v hz="$HZ" 'BEGIN {printf "%.3f", b / hz}')"
	line="$line kworker_cpu_s=${kw% *} kworker_max_share=${kw#* } ncpu=$(nproc)"
	line="$line dev_write_req=$((s1[4] - s0[4])) dev_write_sectors=$((s1[6] - s0[6])) status=$status"
	echo "$line" >> "$OUT/results.txt"
	blog "writeback [$rep/$ROUNDS $(date +%T)] $line"
	sync
	umount $MNT
	echo 1 > "$KNOB"
}

FSES=(xfs ext4)
t_start=$(date +%s)
blog "writeback: $ROUNDS rounds; $FILES files of $FMB MiB by $WRITERS writers; contexts ${CTXS[*]}; $(nproc) CPUs"
rep=warmup fs=xfs
blog "writeback: a warm-up run"
one_run many 1
for rep in $(seq 1 "$ROUNDS"); do
	for k in 0 1; do
		fs=${FSES[$(( (k + rep - 1) % 2 ))]}
		blog "writeback: round $rep/$ROUNDS on $fs ($(( $(date +%s) - t_start )) s so far)"
		for j in $(seq 0 $((${#CTXS[@]} - 1))); do
			n=${CTXS[$(( (j + rep - 1) % ${#CTXS[@]} ))]}
			one_run many "$n"
		done
		# one file: one context whatever the number; 1 against the most
		for n in 1 "${CTXS[-1]}"; do
			[ $((rep % 2)) = 0 ] && n=$([ "$n" = 1 ] && echo "${CTXS[-1]}" || echo 1)
			one_run one "$n"
		done
	done
done
blog "writeback: done in $(( $(date +%s) - t_start )) s"
