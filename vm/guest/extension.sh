#!/bin/bash
# Guest suite: the wtsmgr extension's pg_regress and TAP tests on our
# kernel.  Installs what vm/build-extension.sh staged, then runs
# vm/extension-check.sh without building.
#
# Devices: the test clusters live on xfs on the NVMe namespace (atomic
# writes), so that the atomic path has a device with atomic writes; the
# virtio scratch disk /dev/vdb, which has none, carries xfs without
# reflink (so no copy-on-write atomic writes either) at
# WTSMGR_TEST_NOATOMIC_DIR, for the tablespace and WAL tests.  The TAP
# tests print wtsmgr_status and wtsmgr_locations as they find them.
cd "$(dirname "$0")"
. ../lib/common.sh
stage=/wtsmgr/build/${WTSMGR_EXT_STAGE:-ext-stage}
if [ ! -d $stage/usr ]; then
	echo "# no $stage: run vm/build-extension.sh on the host first"
	echo "0 passed, 1 failed"
	exit 1
fi
cp -a $stage/. /

# PostgreSQL::Test::Cluster loops forever looking for a free port when it
# cannot bind to 127.0.0.1 (vm/guest/run.sh brings the loopback up).
if ! perl -MSocket -e 'socket(my $s, PF_INET, SOCK_STREAM, 0) or die;
	bind($s, sockaddr_in(0, inet_aton("127.0.0.1"))) or die "$!\n"'; then
	echo "# cannot bind to 127.0.0.1: the TAP tests would hang"
	echo "0 passed, 1 failed"
	exit 1
fi

# mount_xfs DEV DIR [MKFS_OPTION...]: a fresh xfs on DEV at DIR, if DEV
# exists and is not in use; only in the guest (WTSMGR_GUEST, set by
# vm/guest/run.sh), never on a host's disk.
mount_xfs() {
	local dev=$1 dir=$2
	shift 2
	[ "${WTSMGR_GUEST:-}" = 1 ] && [ -b "$dev" ] &&
		! grep -q "^$dev" /proc/mounts &&
		command -v mkfs.xfs >/dev/null || return 1
	mkdir -p "$dir"
	mkfs.xfs -f -q "$@" "$dev" && mount "$dev" "$dir"
}

# The NVMe report of wtsmgr_locations sends Identify through the
# namespace's device node, which the server's user may not open by
# default: in this throw-away guest, let it (see doc/operations.md).
if [ "${WTSMGR_GUEST:-}" = 1 ] && [ -b /dev/nvme0n1 ]; then
	chgrp disk /dev/nvme0n1 && chmod g+r /dev/nvme0n1 &&
		usermod -a -G disk postgres
fi

workdir=/tmp
if [ -z "${EXT_WORKDIR:-}" ] && mount_xfs /dev/nvme0n1 /mnt/wtsmgr-ext; then
	workdir=/mnt/wtsmgr-ext
fi
noatomic=
if [ -z "${WTSMGR_TEST_NOATOMIC_DIR:-}" ] &&
	mount_xfs /dev/vdb /mnt/wtsmgr-noatomic -m reflink=0; then
	noatomic=/mnt/wtsmgr-noatomic
	chown postgres: $noatomic
	export WTSMGR_TEST_NOATOMIC_DIR=$noatomic
fi
echo "# test clusters under ${EXT_WORKDIR:-$workdir}" \
	"($(findmnt -no SOURCE,FSTYPE -T "${EXT_WORKDIR:-$workdir}"))"
echo "# without atomic writes: ${WTSMGR_TEST_NOATOMIC_DIR:-none}" \
	"(atomic_write_unit_max_bytes of vdb: $(cat /sys/block/vdb/queue/atomic_write_unit_max_bytes 2>/dev/null))"
start=$(date +%s)
log=$(mktemp)
EXT_WORKDIR=${EXT_WORKDIR:-$workdir} SKIP_BUILD=1 WTSMGR_SRC=/wtsmgr/src \
	run_logged "$log" /wtsmgr/src/vm/extension-check.sh
rc=$?
echo "# extension suite: $(($(date +%s) - start)) s"
[ -n "$noatomic" ] && umount $noatomic
[ "$workdir" = /mnt/wtsmgr-ext ] && umount /mnt/wtsmgr-ext

# The asynchronous writes again on ext4 (bigalloc, 16 KiB clusters, so
# that 8 KiB pages can be written atomically) on the same namespace: the
# kernel's RWF_NOWAIT rules differ between the two file systems.
if [ "$workdir" = /mnt/wtsmgr-ext ] && [ -z "${EXT_WORKDIR:-}" ] &&
	mkfs.ext4 -q -F -O bigalloc -C 16384 /dev/nvme0n1 2>/dev/null &&
	mount /dev/nvme0n1 /mnt/wtsmgr-ext; then
	echo "# t/013_async_writes.pl on ext4 (bigalloc) on /dev/nvme0n1"
	log4=$(mktemp)
	EXT_WORKDIR=/mnt/wtsmgr-ext SKIP_BUILD=1 PROVE_TESTS=t/013_async_writes.pl \
		WTSMGR_SRC=/wtsmgr/src \
		run_logged "$log4" /wtsmgr/src/vm/extension-check.sh || rc=1
	umount /mnt/wtsmgr-ext
	# one total for the two runs, last, as the suite's result (a run
	# without a result line counts as one failure)
	c1=$(summary_counts "$log")
	c2=$(summary_counts "$log4")
	set -- ${c1:-0 1} ${c2:-0 1}
	echo "$(($1 + $3)) passed, $(($2 + $4)) failed"
	rm -f "$log4"
fi
rm -f "$log"
exit $rc
