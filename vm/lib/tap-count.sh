#!/bin/bash
# Count the results in the log of a pg_regress and/or prove -v run, print
# them as "N passed, N failed" (the harness's result line) and exit 0
# only if nothing failed.  Used by vm/extension-check.sh and by
# contrib_wtsmgr/build.sh (check step).
#
# Usage: vm/lib/tap-count.sh LOG RC [WHAT]
#   LOG   the combined output of the runs
#   RC    their exit status (non-zero if any run failed)
#   WHAT  what ran, for the message when RC is non-zero but no test
#         failed (default "make")
#
# pg_regress and prove -v both print TAP lines: "ok N - name" passes
# (pg_regress marks the tests of a parallel group "ok N + name"),
# "not ok N - name" fails, "ok N # skip reason" (or prove's "t/x.pl ..
# skipped: reason", with --timer after the time) is counted as skipped.  A run that failed (RC != 0)
# without any failing test (a crash, a build error, a bail-out) counts
# as one failure.
set -u
log=$1 rc=$2 what=${3:-make}
[ -r "$log" ] || { echo "tap-count: no log $log" >&2; echo "0 passed, 1 failed"; exit 1; }

pass=$(grep -cE '^ok [0-9]+ +[-+] ' "$log")
skip=$(grep -cE '^ok [0-9]+ .*# [Ss][Kk][Ii][Pp]|^(\[[0-9:]+\] )?t/.* skipped: ' "$log")
fail=$(grep -cE '^not ok [0-9]+' "$log")
if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then
	echo "# $what failed (exit $rc) without a failing test"
	fail=1
fi
echo "# skipped: $skip (see the lines above for the reasons)"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
