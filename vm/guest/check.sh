#!/bin/bash
# Runs the in-guest test suites, one after the other, and prints the
# total as "N passed, N failed".  Exit status 0 only if every suite
# passed.
cd "$(dirname "$0")"
. ../lib/common.sh
#
# Usage: check.sh [SUITE...]   (default: the default suites)
#   "world" stands for the default suites and "core" (PostgreSQL's core
#   regression suite against wtsmgr, about 20 minutes under TCG: run by
#   "make check-world", not by "make check").
DEFAULT_SUITES="smoke writethrough writeback extension crash"
SUITES=${*:-$DEFAULT_SUITES}
[ "$SUITES" = world ] && SUITES="$DEFAULT_SUITES core"
pass=0 fail=0 bad=""
for s in $SUITES; do
	echo "=== suite $s"
	log=$(mktemp)
	rc=0
	run_logged "$log" ./$s.sh || rc=$?
	counts=$(summary_counts "$log")
	rm -f "$log"
	if [ -z "$counts" ]; then
		echo "=== suite $s ended without a result (exit $rc)"
		fail=$((fail + 1)); bad="$bad $s"
		continue
	fi
	set -- $counts
	pass=$((pass + $1)); fail=$((fail + $2))
	[ "$rc" = 0 ] && [ "$2" = 0 ] || bad="$bad $s"
done
[ -z "$bad" ] && echo "=== all suites passed" || echo "=== failed suites:$bad"
echo "$pass passed, $fail failed"
[ -z "$bad" ]
