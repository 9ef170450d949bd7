# Helpers of the crash oracle's guest scripts (kernel.sh, postgres.sh),
# with the guest test helpers (check, note, finish).  Sourced, not run.
. "$(dirname "${BASH_SOURCE[0]}")/../../vm/guest/testlib.sh"
#
# The NVMe namespace (atomic writes up to 64 KiB) is cut with dm-linear
# into a data slice (the logged device) and a log slice; dm-log-writes
# sits on the data slice and writes its log to the log slice.  Images
# are rebuilt on /dev/vdb, the virtio scratch disk.

CRASH_BIN=${CRASH_BIN:-$WTSMGR_BUILD/crash}
# One seed for the workload and every crash point: CRASH_SEED, or random.
SEED=${CRASH_SEED:-$(( $(od -An -N4 -tu4 /dev/urandom) % 1000000000 ))}
NVME=${CRASH_NVME:-/dev/nvme0n1}
REPLAY_TARGET=${CRASH_TARGET_DEV:-/dev/vdb}
DATA_SECTORS=$((1024 * 1024 * 2))	# 1 GiB
LOG_SECTORS=$((2560 * 1024 * 2))	# 2.5 GiB
LW=/dev/mapper/crash-lw
# no udev in the guest: device-mapper makes its /dev/mapper nodes itself
export DM_DISABLE_UDEV=1

# mkfs_args FS: how the oracle makes each file system.  ext4 gets
# bigalloc with 64 KiB clusters (atomic writes up to 64 KiB) and its
# inode tables zeroed by mkfs, not by a thread racing the workload.
mkfs_fs() {
	local fs=$1 dev=$2
	case $fs in
	xfs) mkfs.xfs -f -q "$dev";;
	ext4-bigalloc) mkfs.ext4 -F -q -b 4096 -O bigalloc -C 65536 \
		-E lazy_itable_init=0,lazy_journal_init=0 "$dev";;
	*) echo "unknown file system $fs" >&2; return 2;;
	esac
}

fstype() { echo "${1%%-*}"; }

# lw_slices: the data and log slices of the NVMe namespace.
lw_slices() {
	dmsetup remove crash-lw 2>/dev/null || true
	dmsetup remove crash-data 2>/dev/null || true
	dmsetup remove crash-log 2>/dev/null || true
	dmsetup create crash-data --table "0 $DATA_SECTORS linear $NVME 0" &&
	dmsetup create crash-log --table "0 $LOG_SECTORS linear $NVME $DATA_SECTORS"
}

# lw_start: a fresh log on the log slice, and the log-writes device.
lw_start() {
	dd if=/dev/zero of=/dev/mapper/crash-log bs=1M count=1 oflag=direct status=none &&
	dmsetup create crash-lw --table \
		"0 $DATA_SECTORS log-writes /dev/mapper/crash-data /dev/mapper/crash-log"
}

lw_mark() { dmsetup message crash-lw 0 mark "$1"; }

# lw_stop: remove the log-writes device (this logs the end mark).
lw_stop() { dmsetup remove crash-lw; }

lw_cleanup() {
	dmsetup remove crash-lw 2>/dev/null
	dmsetup remove crash-data 2>/dev/null
	dmsetup remove crash-log 2>/dev/null
	return 0
}
