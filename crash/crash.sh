#!/bin/bash
# "make crash": the full power-cut campaign.  Builds what is missing (the
# steps of "make check"; the kernel only when there is none), boots our
# kernel and runs crash/guest/kernel.sh and crash/guest/postgres.sh
# there, then writes results.md and crash.png (crash/report.py) and
# prints the tables.
#
# Options (environment or make variables: make crash CRASH_POINTS=200):
#   CRASH_POINTS      kernel-level crash points per configuration (1000)
#   CRASH_WRITES      writes per kernel-level configuration (1000)
#   CRASH_FILE_KB     the kernel-level file's size (1024)
#   CRASH_PG_POINTS   PostgreSQL crash points per protected configuration
#                     (10; each one is a crash recovery and a full check,
#                     about 25 s under TCG)
#   CRASH_PG_CONTROL_POINTS  crash points of the unprotected control
#                     (default: CRASH_PG_POINTS)
#   CRASH_PG_DURATION seconds of PostgreSQL workload per configuration (60)
#   CRASH_SEED        the seed (default: random; printed and reported)
#   CRASH_FS          kernel-level file systems ("xfs ext4-bigalloc")
#   CRASH_PG_FS       the PostgreSQL campaign's file systems ("xfs ext4-bigalloc")
#   CRASH_PG_CHECK    where the PostgreSQL crash points are checked:
#                     "host" (default: the guest runs the workloads on
#                     our kernel and copies each log out; the host
#                     replays and checks them at native speed in the
#                     guest's root as a chroot, crash/check-logs.sh,
#                     about 0.3 s a point) or "guest" (all under TCG,
#                     about 6-25 s a point)
#   CRASH_JOBS        configurations checked side by side on the host (3)
#   CRASH_PARTS       "kernel postgres" (default), or one of them
#   CRASH_OUT         results folder (crash/results/YYYYmmdd-HHMMSS;
#                     crash/results/latest points at the last one); a
#                     folder that has results keeps those of the parts
#                     not run again, and its info.txt grows
#   CRASH_NO_BUILD=1  use what is built
set -euo pipefail
. "$(dirname "$0")/../vm/lib/common.sh"

case "${1:-}" in
-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0;;
?*) die "no arguments (settings are environment or make variables; see crash/crash.sh --help)";;
esac
export CRASH_POINTS=${CRASH_POINTS:-1000} CRASH_WRITES=${CRASH_WRITES:-1000}
export CRASH_PG_POINTS=${CRASH_PG_POINTS:-10}
export CRASH_PG_CONTROL_POINTS=${CRASH_PG_CONTROL_POINTS:-$CRASH_PG_POINTS}
export CRASH_FILE_KB=${CRASH_FILE_KB:-1024}
export CRASH_PG_FS=${CRASH_PG_FS:-xfs ext4-bigalloc}
export CRASH_PG_DURATION=${CRASH_PG_DURATION:-60}
export CRASH_SEED=${CRASH_SEED:-$(( $(od -An -N4 -tu4 /dev/urandom) % 1000000000 ))}
CRASH_PG_CHECK=${CRASH_PG_CHECK:-host}
case $CRASH_PG_CHECK in host|guest) ;; *) die "CRASH_PG_CHECK takes host or guest, not '$CRASH_PG_CHECK'";; esac
PARTS=${CRASH_PARTS:-kernel postgres}
for v in CRASH_POINTS CRASH_WRITES CRASH_FILE_KB CRASH_PG_POINTS CRASH_PG_CONTROL_POINTS CRASH_PG_DURATION CRASH_SEED ${CRASH_JOBS:+CRASH_JOBS}; do
	case "${!v}" in ''|*[!0-9]*) die "$v must be a whole number, not '${!v}'";; esac
	[ "${!v}" -gt 0 ] || [ $v = CRASH_SEED ] || die "$v must be at least 1"
done
for p in $PARTS; do
	case $p in kernel|postgres) ;; *) die "CRASH_PARTS takes kernel and/or postgres, not '$p'";; esac
done
[ "$(id -u)" = 0 ] || die "must run as root (see README.md)"

t0=$(now)
if [ -z "${CRASH_NO_BUILD:-}" ]; then
	log "== build"
	"$REPO/vm/setup-host.sh"
	[ -f "$KERNEL_DIR/bzImage" ] || "$REPO/kernel/build.sh"
	"$REPO/vm/build-root.sh"
	build_guest_programs
	log "build done in $(elapsed "$t0")"
fi
OUTDIR=${CRASH_OUT:-$REPO/crash/results/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUTDIR/raw"
OUTDIR=$(cd "$OUTDIR" && pwd)
ln -sfn "$OUTDIR" "$REPO/crash/results/latest" 2>/dev/null || true
{
	echo "command:  make crash CRASH_PARTS='$PARTS' CRASH_POINTS=$CRASH_POINTS CRASH_WRITES=$CRASH_WRITES CRASH_FILE_KB=$CRASH_FILE_KB CRASH_PG_POINTS=$CRASH_PG_POINTS CRASH_PG_DURATION=$CRASH_PG_DURATION CRASH_PG_CHECK=$CRASH_PG_CHECK CRASH_SEED=$CRASH_SEED"
	echo "kernel:   $(cat "$KERNEL_DIR/kernel.release") built $(date -u -r "$KERNEL_DIR/bzImage" '+%F %T') UTC, series $(git -C "$REPO" log -1 --format=%h -- kernel/patches)"
	echo "started:  $(date -u '+%F %T') UTC on $(nproc) CPUs, QEMU $(default_accel)"
} >>"$OUTDIR/info.txt"
log "results in $OUTDIR; seed $CRASH_SEED"
cmd="rc=0"
host_pg=0
for p in $PARTS; do
	if [ $p = postgres ] && [ $CRASH_PG_CHECK = host ]; then
		# the guest captures the logs; crash points are checked below
		host_pg=1
		cmd="$cmd; CRASH_PG_LOGS=/wtsmgr/out/pglogs CRASH_PG_POINTS=0 CRASH_CHECK=auto crash/guest/$p.sh || rc=1"
	else
		cmd="$cmd; CRASH_CHECK=auto crash/guest/$p.sh || rc=1"
	fi
done
vars=()
for v in CRASH_POINTS CRASH_WRITES CRASH_FILE_KB CRASH_PG_POINTS CRASH_PG_CONTROL_POINTS \
	 CRASH_PG_DURATION CRASH_SEED CRASH_FS CRASH_PG_FS; do
	[ -z "${!v:-}" ] || vars+=("$v=${!v}")
done
rc=0
"$REPO/vm/run.sh" --out "$OUTDIR/raw" --timeout $((6 * 3600)) -- \
	env "${vars[@]}" bash -c "$cmd; exit \$rc" 2>&1 | tee "$OUTDIR/guest.log" ||
	rc=$?
if [ $host_pg = 1 ]; then
	# The logs go where the chroot sees them (the build folder), are
	# checked there, and come back with the results.
	mkdir -p "$WTSMGR_CACHE/build"
	stage=$(mktemp -d "$WTSMGR_CACHE/build/crash-pg.XXXXXX")
	inner=/wtsmgr/build/$(basename "$stage")
	if [ -d "$OUTDIR/raw/pglogs" ]; then
		mv "$OUTDIR/raw/pglogs" "$stage/logs"
		log "== checking the PostgreSQL crash points on the host ($(uname -r), $(nproc) CPUs)"
		echo "postgres: crash points checked on the host ($(uname -r)) by crash/check-logs.sh in the guest root" >>"$OUTDIR/info.txt"
		"$REPO/vm/chroot.sh" env CRASH_PG_POINTS=$CRASH_PG_POINTS \
			CRASH_PG_CONTROL_POINTS=$CRASH_PG_CONTROL_POINTS CRASH_SEED=$CRASH_SEED \
			CRASH_JOBS=${CRASH_JOBS:-3} CRASH_PG_FS="$CRASH_PG_FS" \
			crash/check-logs.sh "$inner/logs" "$inner/results" 2>&1 |
			tee "$OUTDIR/host-check.log" || rc=1
		mkdir -p "$OUTDIR/raw/crash-postgres"
		cp "$stage"/results/* "$OUTDIR/raw/crash-postgres/" || rc=1
		mv "$stage/logs" "$OUTDIR/raw/pglogs"
		rm -rf "$stage"
	else
		log "the guest copied out no PostgreSQL log"
		rc=1
	fi
fi
echo "finished: $(date -u '+%F %T') UTC, $(elapsed "$t0") (exit $rc)" >>"$OUTDIR/info.txt"
python3 "$REPO/crash/report.py" "$OUTDIR" || rc=1
log "report: $OUTDIR/results.md ($(elapsed "$t0"))"
exit $rc
