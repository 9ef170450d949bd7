#!/bin/bash
# Guest part of "make bench BENCH=walinit": creating 16 MiB WAL segments
# by FALLOC_FL_WRITE_ZEROES (what wtsmgr.wal_write_zeroes does) against
# writing 16 MiB of zeroes (PostgreSQL's wal_init_zero), each followed by
# fsync, on ext4 and on xfs on the NVMe device (which has write-zeroes
# with unmap).  A fresh filesystem for every run.
#
# Settings: BENCH_DEVICE, BENCH_WAL_SEGMENTS (default 32).
# Output: $WTSMGR_OUT/walinit/results.txt, one line per (fs, mode):
#   fs=F mode=M status=ok segments=N ... dev_write_req=R dev_write_sectors=S dev_flush=F
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DEV=${BENCH_DEVICE:-/dev/nvme0n1}
N=${BENCH_WAL_SEGMENTS:-32}
OUT=$WTSMGR_OUT/walinit
MNT=/mnt/walinit
BIN=/wtsmgr/build/bench
mkdir -p "$OUT" $MNT
[ -b "$DEV" ] || bdie "no block device $DEV"
blog "write_zeroes_unmap_max_bytes of ${DEV##*/}: $(cat /sys/block/${DEV##*/}/queue/write_zeroes_unmap_max_bytes 2>/dev/null || echo n/a)"
: > "$OUT/results.txt"
for fs in ext4 xfs; do
	for mode in zero wz; do
		grep -q "^$DEV " /proc/mounts && umount "$DEV"
		# mkfs.ext4 -F still warns about the filesystem it replaces:
		# its output is shown only when it fails.
		case $fs in
		ext4) out=$(mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$DEV" 2>&1) || { echo "$out"; bdie "mkfs.ext4 failed"; };;
		xfs) mkfs.xfs -f -q "$DEV";;
		esac
		mount -t $fs "$DEV" $MNT
		mkdir $MNT/pg_wal
		sync
		read -r -a s0 < "/sys/block/${DEV##*/}/stat"
		rc=0
		res=$($BIN/walinit $mode $MNT/pg_wal "$N") || rc=$?
		read -r -a s1 < "/sys/block/${DEV##*/}/stat"
		if [ $rc != 0 ] && [ $rc != 3 ]; then
			bdie "walinit $mode on $fs failed (exit $rc)"
		fi
		# Fields (0-based): 4 write requests, 6 write sectors, 15 flushes.
		line="fs=$fs $res dev_write_req=$((s1[4] - s0[4])) dev_write_sectors=$((s1[6] - s0[6])) dev_flush=$((s1[15] - s0[15]))"
		echo "$line" >> "$OUT/results.txt"
		blog "walinit: $line"
		umount $MNT
	done
done
