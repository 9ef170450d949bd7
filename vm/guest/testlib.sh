# Test helpers for suites that run in the guest.  Sourced, not run.
#
# A suite calls `check DESCRIPTION COMMAND...` (passes when COMMAND exits
# 0) or `check_eq DESCRIPTION EXPECTED ACTUAL`, and ends with
# `finish`, which prints "N passed, N failed" and exits non-zero when
# anything failed.  A failing check shows the command's output.

. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

T_PASS=0
T_FAIL=0
T_NUM=0
T_LOG=$(mktemp /tmp/check.XXXXXX)

_t_result() {
	local ok=$1 desc=$2
	T_NUM=$((T_NUM + 1))
	if [ "$ok" = 1 ]; then
		T_PASS=$((T_PASS + 1))
		echo "ok $T_NUM - $desc"
	else
		T_FAIL=$((T_FAIL + 1))
		echo "not ok $T_NUM - $desc"
		sed 's/^/#   /' "$T_LOG"
	fi
}

# check DESCRIPTION COMMAND...: pass when COMMAND succeeds.
check() {
	local desc=$1
	shift
	if "$@" >"$T_LOG" 2>&1; then _t_result 1 "$desc"; else _t_result 0 "$desc"; fi
}

# check_fails DESCRIPTION COMMAND...: pass when COMMAND fails.
check_fails() {
	local desc=$1
	shift
	if "$@" >"$T_LOG" 2>&1; then _t_result 0 "$desc"; else _t_result 1 "$desc"; fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	echo "expected: $2" >"$T_LOG"
	echo "got:      $3" >>"$T_LOG"
	if [ "$2" = "$3" ]; then _t_result 1 "$1"; else _t_result 0 "$1"; fi
}

# check_ge DESCRIPTION MIN ACTUAL: integer ACTUAL >= MIN.
check_ge() {
	echo "expected at least: $2" >"$T_LOG"
	echo "got:               $3" >>"$T_LOG"
	if [ -n "$3" ] && [ "$3" -ge "$2" ] 2>/dev/null; then
		_t_result 1 "$1"
	else
		_t_result 0 "$1"
	fi
}

# skip DESCRIPTION REASON: a check that cannot be made here; counted
# neither as passed nor as failed.
skip() {
	T_NUM=$((T_NUM + 1))
	echo "ok $T_NUM # skip $1: $2"
}

# add_counts "P passed, F failed": fold the result line of a sub-run
# (e.g. vm/lib/tap-count.sh over a pg_regress log) into the totals.
add_counts() {
	set -- $1
	T_PASS=$((T_PASS + $1))
	T_FAIL=$((T_FAIL + $3))
	T_NUM=$((T_NUM + $1 + $3))
}

# add_suite LOG NAME: fold the result of the sub-suite NAME, whose output
# is in LOG, into the totals; one that ended without its "N passed, N
# failed" line counts as one failure.
add_suite() {
	local counts
	counts=$(summary_counts "$1")
	[ -n "$counts" ] || { echo "not ok - $2 ended without a result"; counts="0 1"; }
	add_counts "$(set -- $counts; echo "$1 passed, $2 failed")"
}

# What the kernel reported in its log, counted (compare counts taken
# before and after a test).  The hung-task detector
# (CONFIG_DETECT_HUNG_TASK) reports a task blocked for
# hung_task_timeout_secs; WARN_ON and BUG reports, and those of lockdep
# ("WARNING: possible circular locking dependency detected",
# "WARNING: inconsistent lock state") and of might_sleep() ("BUG: sleeping
# function called from invalid context") on a KERNEL_VARIANT=lockdep
# kernel, are below the console's log level: they are only in dmesg.
hung_reports() { dmesg | grep -c 'blocked for more than' || true; }
warn_reports() { dmesg | grep -c -E 'WARNING:|BUG:' || true; }

# note TEXT: a comment line in the output.
note() { echo "# $*"; }

finish() {
	rm -f "$T_LOG"
	echo "$T_PASS passed, $T_FAIL failed"
	[ $T_FAIL = 0 ] && [ $T_NUM -gt 0 ]
}
