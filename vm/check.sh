#!/bin/bash
# "make check": set up the host, build what is missing (kernel, guest
# root, test programs), boot our kernel and run the test suites in the
# guest.  Prints the time of each step.
#
# Usage: vm/check.sh [SUITE...]    (default: every suite)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

t0=$(now)
step() {
	local name=$1 t
	shift
	t=$(now)
	log "== $name"
	"$@"
	TIMES+=("$(printf '%-14s %s' "$name" "$(elapsed "$t")")")
}
TIMES=()

step setup "$REPO/vm/setup-host.sh"
step kernel "$REPO/kernel/build.sh"
step root "$REPO/vm/build-root.sh"
build_tests() {
	mkdir -p "$WTSMGR_CACHE/build"
	cp "$KERNEL_DIR/kernel.release" "$WTSMGR_CACHE/build/kernel.release"
	"$REPO/vm/chroot.sh" make -s -C kernel/tests O=/wtsmgr/build/kernel-tests
}
step tests-build build_tests
rc=0
step guest "$REPO/vm/run.sh" --timeout "${CHECK_TIMEOUT:-3000}" -- \
	vm/guest/check.sh "$@" || rc=$?

log "times:"
for t in "${TIMES[@]}"; do log "  $t"; done
log "  total          $(elapsed "$t0")"
exit $rc
