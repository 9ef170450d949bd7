#!/bin/bash
# Guest suite: parallel writeback, several writeback contexts per device
# (/sys/class/bdi/<bdi>/writeback_contexts, kernel patches 0023-0026),
# on xfs and ext4 on the NVMe namespace.
#
# Data is checked where it must be, on the device: after sync, syncfs,
# fsync or a freeze the file system is shut down without flushing
# anything more (xfs_io's "shutdown", which ext4 has too), mounted
# again, and every byte of every file compared with its source.  A
# first check shows that this finds missing data: without a sync the
# same files do not survive the shutdown.
#
# WB_CONTEXTS: the number of contexts the tests use (default 4)
# WB_SKIP_WT=1: leave out the write-through suite run with several
# contexts (the last part, about 4 minutes)
. "$(dirname "$0")/testlib.sh"

WB_CONTEXTS=${WB_CONTEXTS:-4}
DEV=nvme0n1
MNT=/mnt/wb
SRC=/tmp/wb-src
NFILES=16
NPROCS=4
KNOB=/sys/block/$DEV/bdi/writeback_contexts
DIRTY=/sys/block/$DEV/bdi/writeback_contexts_dirty

HUNG0=$(hung_reports)
WARN0=$(warn_reports)

# Nothing is written back unless a test asks for it.
quiet_writeback() {
	sysctl -q vm.dirty_writeback_centisecs=0 vm.dirty_expire_centisecs=360000 \
		vm.dirty_background_ratio=50 vm.dirty_ratio=80
}
quiet_writeback

mkdir -p $MNT $SRC
for i in $(seq 0 $((NFILES - 1))); do
	head -c $((1024 * 1024 + i * 4096 + 512)) /dev/urandom >$SRC/f$i
done

# dirty_files [PREFIX]: NPROCS processes copy the NFILES sources into
# the file system (file i by process i % NPROCS); nothing is flushed.
dirty_files() {
	local p i pre=${1:-f}
	for p in $(seq 0 $((NPROCS - 1))); do
		(for i in $(seq $p $NPROCS $((NFILES - 1))); do
			cat $SRC/f$i >$MNT/$pre$i || exit 1
		done) &
	done
	wait
}

# fsync_files: the same, each file fsync'ed by the process that wrote it
fsync_files() {
	local p i
	for p in $(seq 0 $((NPROCS - 1))); do
		(for i in $(seq $p $NPROCS $((NFILES - 1))); do
			dd if=$SRC/f$i of=$MNT/f$i bs=256k conv=fsync status=none || exit 1
		done) &
	done
	wait
}

# verify [PREFIX]: every file equal to its source
verify() {
	local i pre=${1:-f} bad=0
	for i in $(seq 0 $((NFILES - 1))); do
		cmp -s $SRC/f$i $MNT/$pre$i || { echo "$pre$i differs"; bad=1; }
	done
	return $bad
}

# after_shutdown FS [PREFIX...]: shut FS down without flushing anything,
# mount it again, and verify the files of each PREFIX (default f)
after_shutdown() {
	local fs=$1 pre
	shift
	xfs_io -x -c shutdown $MNT || return
	umount $MNT || return
	mount -t $fs /dev/$DEV $MNT || return
	for pre in ${@:-f}; do verify $pre || return; done
}

# contexts_busy N: each of the first N contexts has a dirty inode
contexts_busy() {
	local n=$1 c i=0
	cat $DIRTY
	for c in $(cat $DIRTY); do
		[ $i -lt $n ] && [ "$c" -lt 1 ] && return 1
		i=$((i + 1))
	done
	[ $i -ge $n ]
}

# The knob: its default, its range, its errors.
note "the writeback_contexts knob of $DEV"
check "$DEV has $KNOB" test -w $KNOB
check_eq "it starts at 1 (today's behaviour)" 1 "$(cat $KNOB 2>/dev/null)"
# one context after boot; contexts are freed with the device only, so a
# second run of this suite in the same boot finds more
check_ge "writeback_contexts_dirty lists a count per context" 1 \
	"$(wc -w <$DIRTY 2>/dev/null)"
for bad in 0 17 -1 abc ""; do
	check_fails "writing '$bad' is refused" sh -c "echo '$bad' >$KNOB"
done
check_eq "and leaves it at 1" 1 "$(cat $KNOB 2>/dev/null)"
check "16 contexts can be asked for" sh -c "echo 16 >$KNOB"
check_eq "16 contexts listed" 16 "$(wc -w <$DIRTY 2>/dev/null)"
check "and $WB_CONTEXTS" sh -c "echo $WB_CONTEXTS >$KNOB"
check_eq "it reads $WB_CONTEXTS" "$WB_CONTEXTS" "$(cat $KNOB 2>/dev/null)"
check_eq "contexts left above it are still listed" 16 "$(wc -w <$DIRTY 2>/dev/null)"

for fs in xfs ext4; do
	note "$fs on $DEV, $WB_CONTEXTS writeback contexts"
	case $fs in
	xfs) check "mkfs.xfs" mkfs.xfs -f -q /dev/$DEV;;
	ext4) check "mkfs.ext4" mkfs.ext4 -F -q /dev/$DEV;;
	esac
	check "mount $fs" mount -t $fs /dev/$DEV $MNT || continue

	# The check below can fail: without a sync the shutdown loses data.
	dirty_files
	check_fails "$fs: without a sync, a shutdown loses written data (the checks below can fail)" \
		after_shutdown $fs
	mountpoint -q $MNT || mount -t $fs /dev/$DEV $MNT
	rm -f $MNT/f*; sync

	dirty_files
	check "$fs: $NFILES files dirtied by $NPROCS processes are spread over all $WB_CONTEXTS contexts" \
		contexts_busy $WB_CONTEXTS
	check "$fs: sync" sync
	check "$fs: after sync and a shutdown, every byte is on the device" \
		after_shutdown $fs
	rm -f $MNT/f*; sync

	dirty_files
	check "$fs: syncfs (sync -f)" sync -f $MNT
	check "$fs: after syncfs and a shutdown, every byte is on the device" \
		after_shutdown $fs
	rm -f $MNT/f*; sync

	check "$fs: $NPROCS processes write and fsync their files" fsync_files
	check "$fs: after fsync and a shutdown, every byte is on the device" \
		after_shutdown $fs
	rm -f $MNT/f*; sync

	dirty_files
	check "$fs: dirty inodes in every context before the freeze" contexts_busy $WB_CONTEXTS
	check "$fs: freeze" fsfreeze -f $MNT
	check "$fs: thaw" fsfreeze -u $MNT
	check "$fs: after freeze, thaw and a shutdown, every byte is on the device" \
		after_shutdown $fs
	rm -f $MNT/f*; sync

	dirty_files
	check "$fs: dirty inodes in every context before umount" contexts_busy $WB_CONTEXTS
	check "$fs: umount" umount $MNT
	check "$fs: mount again" mount -t $fs /dev/$DEV $MNT
	check "$fs: every byte written before umount is there" verify
	rm -f $MNT/f*; sync

	# The knob changed while processes write: background writeback on.
	sysctl -q vm.dirty_writeback_centisecs=50 vm.dirty_expire_centisecs=100 \
		vm.dirty_background_bytes=$((4 << 20)) vm.dirty_bytes=$((16 << 20))
	for round in 1 2 3; do
		dirty_files r$round &
		for n in 1 $WB_CONTEXTS 2 3 1 $WB_CONTEXTS; do
			echo $n >$KNOB || echo "knob write $n failed" >&2
			sleep 0.3
		done
		wait
	done
	quiet_writeback
	sysctl -q vm.dirty_background_ratio=50 vm.dirty_ratio=80
	check_eq "$fs: the knob ends at $WB_CONTEXTS after being changed under load" \
		"$WB_CONTEXTS" "$(cat $KNOB)"
	check "$fs: sync after writers ran while the knob changed" sync
	check "$fs: after a shutdown, the last round's files are whole" \
		after_shutdown $fs r1 r2 r3
	rm -f $MNT/r*; sync

	# Dirty throttling still holds the dirty limit with the work spread.
	# Control first: with the limit out of reach the same writers dirty
	# far more than it, so the bound below is not met by accident.
	limit=$((16 << 20))
	peak() {
		local max=0 v
		while [ -e /tmp/wb-writing ]; do
			v=$(awk '/^(Dirty|Writeback):/ {s += $2} END {print s * 1024}' /proc/meminfo)
			[ "$v" -gt $max ] && max=$v
			sleep 0.05
		done
		echo $max
	}
	writers() {
		local p
		for p in $(seq 0 $((NPROCS - 1))); do
			dd if=/dev/zero of=$MNT/t$p bs=1M count=48 status=none &
		done
		wait
		rm -f /tmp/wb-writing
	}
	sysctl -q vm.dirty_writeback_centisecs=50 vm.dirty_background_bytes=$((512 << 20)) \
		vm.dirty_bytes=$((1024 << 20))
	touch /tmp/wb-writing; (writers) & peak >/tmp/wb-peak; wait
	control=$(cat /tmp/wb-peak)
	note "$fs: without a reachable limit the writers dirty $((control >> 20)) MiB at the peak"
	check_ge "$fs: which is more than 1.5 times the limit used next ($((limit >> 20)) MiB)" \
		$((limit * 3 / 2 + 1)) "$control"
	sync; rm -f $MNT/t*; sync
	sysctl -q vm.dirty_background_bytes=$((limit / 2)) vm.dirty_bytes=$limit
	touch /tmp/wb-writing; (writers) & peak >/tmp/wb-peak; wait
	throttled=$(cat /tmp/wb-peak)
	note "$fs: with vm.dirty_bytes at $((limit >> 20)) MiB the peak is $((throttled >> 20)) MiB"
	check "$fs: writers are held near the dirty limit (peak of dirty + writeback <= 1.5 x limit)" \
		test "$throttled" -le $((limit * 3 / 2))
	quiet_writeback
	sync; rm -f $MNT/t*; sync
	check "$fs: umount" umount $MNT
done

check_eq "no hung task reported (hung-task timeout $(cat /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null || echo off) s)" \
	"$HUNG0" "$(hung_reports)"
check_eq "no kernel warning (WARNING or BUG in the kernel log)" "$WARN0" "$(warn_reports)"

if [ -z "$WB_SKIP_WT" ]; then
	note "the write-through suite with $WB_CONTEXTS writeback contexts on every device"
	for k in /sys/class/bdi/*/writeback_contexts; do echo $WB_CONTEXTS >$k; done
	log=$(mktemp)
	"$(dirname "$0")/writethrough.sh" >$log 2>&1
	grep -E '^(not ok|# )' $log | head -50
	add_suite $log writethrough.sh
	rm -f $log
fi
# Leave every device with one context, as a boot does.
for k in /sys/class/bdi/*/writeback_contexts; do echo 1 >$k; done

finish
