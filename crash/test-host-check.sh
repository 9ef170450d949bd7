#!/bin/bash
# test-host-check.sh GUEST_OUT: make check's test of the host-side check
# of the PostgreSQL campaign (crash/check-logs.sh, which make crash uses
# for its 1,000 points per configuration).
#
# The guest's short campaign (vm/guest/crash.sh) checks the control's
# crash points under TCG and copies that log to GUEST_OUT/pglogs.  Here
# the same log is checked again, with the same seed and the same crash
# points, in the guest root as a chroot on the host's kernel.  Both must
# give the same verdict at every crash point: if the host check were
# blind (or saw failures the guest does not), make crash's tables would
# not be the guest's.  GUEST_OUT must lie under the build folder
# ($WTSMGR_CACHE/build), which the chroot sees as /wtsmgr/build.
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../vm/lib/common.sh"
. "$REPO/vm/guest/testlib.sh"
out=${1:?usage: crash/test-host-check.sh GUEST_OUT}
build=$WTSMGR_CACHE/build
case "$out" in "$build"/*) ;; *) die "$out is not under $build";; esac
inner=/wtsmgr/build/${out#"$build"/}
guest=$out/crash-postgres

check "the guest copied out the control's log" test -f "$out/pglogs/xfs-unsafe.log"
check "the guest checked it" test -s "$guest/points-xfs-unsafe.tsv"
if [ "$T_FAIL" = 0 ]; then
	rm -rf "$out/host-check"
	# the guest's 16 crash points (the guest stopped at the first failed
	# one; the host checks them all, and the guest's are the first ones)
	"$REPO/vm/chroot.sh" env CRASH_PG_CONTROL_POINTS=16 \
		CRASH_PG_FS=xfs CRASH_PG_CONFIGS=unsafe CRASH_PROGRESS=0 \
		crash/check-logs.sh "$inner/pglogs" "$inner/host-check" >"$out/host-check.log" 2>&1
	rc=$?
	sed 's/^/# host: /' "$out/host-check.log" | grep -v '^# host: # xfs unsafe log:'
	check_eq "the host check ran (exit 0)" 0 "$rc"
	n=$(wc -l <"$guest/points-xfs-unsafe.tsv")
	host=$out/host-check/points-xfs-unsafe.tsv
	check_eq "the host checked 16 crash points" 16 "$(wc -l <"$host")"
	head -n "$n" "$host" >"$out/host-first.tsv"
	check_eq "host and guest checked the same crash points (the guest's $n)" \
		"$(cut -f1 "$guest/points-xfs-unsafe.tsv" | tr '\n' ' ')" "$(cut -f1 "$out/host-first.tsv" | tr '\n' ' ')"
	# point, recovered, lost commits, invariant, amcheck, checksums
	check_eq "host and guest gave the same verdict at each of them" \
		"$(tr '\n' ' ' <"$guest/points-xfs-unsafe.tsv")" "$(tr '\n' ' ' <"$out/host-first.tsv")"
	check_ge "the comparison includes a failed crash point" 1 \
		"$(awk -F'\t' '$2 != "yes" || $5 == "failed" || ($6 != "-" && $6 != 0)' "$out/host-first.tsv" | wc -l)"
fi
finish
