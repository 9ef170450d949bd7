# Helpers of the crash oracle's guest scripts (kernel.sh, postgres.sh),
# with the guest test helpers (check, note, finish).  Sourced, not run.
. "$(dirname "${BASH_SOURCE[0]}")/../../vm/guest/testlib.sh"
#
# The NVMe namespace (atomic writes up to 64 KiB) is cut with dm-linear
# into a data slice (the logged device) and a log slice; dm-log-writes
# sits on the data slice and writes its log to the log slice.  Images
# are rebuilt on /dev/vdb, the virtio scratch disk.

CRASH_BIN=${CRASH_BIN:-$WTSMGR_BUILD/crash}
# One seed for the workload and every crash point: CRASH_SEED, or random.
SEED=${CRASH_SEED:-$(( $(od -An -N4 -tu4 /dev/urandom) % 1000000000 ))}
NVME=${CRASH_NVME:-/dev/nvme0n1}
REPLAY_TARGET=${CRASH_TARGET_DEV:-/dev/vdb}
DATA_SECTORS=$((1024 * 1024 * 2))	# 1 GiB
LOG_SECTORS=$((2560 * 1024 * 2))	# 2.5 GiB
LW=/dev/mapper/crash-lw
# no udev in the guest: device-mapper makes its /dev/mapper nodes itself
export DM_DISABLE_UDEV=1

# mkfs_args FS: how the oracle makes each file system.  ext4 gets
# bigalloc with 64 KiB clusters (atomic writes up to 64 KiB) and its
# inode tables zeroed by mkfs, not by a thread racing the workload.
mkfs_fs() {
	local fs=$1 dev=$2
	case $fs in
	xfs) mkfs.xfs -f -q "$dev";;
	ext4-bigalloc) mkfs.ext4 -F -q -b 4096 -O bigalloc -C 65536 \
		-E lazy_itable_init=0,lazy_journal_init=0 "$dev";;
	*) echo "unknown file system $fs" >&2; return 2;;
	esac
}

fstype() { echo "${1%%-*}"; }

# lw_slices: the data and log slices of the NVMe namespace.
lw_slices() {
	dmsetup remove crash-lw 2>/dev/null || true
	dmsetup remove crash-data 2>/dev/null || true
	dmsetup remove crash-log 2>/dev/null || true
	dmsetup create crash-data --table "0 $DATA_SECTORS linear $NVME 0" &&
	dmsetup create crash-log --table "0 $LOG_SECTORS linear $NVME $DATA_SECTORS"
}

# lw_start: a fresh log on the log slice, and the log-writes device.
lw_start() {
	dd if=/dev/zero of=/dev/mapper/crash-log bs=1M count=1 oflag=direct status=none &&
	dmsetup create crash-lw --table \
		"0 $DATA_SECTORS log-writes /dev/mapper/crash-data /dev/mapper/crash-log"
}

lw_mark() { dmsetup message crash-lw 0 mark "$1"; }

# lw_stop: remove the log-writes device (this logs the end mark).
lw_stop() { dmsetup remove crash-lw; }

lw_cleanup() {
	dmsetup remove crash-lw 2>/dev/null
	dmsetup remove crash-data 2>/dev/null
	dmsetup remove crash-log 2>/dev/null
	return 0
}

CRASH_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# pg_replay_run FS CFG LOG TARGET COMMITS TRANSACTIONS: the PostgreSQL
# campaign's crash points of one configuration's log (crash/guest/
# postgres.sh in the guest, crash/check-logs.sh on the host).  Rebuilds
# TARGET at the crash points (POINTS, or CONTROL_POINTS for the control),
# runs pgcheck.sh on each image and writes the configuration's summary
# line to $RES/line-FS-CFG.tsv, with replay's exit status as an extra
# last field.  Uses RES, SEED, POINTS, CONTROL_POINTS, MIN_FOUND, REPLAY
# (and CRASH_PG_POINT: only that entry, to repeat a failure);
# CRASH_PROGRESS=1 shows replay's progress lines on stderr.  Runs no
# check, so that several can run side by side (CRASH_JOB apart).
pg_replay_run() {
	local fs=$1 cfg=$2 log=$3 target=$4 commits=$5 txns=$6
	local marks=/tmp/marks-$fs-$cfg per=$RES/points-$fs-$cfg.tsv pts rrc
	$REPLAY dump "$log" | awk '/ mark c[0-9]+$/ { print $1, substr($NF, 2) }' >"$marks"
	$REPLAY info "$log" | sed "s/^/# $fs $cfg log: /" | grep -v ': mark c[0-9]*$'
	: >"$per"
	# In a short campaign the control looks until it has found what it
	# must find (a torn page is only visible when both of its halves
	# changed); the full campaign measures its share at every point.
	if [ "$cfg" = unsafe ]; then
		pts=(--points "$CONTROL_POINTS")
		[ "${CRASH_PG_CONTROL_STOP:-0}" = 1 ] && pts+=(--stop-after "$MIN_FOUND")
	else
		pts=(--points "$POINTS")
	fi
	# one crash point again, as a failure printed it (CRASH_PG_POINT=ENTRY)
	[ -n "${CRASH_PG_POINT:-}" ] && pts=(--point "$CRASH_PG_POINT")
	$REPLAY run --start-mark start --end-mark end --batch-end "${pts[@]}" \
		--seed "$SEED" --results "$RES/replay-$fs-$cfg.tsv" \
		--exec "$CRASH_SCRIPTS/on-image.sh $(fstype "$fs") $CRASH_SCRIPTS/pgcheck.sh $marks $per" \
		"$log" "$target" 2>&1 | tee "$RES/replay-$fs-$cfg.log" |
		if [ "${CRASH_PROGRESS:-0}" = 1 ]; then
			# replay's progress line (every 10 s) and its summary
			awk -v who="$fs $cfg" '/^replay: [0-9]+(\/[0-9]+)? crash points/ {
				print who ": " $0; fflush() }' >&2
		else
			cat >/dev/null
		fi
	rrc=${PIPESTATUS[0]}
	grep -v '^replay: [0-9]*/' "$RES/replay-$fs-$cfg.log" | tail -n 12 | sed "s/^/# $fs $cfg: /"
	awk -F'\t' -v fs="$fs" -v cfg="$cfg" -v commits="$commits" -v txns="$txns" \
		-v seed="$SEED" -v rrc="$rrc" '{
		n++; bad = 0
		if ($2 != "yes") { r++; bad = 1 }
		if ($3 != "-" && $3 != 0) { l += $3; bad = 1 }
		if ($4 != "-" && $4 != "t") { v++; bad = 1 }
		if ($5 == "failed") { a++; bad = 1 }
		if ($6 != "-" && $6 != 0) { c++; bad = 1 }
		f += bad }
		END { printf "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n",
			fs, cfg, n, f, r, l, v, a, c, commits, txns, seed, rrc }' \
		"$per" >"$RES/line-$fs-$cfg.tsv"
}

# pg_replay_verdict FS CFG: appends the line pg_replay_run wrote to
# $SUMMARY and checks it: every point rebuilt and checked; the control
# failed at MIN_FOUND points or more; any other configuration at none.
pg_replay_verdict() {
	local fs=$1 cfg=$2 line npts failed rrc
	line=$(cat "$RES/line-$fs-$cfg.tsv" 2>/dev/null)
	[ -n "$line" ] || line=$(printf '%s\t%s\t0\t0\t0\t0\t0\t0\t0\t0\t0\t%s\t2' "$fs" "$cfg" "$SEED")
	printf '%s\n' "${line%$'\t'*}" >>"$SUMMARY"
	npts=$(cut -f3 <<<"$line")
	failed=$(cut -f4 <<<"$line")
	rrc=${line##*$'\t'}
	check_eq "$fs $cfg: every crash point was rebuilt and checked" "yes" \
		"$( [ "$rrc" -le 1 ] && [ "$npts" -ge 1 ] && echo yes || echo "no (replay exit $rrc, $npts points)")"
	case $cfg in
	unsafe) check_ge "$fs $cfg (control): failures found at >= $MIN_FOUND of $npts crash points (found $failed)" \
			"$MIN_FOUND" "$failed";;
	*) check_eq "$fs $cfg: clean recovery, no lost commit, no corruption at all $npts crash points" \
			0 "$failed";;
	esac
}

# pg_summary_header FILE: the header of the PostgreSQL campaign's summary.
pg_summary_header() {
	printf 'fs\tconfig\tcrash_points\tfailed_points\trecovery_failures\tlost_commits\tinvariant_failures\tamcheck_failures\tchecksum_failures\tcommits\ttransactions\tseed\n' >"$1"
}
