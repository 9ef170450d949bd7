# Helpers for the benchmark scripts that run in the guest.  Sourced.
#
# Results go under $WTSMGR_OUT (the host's results folder, raw/).

# blog TEXT: a progress or status line, prefixed so the host's console
# stream shows which part of the benchmark speaks.
blog() { printf 'bench: %s\n' "$*"; }

# bdie TEXT: fail loudly and stop the whole benchmark.
bdie() {
	printf '\nbench: FAILED: %s\n\n' "$*" >&2
	exit 1
}

# insn_mark LABEL: ask the host's instruction-counting plugin for a
# reading (bench/plugin/insn.c) and wait until it was taken.  Without the
# plugin (KVM, or not loaded) this does nothing: the report then leaves
# the instruction figures out.
INSN_CTL=${WTSMGR_OUT:-/wtsmgr/out}/insn.ctl
insn_mark() {
	[ -n "${BENCH_INSN:-}" ] || return 0
	local label=$1 i
	# Write under another name and rename, so the plugin never reads a
	# half-written label.
	echo "$label" > "$INSN_CTL.tmp" && mv "$INSN_CTL.tmp" "$INSN_CTL"
	for i in $(seq 500); do
		[ -e "$INSN_CTL" ] || return 0
		sleep 0.01
	done
	blog "warning: the instruction counter did not answer mark $label"
	rm -f "$INSN_CTL"
}

# devstat DEV: the block device's I/O counters (Documentation/block/stat.rst).
devstat() { cat "/sys/block/${1##*/}/stat"; }

# bench_mkfs FS DEV MNT: a fresh xfs, ext4 or ext4-bigalloc (16 KiB
# clusters) on DEV (ext4: 4 KiB blocks, 3 GiB: quicker to make; no lazy
# inode-table or journal zeroing in the background, which would count as
# the first runs' device writes), mounted at MNT, unmounted first if it
# was.
bench_mkfs() {
	local fs=$1 dev=$2 mnt=$3
	local ext4=(mkfs.ext4 -F -q -b 4096 -E lazy_itable_init=0,lazy_journal_init=0)
	! grep -q " $mnt " /proc/mounts || umount "$mnt"
	case $fs in
	xfs) mkfs.xfs -f -q "$dev";;
	ext4) "${ext4[@]}" "$dev" 3G;;
	ext4-bigalloc) "${ext4[@]}" -O bigalloc -C 16384 "$dev" 3G;;
	*) bdie "unknown file system $fs";;
	esac
	mount -t "${fs%-bigalloc}" "$dev" "$mnt"
}

# now_ms: the guest's wall clock in milliseconds since the epoch.
now_ms() { date +%s%3N; }

# cpusnap: the guest's uptime and idle seconds (/proc/uptime) and its
# aggregate CPU line (/proc/stat, USER_HZ ticks) as KEY VALUE lines.
# Under QEMU -icount, busy time (elapsed - idle - iowait) is an
# instruction count: 2^shift ns per instruction.
cpusnap() {
	echo "uptime $(cut -d' ' -f1,2 /proc/uptime)"
	echo "cpustat $(sed -n 's/^cpu  *//p' /proc/stat)"
	echo "ncpu $(nproc)"
}

# throttle_set BPS IOPS: ask the host to set the throttled NVMe device's
# limits (vm/run.sh --throttle-ctl; 0 = no limit, "0 0" lifts them) and
# wait until it did.  Fails the benchmark when the host does not answer
# or could not set them.
THROTTLE_CTL=${WTSMGR_OUT:-/wtsmgr/out}/throttle.ctl
throttle_set() {
	local i reply t0
	rm -f "${THROTTLE_CTL%.ctl}.reply"
	t0=$(now_ms)
	echo "$1 $2" > "$THROTTLE_CTL.tmp" && mv "$THROTTLE_CTL.tmp" "$THROTTLE_CTL"
	for i in $(seq 300); do
		[ -e "$THROTTLE_CTL" ] || break
		sleep 0.1
	done
	# The guest's clock around the request; the host logs its own
	# (throttle.log): the report compares the two clocks' rates.
	echo "$t0 $(now_ms) $1 $2" >> "${THROTTLE_CTL%.ctl}-guest.log"
	reply=$(cat "${THROTTLE_CTL%.ctl}.reply" 2>/dev/null || true)
	[ "$reply" = "ok $1 $2" ] ||
		bdie "the host did not set the device throttle to $1 B/s, $2 IOPS (vm/run.sh --throttle-ctl): ${reply:-no answer in 30 s}"
}
