#!/bin/bash
# on-image.sh FSTYPE CMD...: replay's --exec hook.  Mounts the image that
# replay rebuilt on $CRASH_TARGET, through a throw-away dm-snapshot (so
# that log recovery, and whatever CMD writes, leave the target as replay
# expects it), at $IMAGE (/mnt/crash-image-JOB), runs CMD there, and
# cleans up.  The snapshot's exception store is a loop device over a
# file in /tmp, made on first use ($CRASH_COW names it).
#
# Where there is no device-mapper (the host, where crash/check-logs.sh
# checks captured logs), or with CRASH_SNAPSHOT=copy, the throw-away
# image is a sparse copy of the target file ($CRASH_WORK, default
# /tmp/crash-work-JOB.img) on a loop device instead.  JOB is $CRASH_JOB
# (default 0): checks that run side by side use different numbers.
#
# Exit status: CMD's; 1 (a finding) when the file system does not mount;
# 2 when the snapshot cannot be set up.
set -u
export DM_DISABLE_UDEV=1
fstype=$1
shift
job=${CRASH_JOB:-0}	# checks running side by side each have their own
IMAGE=${IMAGE:-/mnt/crash-image-$job}
export IMAGE
snap=crash-snap-$job
merr=/tmp/crash-mount-$job.err

opts=
if [ "${CRASH_SNAPSHOT:-}" = copy ] || ! dmsetup version >/dev/null 2>&1; then
	work=${CRASH_WORK:-/tmp/crash-work-$job.img}
	cp --sparse=always "$CRASH_TARGET" "$work" || exit 2
	dev=$(losetup -f --show "$work") || { rm -f "$work"; exit 2; }
	release() {
		losetup -d "$dev"
		local r=$?
		rm -f "$work"
		return $r
	}
	# copies of one image side by side share the file system's UUID
	[ "$fstype" = xfs ] && opts="-o nouuid"
else
	cow=${CRASH_COW:-}
	if [ -z "$cow" ]; then
		cow=$(losetup -j /tmp/crash-cow.img 2>/dev/null | cut -d: -f1 | head -n 1)
		if [ -z "$cow" ]; then
			truncate -s 1G /tmp/crash-cow.img
			cow=$(losetup -f --show /tmp/crash-cow.img) || exit 2
		fi
	fi
	size=$(blockdev --getsz "$CRASH_TARGET") || exit 2
	dmsetup remove $snap 2>/dev/null
	# a new exception store each time: the old one's exceptions must not apply
	dd if=/dev/zero of="$cow" bs=4096 count=1 oflag=direct status=none
	dmsetup create $snap --table "0 $size snapshot $CRASH_TARGET $cow N 16" || exit 2
	dev=/dev/mapper/$snap
	release() { dmsetup remove $snap; }
fi
mkdir -p "$IMAGE"
if ! mount -t "$fstype" $opts "$dev" "$IMAGE" 2>$merr; then
	echo "crash point $CRASH_POINT: the $fstype file system does not mount: $(cat $merr)"
	release
	exit 1
fi
(cd "$IMAGE" && "$@")
rc=$?
umount "$IMAGE" || rc=2
release || rc=2
exit $rc
