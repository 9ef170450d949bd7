# Shared settings and helpers for the wtsmgr build and VM scripts.
# Sourced, not run.

# Everything built or downloaded lives here, outside the work tree.
WTSMGR_CACHE=${WTSMGR_CACHE:-/var/cache/wtsmgr}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

KERNEL_DIR=$WTSMGR_CACHE/kernel
ROOT_DIR=$WTSMGR_CACHE/root
CCACHE_DIR=${CCACHE_DIR:-$WTSMGR_CACHE/ccache}
export CCACHE_DIR

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# now: seconds since the epoch, for timing steps.
now() { date +%s; }

# elapsed START: "12m34s" since START.
elapsed() {
	local s=$(( $(now) - $1 ))
	printf '%dm%02ds' $((s / 60)) $((s % 60))
}

# hash_files FILE...: one short hash over the contents of the files.
hash_files() {
	cat "$@" | sha256sum | cut -c1-16
}

# run_with_progress LOG LABEL CMD...: run CMD with its output in LOG,
# printing a line a minute so a long step shows it is alive; on failure
# the tail of LOG is shown.
run_with_progress() {
	local logf=$1 label=$2 start rc
	shift 2
	start=$(now)
	"$@" >"$logf" 2>&1 &
	local pid=$!
	while kill -0 $pid 2>/dev/null; do
		for _ in $(seq 60); do
			kill -0 $pid 2>/dev/null || break
			sleep 1
		done
		kill -0 $pid 2>/dev/null &&
			log "$label: $(elapsed "$start"), $(wc -l <"$logf") log lines"
	done
	wait $pid && rc=0 || rc=$?
	if [ $rc != 0 ]; then
		tail -n 40 "$logf" >&2
		log "$label failed (exit $rc); full log: $logf"
	fi
	return $rc
}

# default_accel: kvm where the CPU has real hardware virtualization
# (vmx/svm) and /dev/kvm is usable, else tcg (QEMU's emulator).
default_accel() {
	if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ]; then
		echo kvm
	else
		echo tcg
	fi
}

# build_guest_programs: what the guest runs besides the root, built in
# the guest root as a chroot: the kernel tests (into build/kernel-tests),
# the crash oracle's programs (build/crash)
# and the extension (staged in build/ext-stage).  Used by "make check"
# and "make bench".
build_guest_programs() {
	mkdir -p "$WTSMGR_CACHE/build"
	cp "$KERNEL_DIR/kernel.release" "$WTSMGR_CACHE/build/kernel.release"
	"$REPO/vm/chroot.sh" make -s -C kernel/tests O=/wtsmgr/build/kernel-tests
	"$REPO/vm/chroot.sh" make -s -C crash/progs O=/wtsmgr/build/crash
	"$REPO/vm/build-extension.sh"
}

# run_logged LOG CMD...: run CMD with its output on stdout and in LOG;
# returns CMD's exit status.
run_logged() {
	local logf=$1
	shift
	"$@" 2>&1 | tee "$logf"
	return "${PIPESTATUS[0]}"
}

# summary_counts LOG: "P F" from the last "N passed, N failed" line of
# LOG (every suite ends with one), or nothing when there is none.
summary_counts() {
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
	[ -n "$line" ] && set -- $line && echo "$1 $3"
	return 0
}
