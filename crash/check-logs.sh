#!/bin/bash
# check-logs.sh LOGDIR RESULTS: the PostgreSQL campaign's crash points,
# checked at native speed instead of under TCG.
#
# The guest (crash/guest/postgres.sh with CRASH_PG_LOGS) runs each
# configuration's workload on our kernel over dm-log-writes and copies
# the log out: FS-CONFIG.log, with FS-CONFIG.info (commits, transactions,
# seed).  This script runs in the guest's root as a chroot on the host
# (vm/chroot.sh: the same PostgreSQL 18, xfsprogs and replay), rebuilds
# each crash point's image into a sparse file, mounts a copy of it on a
# loop device (the host kernel's xfs or ext4 does the log recovery), and
# runs the same check as the guest (pgcheck.sh: crash recovery, lost
# commits, pgbench's invariant, pg_amcheck, pg_checksums).  What is
# tested, how the kernel under test wrote the device, is all in the log;
# replaying it needs no atomic writes.
#
# Environment: CRASH_PG_POINTS (crash points per configuration, 1000),
# CRASH_PG_CONTROL_POINTS (the control's, default CRASH_PG_POINTS),
# CRASH_PG_MIN_FOUND (1), CRASH_SEED (default: the seed the guest used),
# CRASH_PG_FS and CRASH_PG_CONFIGS (which logs, in which order; default
# every log in LOGDIR), CRASH_JOBS (configurations checked side by side,
# 3), CRASH_PG_POINT (only this log entry: a failure printed as "crash
# point K (entry N) ... seed S" is rebuilt and checked again, bit for
# bit, with CRASH_PG_POINT=N CRASH_SEED=S and that FS and config).  Writes RESULTS/summary.tsv (the guest's format)
# and the per-point files; ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ $# = 2 ] || { echo "usage: crash/check-logs.sh LOGDIR RESULTS" >&2; exit 2; }
LOGDIR=$1 RES=$2
[ -d "$LOGDIR" ] || { echo "check-logs.sh: no folder $LOGDIR" >&2; exit 2; }
. "$here/guest/lib.sh"

POINTS=${CRASH_PG_POINTS:-1000}
CONTROL_POINTS=${CRASH_PG_CONTROL_POINTS:-$POINTS}
MIN_FOUND=${CRASH_PG_MIN_FOUND:-1}
REPLAY=${REPLAY:-$CRASH_BIN/replay}
SUMMARY=$RES/summary.tsv
TARGET=/tmp/crash-target.img
export CRASH_SNAPSHOT=copy CRASH_PROGRESS=${CRASH_PROGRESS:-1}
mkdir -p "$RES"
pg_summary_header "$SUMMARY"

logs=()
if [ -n "${CRASH_PG_FS:-}${CRASH_PG_CONFIGS:-}" ]; then
	for fs in ${CRASH_PG_FS:-xfs ext4-bigalloc}; do
		for cfg in ${CRASH_PG_CONFIGS:-wtsmgr unsafe stock}; do
			[ -f "$LOGDIR/$fs-$cfg.log" ] && logs+=("$LOGDIR/$fs-$cfg.log")
		done
	done
else
	for l in "$LOGDIR"/*.log; do [ -f "$l" ] && logs+=("$l"); done
fi
check "logs to check in $LOGDIR (${#logs[@]})" test ${#logs[@]} -gt 0
check "the replayer is built ($REPLAY)" test -x "$REPLAY"

# one configuration: rebuild and check its crash points (job number $1)
check_log() {
	local job=$1 log=$2 name fs cfg info commits txns t target
	name=$(basename "$log" .log)
	cfg=${name##*-}
	fs=${name%-*}
	info=$LOGDIR/$name.info
	commits=$(sed -n 's/^commits\t//p' "$info" 2>/dev/null)
	txns=$(sed -n 's/^transactions\t//p' "$info" 2>/dev/null)
	SEED=${CRASH_SEED:-$(sed -n 's/^seed\t//p' "$info" 2>/dev/null)}
	case "$SEED" in ''|*[!0-9]*) echo "# $name: no seed (CRASH_SEED or $info)"; return;; esac
	echo "# $fs $cfg: $(du -m "$log" | cut -f1) MiB of log, seed $SEED"
	target=/tmp/crash-target-$job.img
	rm -f "$target"
	truncate -s $((DATA_SECTORS * 512)) "$target"
	t=$(date +%s)
	CRASH_JOB=$job pg_replay_run "$fs" "$cfg" "$log" "$target" "${commits:-0}" "${txns:-0}"
	echo "# $fs $cfg: checked in $(( $(date +%s) - t )) s"
	rm -f "$target"
}

# The checks wait on PostgreSQL and the disk more than on the CPU, so
# configurations run side by side, CRASH_JOBS (default 3) at a time.
JOBS=${CRASH_JOBS:-3}
case "$JOBS" in ''|*[!0-9]*|0) echo "CRASH_JOBS must be a whole number >= 1" >&2; exit 2;; esac
running=0 job=0
for log in "${logs[@]}"; do
	if [ $running -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
	job=$((job + 1))
	check_log $job "$log" >"$RES/check-$(basename "$log" .log).out" &
	running=$((running + 1))
done
wait
for log in "${logs[@]}"; do
	name=$(basename "$log" .log)
	cat "$RES/check-$name.out"
	pg_replay_verdict "${name%-*}" "${name##*-}"
done
sed 's/^/# /' "$SUMMARY"
finish
