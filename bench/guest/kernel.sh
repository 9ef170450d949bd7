#!/bin/bash
# Guest part of "make bench BENCH=kernel": 4 KiB random overwrites of a
# file on xfs and on ext4 on the NVMe device through each write path (see
# bench/progs/wbench.c), at queue depth 1 (pwritev2) and 32 (io_uring),
# with the device's write requests, bytes and flushes per application
# write.  A path the kernel refuses is reported "unsupported".
#
# Settings: BENCH_DEVICE, BENCH_KERNEL_FILE_MB (default 256),
#   BENCH_KERNEL_SECONDS per run (default 10).
# Output: $WTSMGR_OUT/kernel/results.txt, one line per (fs, mode, qd).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DEV=${BENCH_DEVICE:-/dev/nvme0n1}
MB=${BENCH_KERNEL_FILE_MB:-256}
SECS=${BENCH_KERNEL_SECONDS:-10}
OUT=$WTSMGR_OUT/kernel
MNT=/mnt/kbench
BIN=/wtsmgr/build/bench
mkdir -p "$OUT" $MNT
[ -b "$DEV" ] || bdie "no block device $DEV"
: > "$OUT/results.txt"
# xfs, and ext4 with 4 KiB blocks (whose atomic unit is one block, 4 KiB)
for fs in xfs ext4; do
	grep -q "^$DEV " /proc/mounts && umount "$DEV"
	case $fs in
	xfs) mkfs.xfs -f -q "$DEV";;
	# no lazy inode-table zeroing in the background: it would count as
	# device writes of the first run
	ext4) mkfs.ext4 -F -q -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 "$DEV";;
	esac
	mount -t $fs "$DEV" $MNT
	# Written (not unwritten) extents, so every run is a pure overwrite.
	dd if=/dev/zero of=$MNT/file bs=1M count="$MB" oflag=direct status=none
	sync
	blog "kernel: ${MB} MiB file on $fs, ${SECS} s per run"
	for qd in 1 32; do
		for mode in wt wt-atomic direct fdatasync buffered; do
			sync
			echo 3 > /proc/sys/vm/drop_caches
			read -r -a s0 < "/sys/block/${DEV##*/}/stat"
			rc=0
			res=$($BIN/wbench $mode $qd $MNT/file "$SECS") || rc=$?
			read -r -a s1 < "/sys/block/${DEV##*/}/stat"
			[ $rc = 0 ] || [ $rc = 3 ] || bdie "wbench $mode $qd on $fs failed (exit $rc)"
			line="fs=$fs $res dev_write_req=$((s1[4] - s0[4])) dev_write_sectors=$((s1[6] - s0[6])) dev_flush=$((s1[15] - s0[15]))"
			echo "$line" >> "$OUT/results.txt"
			blog "kernel: $line"
		done
	done
	umount $MNT
done
