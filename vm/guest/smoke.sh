#!/bin/bash
# Smoke test, run in the guest: is this our kernel, do the atomic-write
# devices and both filesystems work, does PostgreSQL 18 run?  Each check
# fails on a kernel without our configuration or on a device without
# atomic writes.
. "$(dirname "$0")/testlib.sh"

BIN=$WTSMGR_BUILD/kernel-tests
NVME=/dev/nvme0n1
MNT=/mnt/smoke
mkdir -p $MNT

note "kernel"
check_eq "the running kernel is the one we built" \
	"$(cat "$WTSMGR_BUILD/kernel.release" 2>/dev/null)" "$(uname -r)"
check "the kernel carries our config fragment (/proc/config.gz)" \
	zgrep -qxF 'CONFIG_LOCALVERSION="-wtsmgr"' /proc/config.gz
# vm/run.sh writes the CPUs it gave QEMU (-smp) to the output folder: the
# races the tests look for need them all online.
check_eq "every CPU QEMU was given is online" \
	"$(cat "$WTSMGR_OUT/smp" 2>/dev/null)" "$(nproc)"

note "atomic-write devices"
check "the NVMe namespace is present" test -b $NVME
check_ge "NVMe atomic_write_unit_max_bytes >= 16384" 16384 \
	"$(cat /sys/block/nvme0n1/queue/atomic_write_unit_max_bytes 2>/dev/null)"
sd=
for d in /sys/block/sd*; do
	grep -qs scsi_debug "$d/device/model" && sd=${d##*/}
done
check "the scsi_debug disk is present" test -n "$sd"
check_ge "scsi_debug atomic_write_unit_max_bytes >= 16384" 16384 \
	"$(cat /sys/block/${sd:-none}/queue/atomic_write_unit_max_bytes 2>/dev/null)"

note "xfs on NVMe"
check "mkfs.xfs" mkfs.xfs -f -q $NVME
check "mount xfs" mount -t xfs $NVME $MNT
touch $MNT/f
check "statx: xfs admits 16 KiB atomic writes" $BIN/statx_atomic --min-max 16384 $MNT/f
xfs_awu=$($BIN/statx_atomic $MNT/f 2>&1)
note "xfs: $xfs_awu"
# Beyond the hardware unit xfs falls back to copy-on-write (software)
# atomic writes; unit_max_opt is what the device does itself.
opt=$(echo "$xfs_awu" | sed -n 's/.*unit_max_opt=\([0-9]*\).*/\1/p')
check_ge "statx: xfs hardware atomic unit (unit_max_opt) >= 16384" 16384 "$opt"
umount $MNT

note "ext4 (bigalloc, 16 KiB clusters) on NVMe"
check "mkfs.ext4 -O bigalloc -C 16384" mkfs.ext4 -q -F -O bigalloc -C 16384 $NVME
check "mount ext4" mount -t ext4 $NVME $MNT
touch $MNT/f
check "statx: ext4 bigalloc admits 16 KiB atomic writes" \
	$BIN/statx_atomic --min-max 16384 $MNT/f
note "ext4: $($BIN/statx_atomic $MNT/f 2>&1)"
check "fallocate(FALLOC_FL_WRITE_ZEROES) of 16 MiB on ext4" \
	$BIN/write_zeroes $MNT/wz 0 16777216

note "PostgreSQL 18 on ext4 (bigalloc) on NVMe"
PGDATA=$MNT/pgdata
mkdir -p $PGDATA && chown postgres: $PGDATA
PGLOG=/tmp/smoke-postgres.log
pg() { runuser -u postgres -- "$@"; }
pg_start() {
	pg pg_ctl -D $PGDATA -w -t 120 -l $PGLOG \
		-o "-k /tmp -c listen_addresses=''" start && return 0
	cat $PGLOG
	return 1
}
check "initdb" pg initdb -D $PGDATA --no-sync -A trust
check "start" pg_start
check "pgbench -i" pg pgbench -h /tmp -i -s 1 postgres
out=$(pg pgbench -h /tmp -T 10 -c 2 postgres 2>&1)
tps=$(echo "$out" | sed -n 's/^tps = \([0-9]*\).*/\1/p')
failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
check_ge "pgbench ran transactions for 10 seconds" 1 "${tps:-0}"
check_eq "pgbench had no failed transactions" 0 "$failed"
note "pgbench: ${tps:-?} tps (emulated CPU: not a benchmark)"
check "stop" pg pg_ctl -D $PGDATA -w -m fast stop
umount $MNT

finish
