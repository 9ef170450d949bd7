#!/bin/bash
# Guest suite: buffered write-through (RWF_WRITETHROUGH) and buffered
# atomic writes (RWF_WRITETHROUGH | RWF_ATOMIC) on our kernel, with
# kernel/tests/wt.c, on xfs, ext4 (4 KiB blocks) and ext4 with bigalloc
# (16 KiB clusters, for multi-block atomic writes), on each device with
# atomic writes; then device errors through device-mapper.
. "$(dirname "$0")/testlib.sh"

# WT_BIN: where wt and wt_stress are (a build of the tests under work)
WT_BIN=${WT_BIN:-$WTSMGR_BUILD/kernel-tests}
WT=$WT_BIN/wt
STRESS=$WT_BIN/wt_stress
# STRESS_SEED repeats a run's per-thread operations (the seed is printed)
STRESS_SECONDS=${STRESS_SECONDS:-60}
STRESS_SEED=${STRESS_SEED:-}
# WT_ONLY=v2 runs only the tests added for the series' v2 (lost,
# fsyncerr, eofzero, cowenospc, inline, c2order, atomichang), for showing
# them fail and pass quickly; WT_ONLY=c2 only c2order; WT_ONLY=jstress
# only the journal-pressure stress; WT_ONLY=m1 only delalloc and
# nearfull; WT_ONLY=overlap only the stress with overlapping writers;
# WT_ONLY=nowait only the concurrency checks (writers, nowait);
# WT_ONLY=dm only the device-mapper checks (errors, stable writes)
WT_ONLY=${WT_ONLY:-}
# seconds of the stress with overlapping writers (wt_stress --overlap)
OVERLAP_SECONDS=${OVERLAP_SECONDS:-30}
MNT=/mnt/wt

# check_v1 DESCRIPTION COMMAND...: a check skipped under WT_ONLY=v2
check_v1() {
	[ "$WT_ONLY" = v2 ] || check "$@"
}

# Writeback only when a test asks for it: the granularity test counts
# the sectors that reach the device.
sysctl -q vm.dirty_writeback_centisecs=0 vm.dirty_expire_centisecs=360000

sd=
for d in /sys/block/sd*; do
	grep -qs scsi_debug "$d/device/model" && sd=${d##*/}
done

# mkfs and mount FS (xfs, ext4, ext4-bigalloc) on /dev/DEV at $MNT.
# ext4 commits its journal every 5 minutes here, not every 5 seconds,
# so that no journal write lands in the granularity test's count.
make_fs() {
	local fs=$1 dev=$2
	case $fs in
	xfs) check "mkfs.xfs on $dev" mkfs.xfs -f -q /dev/$dev &&
		check "mount xfs" mount -t xfs /dev/$dev $MNT;;
	ext4) check "mkfs.ext4 on $dev" mkfs.ext4 -F -q -b 4096 /dev/$dev &&
		check "mount ext4" mount -t ext4 -o commit=300 /dev/$dev $MNT;;
	ext4-bigalloc) check "mkfs.ext4 -O bigalloc -C 16384 on $dev" \
			mkfs.ext4 -F -q -b 4096 -O bigalloc -C 16384 /dev/$dev &&
		check "mount ext4 (bigalloc)" mount -t ext4 -o commit=300 /dev/$dev $MNT;;
	esac
}

mkdir -p $MNT

# kernel warnings from the whole suite (hung_reports, warn_reports: testlib)
WARN0=$(warn_reports)

# the --overlap checker's excuse for O_DIRECT reads, on made-up blocks
overlap_selftest() {
	check "wt_stress --selftest: a torn device block is excused only when a plain buffered write is its later part" \
		$STRESS --selftest
}

# overlap FS: wt_stress --overlap on nvme0n1, then no hung task reported
overlap() {
	local fs=$1 hung
	note "$fs on nvme0n1: writers over the same blocks (hung-task timeout $(cat /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null || echo off) s)"
	make_fs $fs nvme0n1 || return
	hung=$(hung_reports)
	check "$fs/nvme0n1: ${OVERLAP_SECONDS}s of overlapping write-through, atomic, buffered writes and reads: every block one write's, in one order" \
		$STRESS --overlap $MNT/overlap $OVERLAP_SECONDS $STRESS_SEED
	check_eq "$fs/nvme0n1: no hung task reported during the overlapping writers" \
		"$hung" "$(hung_reports)"
	umount $MNT
}

# C2 (review): ext4 must start no journal handle while folios of a
# write-through write are under writeback and not yet submitted.  ext4
# with 1 KiB blocks on device-mapper over the scratch disk (one map per
# part, so that a hang in one leaves the other usable); an fsync of the
# same file and a commit are put in the order that deadlocks.  After a
# hang the file system is detached (umount -l) and its map left.
c2order() {
	local part=$1 start=$2 failed=$T_FAIL
	export DM_DISABLE_UDEV=1
	note "ext4 (1 KiB blocks) on device-mapper over vdb: write-through, fsync, commit ($part)"
	check "dmsetup create wtc2$part" dmsetup create wtc2$part \
		--table "0 1048576 linear /dev/vdb $start" || return
	if check "mkfs.ext4 -b 1024 on wtc2$part" mkfs.ext4 -F -q -b 1024 -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/wtc2$part &&
	   check "mount ext4 (1 KiB blocks)" mount -t ext4 -o commit=300 /dev/mapper/wtc2$part $MNT; then
		check "ext4-1k/dm: no journal handle waits with unsubmitted write-through folios ($part)" \
			$WT c2order $MNT/c2 /dev/mapper/wtc2$part $part
		# the order the threads were in (printed on failure anyway)
		[ "$T_FAIL" != "$failed" ] || sed -n 's/^/#   /; /waiting\|resuming/p' "$T_LOG"
		if [ "$T_FAIL" = "$failed" ]; then
			umount $MNT
			dmsetup remove wtc2$part
		else
			umount -l $MNT
		fi
	fi
}

# WT_ONLY=m1: only the xfs delayed allocation test (run it on a
# CONFIG_XFS_DEBUG kernel: KERNEL_VARIANT=xfsdebug kernel/build.sh)
if [ "$WT_ONLY" = m1 ]; then
	note "xfs on nvme0n1: a failed atomic write-through write into a hole"
	if make_fs xfs nvme0n1; then
		check "xfs/nvme0n1: a failed atomic write into a hole leaves no delayed allocation" \
			$WT delalloc $MNT/delalloc
		check "xfs/nvme0n1: atomic and plain write-through writes into a hole need their space once, not twice" \
			$WT nearfull $MNT/nearfull
		umount $MNT
		check "mount xfs with project quotas" \
			mount -t xfs -o prjquota /dev/nvme0n1 $MNT &&
			check "xfs/nvme0n1: atomic and plain write-through writes into a hole are charged to the quota once, not twice" \
				$WT nearquota $MNT/nearquota
		check "umount xfs" umount $MNT
	fi
	finish
	exit
fi

# concurrent FS DEV: on a mounted FS, writers on one file and io_uring
# overwrites issued inline; the latter with lazytime, so that a timestamp
# update never needs a transaction (which IOCB_NOWAIT refuses)
concurrent() {
	local fs=$1 dev=$2
	check "$fs/$dev: 4 writers on one file, overlapping: no torn block, the device holds what the page cache holds" \
		$WT writers $MNT/writers /dev/$dev
	check "remount $fs lazytime" mount -o remount,lazytime $MNT || return
	check "$fs/$dev: io_uring overwrites issued inline (IOCB_NOWAIT), in the page cache when submission returns" \
		$WT nowait $MNT/nowait /dev/$dev
	if [ $fs != ext4 ]; then
		check "$fs/$dev: atomic io_uring overwrites issued inline (IOCB_NOWAIT), in the page cache when submission returns" \
			$WT nowait $MNT/nowait-atomic /dev/$dev atomic
	fi
	check "remount $fs nolazytime" mount -o remount,nolazytime $MNT
}

if [ "$WT_ONLY" = nowait ]; then
	for fs in xfs ext4 ext4-bigalloc; do
		note "$fs on nvme0n1: concurrency"
		make_fs $fs nvme0n1 || continue
		concurrent $fs nvme0n1
		umount $MNT
	done
	finish
	exit
fi

if [ "$WT_ONLY" = overlap ]; then
	overlap_selftest
	overlap xfs
	overlap ext4-bigalloc
	finish
	exit
fi

if [ "$WT_ONLY" = c2 ]; then
	c2order copy 0
	c2order convert 2097152
	finish
	exit
fi

# Only with WT_ONLY=jstress: ext4 with a small journal, write-through next
# to fsync of the same large folios and forced commits, for
# STRESS_SECONDS (a stress, not a regression test: c2order is that).
if [ "$WT_ONLY" = jstress ]; then
	note "ext4 (4 MiB journal) on ${sd:-nvme0n1}: write-through under journal pressure"
	if check "mkfs.ext4 -J size=4 on ${sd:-nvme0n1}" mkfs.ext4 -F -q -b 4096 -J size=4 /dev/${sd:-nvme0n1} &&
	   check "mount ext4" mount -t ext4 -o commit=300 /dev/${sd:-nvme0n1} $MNT; then
		check "ext4/${sd:-nvme0n1}: ${STRESS_SECONDS}s write-through, fsync, commits: no hang" \
			$WT jstress $MNT/jstress $STRESS_SECONDS
	fi
	finish
	exit
fi

for dev in nvme0n1 $sd; do
	[ "$WT_ONLY" = dm ] && break
	for fs in xfs ext4 ext4-bigalloc; do
		note "$fs on $dev"
		make_fs $fs $dev || continue
		check_v1 "$fs/$dev: read-back from the page cache and from the device" \
			$WT readback $MNT/readback /dev/$dev
		check_v1 "$fs/$dev: a 4 KiB write into a dirty 2 MiB range sends 4 KiB" \
			$WT granularity $MNT/granularity $dev
		check_v1 "$fs/$dev: error cases" $WT errors $MNT/errors /tmp/wt-tmpfs
		check_v1 "$fs/$dev: io_uring at queue depth 32" $WT uring $MNT/uring /dev/$dev
		check "$fs/$dev: io_uring at queue depth 32 over written blocks (asynchronous completion)" \
			$WT uring $MNT/uring-written /dev/$dev written
		# ext4 without bigalloc writes one block atomically: 4 KiB
		if [ $fs != ext4 ]; then
			check_v1 "$fs/$dev: atomic write-through: sizes, errors, read-back" \
				$WT atomic $MNT/atomic /dev/$dev
			check_v1 "$fs/$dev: atomic write-through, io_uring at queue depth 32" \
				$WT uring $MNT/uring-atomic /dev/$dev atomic
			check "$fs/$dev: atomic write-through, io_uring at queue depth 32 over written blocks (asynchronous completion)" \
				$WT uring $MNT/uring-atomic-written /dev/$dev atomic written
		fi
		[ $dev = nvme0n1 ] && concurrent $fs $dev
		if [ $dev = nvme0n1 ]; then
			check_v1 "$fs/$dev: next to hole punch, fallocate, O_DIRECT, freeze, ENOSPC" \
				$WT misc $MNT/misc /dev/$dev
		fi
		if [ $dev = nvme0n1 ] && [ $fs != ext4 ]; then
			check_v1 "$fs/$dev: ${STRESS_SECONDS}s randomized stress, no mismatch" \
				$STRESS $MNT/stress $STRESS_SECONDS $STRESS_SEED
		fi
		check "$fs/$dev: mmap stores past EOF are not sent with the EOF block" \
			$WT eofzero $MNT/eofzero /dev/$dev
		if [ $dev = nvme0n1 ]; then
			check "$fs/$dev: RWF_DSYNC overwrites go with FUA and no flush, appends are synced, a chattr +S file does not hang" \
				$WT dsync $MNT/dsync $dev
		fi
		if [ $fs = xfs ] && [ $dev = nvme0n1 ]; then
			check "$fs/$dev: a copy-on-write ENOSPC of an atomic write keeps earlier writes in its range" \
				$WT cowenospc $MNT/cowenospc
			check "$fs/$dev: a failed atomic write into a hole leaves no delayed allocation" \
				$WT delalloc $MNT/delalloc
			check "$fs/$dev: atomic and plain write-through writes into a hole need their space once, not twice" \
				$WT nearfull $MNT/nearfull
			umount $MNT
			check "mount xfs with project quotas" \
				mount -t xfs -o prjquota /dev/$dev $MNT &&
				check "$fs/$dev: atomic and plain write-through writes into a hole are charged to the quota once, not twice" \
					$WT nearquota $MNT/nearquota
		fi
		umount $MNT
	done
done

# Device errors: a device-mapper linear map of the NVMe namespace, whose
# sectors under the test file are swapped for the error target while the
# file system's metadata stays readable and writable.
DM=wtdm
# no udev in the guest: device-mapper makes its /dev/mapper nodes itself
export DM_DISABLE_UDEV=1
size=$(blockdev --getsz /dev/nvme0n1)
cat > /tmp/dm-fail <<EOF
#!/bin/bash
# dm-fail START LEN: sectors START..START+LEN of $DM fail, the rest maps
set -e
end=\$((\$1 + \$2))
dmsetup suspend --nolockfs $DM
printf '0 %s linear /dev/nvme0n1 0\n%s %s error\n%s %s linear /dev/nvme0n1 %s\n' \\
	\$1 \$1 \$2 \$end \$(($size - \$end)) \$end | dmsetup load $DM
dmsetup resume $DM
EOF
cat > /tmp/dm-heal <<EOF
#!/bin/bash
set -e
dmsetup suspend --nolockfs $DM
echo "0 $size linear /dev/nvme0n1 0" | dmsetup load $DM
dmsetup resume $DM
EOF
chmod +x /tmp/dm-fail /tmp/dm-heal
export WT_DM_FAIL=/tmp/dm-fail WT_DM_HEAL=/tmp/dm-heal
for fs in xfs ext4-bigalloc; do
	note "$fs on device-mapper over nvme0n1: I/O errors"
	if ! check "dmsetup create $DM" dmsetup create $DM --table "0 $size linear /dev/nvme0n1 0"; then
		break
	fi
	if make_fs $fs mapper/$DM; then
		check_v1 "$fs/dm: device errors reach the caller and fsync; atomic failures leave old data" \
			$WT ioerr $MNT/ioerr /dev/mapper/$DM
		check "$fs/dm: the same through io_uring (asynchronous completion)" \
			$WT ioerr $MNT/ioerr-uring /dev/mapper/$DM uring
		check "$fs/dm: a failed atomic write takes back only itself (earlier writes, size, fsync)" \
			$WT lost $MNT/lost /dev/mapper/$DM
		check "$fs/dm: an fsync waiting on a failing write-through write returns the error" \
			$WT fsyncerr $MNT/fsyncerr /dev/mapper/$DM
		check "$fs/dm: mmap stores wait for writeback while a write-through write is in flight, not afterwards" \
			$WT stable $MNT/stable /dev/mapper/$DM
		umount $MNT
	fi
	dmsetup remove $DM
done
if [ "$WT_ONLY" = dm ]; then
	finish
	exit
fi

# ext4 with inline_data, on the virtio scratch disk: new files get blocks
note "ext4 with inline_data on vdb"
if check "mkfs.ext4 -O inline_data on vdb" mkfs.ext4 -F -q -b 4096 -O inline_data /dev/vdb &&
   check "mount ext4 (inline_data)" mount -t ext4 /dev/vdb $MNT; then
	check "ext4-inline/vdb: new files take write-through writes; inline ones refuse them first" \
		$WT inline $MNT/inline
	umount $MNT
fi

c2order copy 0
c2order convert 2097152

[ "$WT_ONLY" = v2 ] || { overlap_selftest; overlap xfs; overlap ext4-bigalloc; }

# Last, as a hang leaves the file system busy: ext4 bigalloc, data=ordered,
# an atomic write-through write over mixed extents forces a journal commit.
# On the scsi_debug disk, which the later suites do not use.  After a hang
# the file system is detached (umount -l); the guest's final sync then
# waits for it, and vm/run.sh ends the guest at its timeout.
hdev=${sd:-nvme0n1}
note "ext4-bigalloc on $hdev: atomic write-through next to truncate, fallocate, punch"
if make_fs ext4-bigalloc $hdev; then
	failed=$T_FAIL
	check "ext4-bigalloc/$hdev: atomic write-through over mixed extents does not hang" \
		$WT atomichang $MNT/atomichang
	if [ "$T_FAIL" = "$failed" ]; then
		umount $MNT
	else
		umount -l $MNT
	fi
fi
check_eq "no kernel warning in the suite (WARNING or BUG in the kernel log, lockdep's and might_sleep()'s included)" \
	"$WARN0" "$(warn_reports)"
finish
