#!/bin/bash
# Guest suite: the wtsmgr extension's pg_regress and TAP tests on our
# kernel.  Installs what vm/build-extension.sh staged, then runs
# vm/extension-check.sh without building.  When an NVMe namespace is
# there and unused, the test clusters live on xfs on it, so that the
# atomic path (t/003_atomic.pl) has a device with atomic writes.
cd "$(dirname "$0")"
stage=/wtsmgr/build/ext-stage
if [ ! -d $stage/usr ]; then
	echo "# no $stage: run vm/build-extension.sh on the host first"
	echo "0 passed, 1 failed"
	exit 1
fi
cp -a $stage/. /

workdir=/tmp
if [ -z "${EXT_WORKDIR:-}" ] && [ -b /dev/nvme0n1 ] &&
	! grep -q '^/dev/nvme0n1 ' /proc/mounts && command -v mkfs.xfs >/dev/null; then
	mkdir -p /mnt/wtsmgr-ext
	if mkfs.xfs -f -q /dev/nvme0n1 && mount /dev/nvme0n1 /mnt/wtsmgr-ext; then
		workdir=/mnt/wtsmgr-ext
	fi
fi
echo "# test clusters under ${EXT_WORKDIR:-$workdir}"
EXT_WORKDIR=${EXT_WORKDIR:-$workdir} SKIP_BUILD=1 \
	WTSMGR_SRC=/wtsmgr/src /wtsmgr/src/vm/extension-check.sh
rc=$?
[ "$workdir" = /mnt/wtsmgr-ext ] && umount /mnt/wtsmgr-ext
exit $rc
