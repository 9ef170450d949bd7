#!/bin/bash
# Guest suite: the power-cut crash oracle, short campaign (crash/guest/).
# Kernel level: atomic write-through writes of 8, 16 and 64 KiB on xfs
# and ext4-bigalloc over dm-log-writes, never torn at any crash point,
# and the two non-atomic controls torn at >= 20% of them.  PostgreSQL:
# wtsmgr (full_page_writes off) and stock recover clean at every crash
# point; the unprotected control (full_page_writes off, no wtsmgr)
# fails at least once; the control's log is copied to /wtsmgr/out for
# crash/test-host-check.sh.  "make crash" runs the full campaign.
# CRASH_POINTS (20) and CRASH_PG_POINTS (3) set the size.
cd "$(dirname "$0")/../.."
. vm/lib/common.sh
. vm/guest/testlib.sh
export CRASH_POINTS=${CRASH_POINTS:-20} CRASH_PG_POINTS=${CRASH_PG_POINTS:-3}
export CRASH_PG_CONTROL_POINTS=${CRASH_PG_CONTROL_POINTS:-16} CRASH_PG_CONTROL_STOP=1
# the control's log goes to the host, which checks it again on its own
# kernel (crash/test-host-check.sh, a step of make check) and must find
# what the guest found at every crash point
[ -n "${WTSMGR_OUT:-}" ] && export CRASH_PG_LOGS=$WTSMGR_OUT/pglogs CRASH_PG_LOG_CONFIGS=unsafe

for part in kernel postgres; do
	log=$(mktemp)
	run_logged "$log" crash/guest/$part.sh
	add_suite "$log" crash/guest/$part.sh
	rm -f "$log"
done
finish
