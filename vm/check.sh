#!/bin/bash
# "make check": set up the host, build what is missing (kernel, guest
# root, test programs, extension), then run the test suites:
#   host:   the extension's pg_regress and TAP tests natively in the sid
#           root on the host's stock kernel (its fallback path);
#   bench-report: make bench's report and option checks, no VM;
#   contrib: PostgreSQL 18.6 with our core write hooks, built in the sid
#           root with the module as contrib/wtsmgr, and the same tests;
#   guest:  every in-guest suite on our kernel under QEMU.
# Prints the time of each step, then the total "N passed, N failed" as
# the last line.  Exit status 0 only if every suite passed.
#
# Usage: vm/check.sh [GUEST_SUITE...]   (default: the default guest
#   suites; "world" is those and "core", PostgreSQL's core regression
#   suite, as "make check-world" runs)
#   CHECK_HOST=0     skip the host suite
#   CHECK_CONTRIB=0  skip the in-tree build (about 10 minutes cold)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

t0=$(now)
TIMES=()
step() {
	local name=$1 t rc=0
	shift
	t=$(now)
	log "== $name"
	"$@" || rc=$?
	TIMES+=("$(printf '%-14s %s' "$name" "$(elapsed "$t")")")
	return $rc
}

step setup "$REPO/vm/setup-host.sh"
step kernel "$REPO/kernel/build.sh"
step root "$REPO/vm/build-root.sh"
build_tests() {
	build_guest_programs
	case " $* " in
	*" core "* | *" world "*) "$REPO/vm/build-core-regress.sh" ;;
	esac
}
step build-tests build_tests "$@"

logs=$(mktemp -d)
# the guest's results, where the chroot sees them (crash-host below)
gout=$(mktemp -d "$WTSMGR_CACHE/build/check-out.XXXXXX")
trap 'rm -rf "$logs" "$gout"' EXIT
failed=""
if [ "${CHECK_HOST:-1}" != 0 ]; then
	step host-tests run_logged "$logs/host" \
		"$REPO/vm/chroot.sh" vm/extension-check.sh || failed="$failed host"
fi
# the benchmark's report and option checks, on synthetic data (seconds)
step bench-report run_logged "$logs/bench" \
	"$REPO/bench/test-report.sh" || failed="$failed bench-report"
# the crash oracle's replayer on synthetic logs (about a minute)
step crash-replay run_logged "$logs/crash-replay" \
	"$REPO/crash/test-replay.sh" || failed="$failed crash-replay"
if [ "${CHECK_CONTRIB:-1}" != 0 ]; then
	step contrib-tests run_logged "$logs/contrib" \
		"$REPO/contrib_wtsmgr/build.sh" || failed="$failed contrib"
fi
step guest-tests run_logged "$logs/guest" \
	"$REPO/vm/run.sh" --out "$gout" --timeout "${CHECK_TIMEOUT:-3000}" -- vm/guest/check.sh "$@" ||
	failed="$failed guest"
# the crash suite's control log, checked again on the host: the way
# make crash checks its 1,000 points per configuration (seconds)
case " ${*:-crash} " in *" crash "* | *" world "*)
	step crash-host run_logged "$logs/crash-host" \
		"$REPO/crash/test-host-check.sh" "$gout" || failed="$failed crash-host";;
esac

pass=0 fail=0
for f in "$logs"/*; do
	# a suite that died without its summary line counts as one failure
	read -r p f_ < <(summary_counts "$f") || { p=0; f_=1; }
	pass=$((pass + p)); fail=$((fail + f_))
done
log "times:"
for t in "${TIMES[@]}"; do log "  $t"; done
log "  total          $(elapsed "$t0")"
[ -z "$failed" ] && log "all passed" || log "failed:$failed"
echo "$pass passed, $fail failed"
[ -z "$failed" ] && [ "$fail" = 0 ]
