#!/bin/bash
# Guest part of "make bench BENCH=kernel": the figures of issue 11, every
# pair measured side by side in the same boot, BENCH_KERNEL_REPEATS times
# (rounds interleaved: each round makes fresh file systems and runs every
# test once; the order of the file systems and of the two paths of a pair
# rotates from round to round).  On the NVMe device, one file system at
# a time (xfs, ext4 with 4 KiB blocks, ext4 with bigalloc 16 KiB clusters
# for the atomic rows), a BENCH_KERNEL_FILE_MB file of written extents:
#
#   qd32      io_uring QD32, 4 KiB random overwrites: wt / direct
#   afterwt   io_uring QD32 O_DIRECT overwrites right after 1 s of
#             write-through writes to the file (its page cache dropped with
#             fadvise, the inode kept), against qd32's
#   atomic    the same, 16 KiB with RWF_ATOMIC: wt+atomic / direct+atomic
#             (xfs and ext4-bigalloc)
#   threads4  4 threads of synchronous pwritev2 on the one file: wt / direct
#   qd1       one synchronous writer: wt / direct (also the CPU per write),
#             and plain buffered writes without fdatasync (the copy's CPU)
#   large     one synchronous writer of 8 MiB writes (write-through sends
#             them in 1 MiB pieces, one after the other): wt / direct
#   reader    random 4 KiB buffered preads of the (cached) file, one every
#             100 us, latency percentiles, with no writer / with a QD1
#             write-through writer
#   dsync     QD1 with RWF_DSYNC: wt / direct / buffered: device write
#             requests and cache flushes per write (the device must have a
#             volatile write cache: bench.sh boots with --write-cache on)
#   folio     the seeds' table: a BENCH_KERNEL_FOLIO_MB file cached in 64
#             KiB and in 2 MiB folios (buffered writes of that size, then
#             fsync; the folio sizes read back from /proc/kpageflags by
#             bench/progs/folios.c before and after), then 4 KiB RWF_DSYNC
#             writes, buffered (the stock path) and write-through: device
#             bytes per write
#   u1k       1 KiB random overwrites of that file cached in 2 MiB folios,
#             plain buffered (no sync) and write-through: microseconds per call
#
# Settings: BENCH_DEVICE, BENCH_KERNEL_FILE_MB (default 256),
#   BENCH_KERNEL_SECONDS per timed run (default 5), BENCH_KERNEL_REPEATS
#   (default 3), BENCH_KERNEL_FOLIO_MB (default 32).
# Output: $WTSMGR_OUT/kernel/results.txt, one line per run:
#   rep= fs= test= (wbench's KEY=VALUE) dev_write_req= dev_write_sectors=
#   dev_flush= [folios_before= folios_after=]
# and $WTSMGR_OUT/kernel/device.txt (the device's cache and atomic limits).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DEV=${BENCH_DEVICE:-/dev/nvme0n1}
MB=${BENCH_KERNEL_FILE_MB:-256}
SECS=${BENCH_KERNEL_SECONDS:-5}
REPEATS=${BENCH_KERNEL_REPEATS:-3}
FMB=${BENCH_KERNEL_FOLIO_MB:-32}
OUT=$WTSMGR_OUT/kernel
MNT=/mnt/kbench
BIN=${BENCH_KERNEL_BIN:-/wtsmgr/build/bench}
# 0: leave the page cache alone (a dry run of this script on a host)
DROP=${BENCH_KERNEL_DROP_CACHES:-1}
DSYNC_SECS=$(( SECS > 2 ? 2 : SECS ))
FOLIO_WRITES=256
mkdir -p "$OUT" $MNT
[ -b "$DEV" ] || bdie "no block device $DEV"
: > "$OUT/results.txt"
Q=/sys/block/${DEV##*/}/queue
{
	echo "kernel=$(uname -r)"
	for f in write_cache fua atomic_write_unit_min_bytes atomic_write_unit_max_bytes \
		logical_block_size; do
		echo "$f=$(cat "$Q/$f" 2>/dev/null | tr ' ' '_')"
	done
	echo "ncpu=$(nproc)"
	echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
	echo "thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
} > "$OUT/device.txt"
blog "kernel: device $(tr '\n' ' ' < "$OUT/device.txt")"
# A volatile write cache is what makes the dsync rows mean anything.
[ "$(cat "$Q/write_cache")" = "write back" ] ||
	blog "kernel: WARNING: $DEV's write cache is '$(cat "$Q/write_cache")', not 'write back': flushes are not sent"

# folio_sizes [-w CHUNK] FILE: the folio sizes FILE is cached in
# (bench/progs/folios.c), "error" when they could not be read.
folio_sizes() {
	local out
	out=$($BIN/folios "$@" 2>&1) || { blog "kernel: folios $* failed: $out" >&2; echo error; return 0; }
	echo "$out" | sed -n 's/^folio_kib=\([^ ]*\).*/\1/p'
}

drop_caches() { [ "$DROP" = 0 ] || echo 3 > /proc/sys/vm/drop_caches; }

make_fs() {	# make_fs FS: a fresh file system on $DEV at $MNT, with the files
	bench_mkfs "$1" "$DEV" $MNT
	# Written (not unwritten) extents, so that every run overwrites.
	dd if=/dev/zero of=$MNT/file bs=1M count="$MB" oflag=direct status=none
	[ "$1" = ext4-bigalloc ] || dd if=/dev/zero of=$MNT/small bs=1M count="$FMB" oflag=direct status=none
	sync
}

# run TEST FILE [keep] -- [OPTIONS] PATH SECONDS: one wbench run on FILE,
# caches dropped first (unless keep), with the device's counters around
# it; $extra is added to its line.
n_run=0
run() {
	local test=$1 file=$2 keep=0 rc=0 res s0 s1 line secs
	shift 2
	[ "$1" = keep ] && { keep=1; shift; }
	[ "$1" = -- ] && shift
	secs=${*: -1}
	set -- "${@:1:$#-1}"
	sync
	[ $keep = 1 ] || drop_caches
	read -r -a s0 < "/sys/block/${DEV##*/}/stat"
	res=$($BIN/wbench "$@" "$file" "$secs") || rc=$?
	read -r -a s1 < "/sys/block/${DEV##*/}/stat"
	# A failed run is recorded as such (its error is on the console) and
	# the benchmark goes on.
	[ $rc = 0 ] || [ $rc = 3 ] || res="mode=${*: -1} status=failed (exit $rc)"
	line="rep=$rep fs=$fs test=$test $res dev_write_req=$((s1[4] - s0[4])) dev_write_sectors=$((s1[6] - s0[6])) dev_flush=$((s1[15] - s0[15]))${extra:+ $extra}"
	echo "$line" >> "$OUT/results.txt"
	n_run=$((n_run + 1))
	blog "kernel [$rep/$REPEATS $(date +%T)] $line"
}

# pair TEST FILE ARGS A B: paths A and B, in the round's order.
pair() {
	local test=$1 file=$2 args=$3 a=$4 b=$5
	if [ $((rep % 2)) = 1 ]; then
		run "$test" "$file" -- $args "$a" "$SECS"; run "$test" "$file" -- $args "$b" "$SECS"
	else
		run "$test" "$file" -- $args "$b" "$SECS"; run "$test" "$file" -- $args "$a" "$SECS"
	fi
}

FSES=(xfs ext4 ext4-bigalloc)
t_start=$(date +%s)
blog "kernel: $REPEATS rounds; ${MB} MiB file, ${SECS} s per timed run, ${FMB} MiB file for the folio tests"
for rep in $(seq 1 "$REPEATS"); do
	for k in 0 1 2; do
		fs=${FSES[$(( (k + rep - 1) % 3 ))]}
		extra=
		make_fs $fs
		blog "kernel: round $rep/$REPEATS on $fs ($(( $(date +%s) - t_start )) s so far)"
		if [ $fs != ext4 ]; then
			pair atomic $MNT/file "-q 32 -b 16384" wt+atomic direct+atomic
		fi
		[ $fs = ext4-bigalloc ] && { umount $MNT; continue; }
		pair qd32 $MNT/file "-q 32" wt direct
		# O_DIRECT right after write-through writes to the same inode,
		# with its (clean) page cache dropped but the inode kept
		run afterwt $MNT/file -- -q 32 wt 1
		xfs_io -r -c "fadvise -d 0 $((MB * 1048576))" $MNT/file
		run afterwt $MNT/file keep -- -q 32 direct "$SECS"
		pair threads4 $MNT/file "-t 4" wt direct
		pair qd1 $MNT/file "" wt direct
		# the copy alone: plain buffered overwrites, no fdatasync
		run qd1 $MNT/file -- -S buffered "$SECS"
		pair large $MNT/file "-b 8388608" wt direct
		pair reader $MNT/file "-r" none wt
		for p in wt+dsync direct+dsync buffered+dsync; do
			run dsync $MNT/file -- "$p" "$DSYNC_SECS"
		done
		# The seeds: 4 KiB O_DSYNC writes into large folios.
		for fsz in 64 2048; do
			for p in buffered+dsync wt+dsync; do
				sync
				drop_caches
				before=$(folio_sizes -w $((fsz * 1024)) $MNT/small)
				extra="folio_target_kib=$fsz folios_before=$before"
				run folio $MNT/small keep -- -n $FOLIO_WRITES "$p" 600
				after=$(folio_sizes $MNT/small)
				echo "rep=$rep fs=$fs test=folio-after mode=$p folio_target_kib=$fsz folios_after=$after" >> "$OUT/results.txt"
				blog "kernel: folios after: $after"
			done
		done
		# 1 KiB overwrites of the cached file (2 MiB folios).
		sync
		drop_caches
		before=$(folio_sizes -w $((2048 * 1024)) $MNT/small)
		extra="folios_before=$before"
		run u1k $MNT/small keep -- -b 1024 -S buffered "$DSYNC_SECS"
		run u1k $MNT/small keep -- -b 1024 wt "$DSYNC_SECS"
		extra=
		umount $MNT
	done
done
blog "kernel: $n_run runs in $(( $(date +%s) - t_start )) s"
