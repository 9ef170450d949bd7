#!/bin/bash
# Guest suite: buffered write-through (RWF_WRITETHROUGH) on our kernel,
# with kernel/tests/wt.c, on each file system that implements it and on
# each atomic-write device.
. "$(dirname "$0")/testlib.sh"

WT=$WTSMGR_BUILD/kernel-tests/wt
MNT=/mnt/wt

# Writeback only when a test asks for it: the granularity test counts
# the sectors that reach the device.
sysctl -q vm.dirty_writeback_centisecs=0 vm.dirty_expire_centisecs=360000

sd=
for d in /sys/block/sd*; do
	grep -qs scsi_debug "$d/device/model" && sd=${d##*/}
done

mkdir -p $MNT
for dev in nvme0n1 $sd; do
	for fs in xfs; do
		note "$fs on $dev"
		case $fs in
		xfs) mkfs=(mkfs.xfs -f -q);;
		esac
		if ! check "mkfs.$fs /dev/$dev" "${mkfs[@]}" /dev/$dev ||
		   ! check "mount $fs" mount -t $fs /dev/$dev $MNT; then
			continue
		fi
		check "$fs/$dev: read-back from the page cache and from the device" \
			$WT readback $MNT/readback /dev/$dev
		check "$fs/$dev: a 4 KiB write into a dirty 2 MiB range sends 4 KiB" \
			$WT granularity $MNT/granularity $dev
		check "$fs/$dev: error cases" $WT errors $MNT/errors /tmp/wt-tmpfs
		check "$fs/$dev: io_uring at queue depth 32" $WT uring $MNT/uring /dev/$dev
		umount $MNT
	done
done
note "ext4: write-through is not implemented yet"
finish
