#!/bin/bash
# The kernel-level crash oracle, run in the guest (as a suite of checks).
#
# For each file system (xfs; ext4 with bigalloc, 64 KiB clusters) on
# dm-log-writes over the atomic NVMe namespace, and for each write
# configuration, "torn write" rewrites whole slots of a file, every
# 512-byte sector stamped with the write's id; the log is then replayed
# onto /dev/vdb at CRASH_POINTS crash points under replay's power-cut
# model, and "torn check" reads the file's slots from the image.
#
#   atomic-8k/16k/64k  write-through + RWF_ATOMIC: no slot may be torn
#   wt-16k             write-through without RWF_ATOMIC (control)
#   buffered-16k       plain buffered writes + fdatasync (control)
#
# A control whose crash points show no tear in at least CRASH_MIN_SHARE
# percent of the points means the oracle is blind: that fails too.
#
# How an image is checked (CRASH_CHECK):
#   mount  (default) mount it (on a dm-snapshot, so journal recovery does
#          not change the replay target) and read the file
#   auto   read the file's blocks straight from the image, at the extents
#          it had before the workload, where the log shows that they do
#          not move (ext4, and xfs when every atomic write was one atomic
#          entry in place); mount otherwise (xfs atomic writes made by
#          copy-on-write).  About 20 times faster: the full campaign.
#
# Environment: CRASH_POINTS (default 50), CRASH_WRITES (300),
# CRASH_SEED (default: random, printed), CRASH_FS ("xfs ext4-bigalloc"),
# CRASH_CONFIGS, CRASH_MIN_SHARE (20), CRASH_FILE_KB (the file's size,
# 4096), CRASH_RESULTS (a folder for the
# per-point tables and the summary, default $WTSMGR_OUT/crash-kernel).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

POINTS=${CRASH_POINTS:-50}
WRITES=${CRASH_WRITES:-300}
FSLIST=${CRASH_FS:-xfs ext4-bigalloc}
CONFIGS=${CRASH_CONFIGS:-atomic-8k atomic-16k atomic-64k wt-16k buffered-16k}
MIN_SHARE=${CRASH_MIN_SHARE:-20}
CHECK_MODE=${CRASH_CHECK:-mount}
RES=${CRASH_RESULTS:-${WTSMGR_OUT:-/tmp}/crash-kernel}
MNT=/mnt/crash
FILE_BYTES=$((${CRASH_FILE_KB:-4096} * 1024))
SYNC_EVERY=8
REPLAY=$CRASH_BIN/replay
TORN=$CRASH_BIN/torn
STATX=$WTSMGR_BUILD/kernel-tests/statx_atomic

mkdir -p "$MNT" "$RES"
SUMMARY=$RES/summary.tsv
printf 'fs\tconfig\tcrash_points\ttorn_points\terrors\tpoints_with_partial_writes\tatomic_entries\tother_entries\twrites\tcheck\tseed\n' >"$SUMMARY"
note "seed $SEED: CRASH_SEED=$SEED repeats this run; a single crash point is rebuilt with"
note "  replay run --point ENTRY --seed SEED --start-mark start LOG TARGET (printed on failure)"

check "dm-linear slices of $NVME for data and log" lw_slices

# The log-writes device must offer the atomic limits of the device
# under it, and log one atomic write as one entry with the atomic bit.
for fs in $FSLIST; do
	note "$fs: atomic writes through dm-log-writes"
	mkfs_fs "$fs" /dev/mapper/crash-data >/dev/null &&
		mount -t "$(fstype "$fs")" /dev/mapper/crash-data $MNT &&
		touch $MNT/f && direct=$($STATX $MNT/f 2>&1)
	umount $MNT 2>/dev/null
	check "$fs: log-writes device created" lw_start
	check_eq "$fs: log-writes device's atomic_write_unit_max_bytes is the NVMe's" \
		"$(cat /sys/block/${NVME#/dev/}/queue/atomic_write_unit_max_bytes)" \
		"$(cat /sys/dev/block/"$(dmsetup info -c --noheadings -o major,minor --separator : crash-lw)"/queue/atomic_write_unit_max_bytes)"
	mkfs_fs "$fs" $LW >/dev/null && mount -t "$(fstype "$fs")" $LW $MNT &&
		touch $MNT/f && over=$($STATX $MNT/f 2>&1)
	note "$fs: statx on the slice: $direct; on log-writes: $over"
	check_eq "$fs: statx atomic limits on log-writes equal those without it" \
		"$direct" "$over"
	check "$fs: prepare a 64 KiB file" $TORN prepare $MNT/one 16384 4 /tmp/one.map
	sync
	lw_mark start
	check "$fs: one 16 KiB atomic write-through write" \
		$TORN write $MNT/one /tmp/one.map atomic 1 1 1
	umount $MNT
	lw_stop
	n=$($REPLAY dump /dev/mapper/crash-log |
		awk '/ mark start$/ {on = 1; next} on && / atomic/ {print $5}' | paste -sd,)
	check_eq "$fs: it is logged as exactly one atomic entry of 16 KiB (4 sectors)" "4" "$n"
done

# count_file_entries LOG MAP: "ATOMIC PLAIN", the atomic and the
# non-atomic data entries after the start mark that touch the file.
count_file_entries() {
	$REPLAY dump "$1" | awk -v map="$2" '
		BEGIN { while ((getline l < map) > 0) { split(l, f, " ");
			if (f[1] != "slot") { n++; lo[n] = f[2] / 4096; hi[n] = (f[2] + f[3]) / 4096 } } }
		/ mark start$/ { on = 1; next }
		!on || / mark / || / discard/ { next }
		{ s = $3; e = $3 + $5; hit = 0
		  for (i = 1; i <= n; i++) if (s < hi[i] && e > lo[i]) hit = 1
		  if (hit) { if (/ atomic/) a++; else p++ } }
		END { printf "%d %d\n", a, p }'
}

for fs in $FSLIST; do
	for cfg in $CONFIGS; do
		mode=${cfg%-*}
		kib=${cfg##*-}; kib=${kib%k}
		slot=$((kib * 1024))
		slots=$((FILE_BYTES / slot))
		map=/tmp/crash-$fs-$cfg.map
		note "$fs $cfg: $WRITES writes of $slot bytes into $slots slots, fdatasync every $SYNC_EVERY"
		lw_start >/dev/null 2>&1 || { check "$fs $cfg: log-writes device" false; continue; }
		if ! { mkfs_fs "$fs" $LW >/dev/null && mount -t "$(fstype "$fs")" $LW $MNT; }; then
			check "$fs $cfg: mkfs and mount on log-writes" false
			lw_stop; continue
		fi
		$TORN prepare $MNT/data $slot $slots "$map" >/dev/null &&
			sync && lw_mark start
		check "$fs $cfg: the workload ran" \
			$TORN write $MNT/data "$map" "$mode" "$WRITES" $SYNC_EVERY "$SEED"
		umount $MNT
		lw_stop
		read -r atomic_entries plain_entries <<< "$(count_file_entries /dev/mapper/crash-log "$map")"
		note "$fs $cfg: log entries on the file's first blocks: $atomic_entries atomic, $plain_entries other"
		if [ "$mode" = atomic ] && [ "$fs" != xfs ]; then
			# ext4 has no copy-on-write path: each atomic write is one
			# atomic log entry, and nothing of the file goes to the
			# device any other way.  (xfs makes an atomic write that
			# the device cannot take whole, e.g. one whose blocks are
			# not aligned to its size on the device, by copy-on-write
			# into new blocks and an atomic remap in its log.)
			check_eq "$fs $cfg: the file's log entries are the $WRITES atomic writes, nothing else" \
				"$WRITES 0" "$atomic_entries $plain_entries"
		fi
		out=$RES/$fs-$cfg.tsv
		how=mount
		if [ "$CHECK_MODE" = auto ] &&
		   { [ "$fs" != xfs ] || [ "$mode" != atomic ] ||
		     [ "$atomic_entries $plain_entries" = "$WRITES 0" ]; }; then
			how=device
		fi
		if [ $how = device ]; then
			exe="$TORN check-dev \$CRASH_TARGET $map"
		else
			exe="$here/on-image.sh $(fstype "$fs") $TORN check data $map"
		fi
		note "$fs $cfg: checking each image by $how"
		$REPLAY run --start-mark start --points "$POINTS" --seed "$SEED" --results "$out" \
			--exec "$exe" \
			/dev/mapper/crash-log "$REPLAY_TARGET" >"$RES/$fs-$cfg.log" 2>&1
		rc=$?
		tail -n 1 "$RES/$fs-$cfg.log" | sed 's/^/# /'
		read -r npts failed errors partial <<< "$(awk -F'\t' 'NR > 1 {
			n++; if ($9 == 1) f++; else if ($9 != 0) e++; if ($7 > 0) t++ }
			END { printf "%d %d %d %d\n", n, f, e, t }' "$out" 2>/dev/null)"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$fs" "$cfg" "${npts:-0}" \
			"${failed:-0}" "${errors:-0}" "${partial:-0}" "$atomic_entries" "$plain_entries" \
			"$WRITES" "$how" "$SEED" >>"$SUMMARY"
		check_eq "$fs $cfg: every crash point replayed and checked (replay exit 0 or 1)" \
			"yes" "$( [ "$rc" -le 1 ] && [ "${errors:-1}" = 0 ] && [ "${npts:-0}" -ge 1 ] && echo yes || echo "no (exit $rc, ${errors:-?} errors)")"
		if [ "$mode" = atomic ]; then
			check_eq "$fs $cfg: no torn slot at any of $npts crash points" 0 "${failed:-?}"
			[ "${failed:-0}" = 0 ] || grep -m 3 FAILED "$RES/$fs-$cfg.log" | sed 's/^/# /'
		else
			share=$(( ${failed:-0} * 100 / (${npts:-0} > 0 ? npts : 1) ))
			check_ge "$fs $cfg (control): torn slots found at >= $MIN_SHARE% of crash points (found ${failed:-0}/$npts)" \
				"$MIN_SHARE" "$share"
		fi
	done
done
lw_cleanup
note "summary: $SUMMARY"
sed 's/^/# /' "$SUMMARY"
finish
