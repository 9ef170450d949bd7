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
