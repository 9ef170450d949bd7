#!/bin/bash
# Where a QD1 write's latency goes: one synchronous writer (bench/progs
# wbench, 4 KiB random overwrites, caches dropped first as in the kernel
# benchmark's qd1 rows), traced with the kernel's trace events and kprobe
# events, write-through and O_DIRECT in turn, on xfs and ext4.  Needs the
# tracing kernel (KERNEL_VARIANT=trace kernel/build.sh); by hand:
#
#   vm/run.sh --kernel $WTSMGR_CACHE/kernel/bzImage-trace --out DIR -- \
#       bench/guest/qd1-trace.sh
#   bench/qd1-trace.py DIR/qd1-trace
#
# Output: $WTSMGR_OUT/qd1-trace/FS-MODE.trace (the raw trace, global
# clock) and FS-MODE.wbench (wbench's line).  Settings: QD1_TRACE_WRITES
# (default 3000 per run), QD1_TRACE_FSES (default "xfs ext4"),
# BENCH_DEVICE.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DEV=${BENCH_DEVICE:-/dev/nvme0n1}
WRITES=${QD1_TRACE_WRITES:-3000}
FSES=${QD1_TRACE_FSES:-xfs ext4}
BIN=${BENCH_KERNEL_BIN:-/wtsmgr/build/bench}
OUT=$WTSMGR_OUT/qd1-trace
MNT=/mnt/qd1trace
T=/sys/kernel/tracing
mkdir -p "$OUT" $MNT
grep -q " $T " /proc/mounts || mount -t tracefs tracefs $T
[ -f $T/kprobe_events ] || bdie "no kprobe events: boot the tracing kernel (KERNEL_VARIANT=trace)"

# Kprobes on the functions a write passes through (those that exist in
# this kernel and were not inlined).  Each is NAME FUNCTION, "r" for its
# return.
probes=(
	"wt_enter iomap_writethrough" "wt_ret r:iomap_writethrough"
	"dio_enter __iomap_dio_rw" "dio_ret r:__iomap_dio_rw"
	"dio_complete iomap_dio_complete"
	"bio_end iomap_dio_bio_end_io"
	"wb_end folio_end_writeback"
	"xfs_bw xfs_file_buffered_write" "ext4_bw ext4_buffered_write_iter"
)
setup_probes() {
	local p name fn kind
	echo 0 > $T/tracing_on
	echo > $T/kprobe_events
	for p in "${probes[@]}"; do
		name=${p%% *} fn=${p#* } kind=p
		case $fn in r:*) kind=r fn=${fn#r:};; esac
		if grep -q " $fn\$" /proc/kallsyms; then
			echo "$kind:$name $fn" >> $T/kprobe_events
		else
			blog "qd1-trace: no symbol $fn (inlined?): no probe $name"
		fi
	done
}

setup_events() {
	local e
	echo global > $T/trace_clock
	echo 32768 > $T/buffer_size_kb
	echo > $T/set_event
	for e in syscalls:sys_enter_pwritev2 syscalls:sys_exit_pwritev2 \
		block:block_rq_issue block:block_rq_complete \
		sched:sched_switch sched:sched_wakeup sched:sched_waking \
		irq:irq_handler_entry irq:irq_handler_exit 'kprobes:*'; do
		echo "$e" >> $T/set_event
	done
}

setup_probes
setup_events
for fs in $FSES; do
	bench_mkfs $fs "$DEV" $MNT
	dd if=/dev/zero of=$MNT/file bs=1M count=256 oflag=direct status=none
	sync
	for mode in wt direct; do
		sync
		echo 3 > /proc/sys/vm/drop_caches
		echo > $T/trace
		echo 1 > $T/tracing_on
		$BIN/wbench -n "$WRITES" "$mode" $MNT/file 600 > "$OUT/$fs-$mode.wbench"
		echo 0 > $T/tracing_on
		cat $T/trace > "$OUT/$fs-$mode.trace"
		blog "qd1-trace: $fs $mode: $(cat "$OUT/$fs-$mode.wbench"); $(wc -l < "$OUT/$fs-$mode.trace") trace lines"
	done
	umount $MNT
done
echo > $T/set_event
echo > $T/kprobe_events
