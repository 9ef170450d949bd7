#!/bin/bash
# Guest entry point of "make bench": runs the requested sub-benchmarks
# one after the other (pgbench, walinit, kernel, checkpoint, writeback) and keeps going when one
# fails, so the others' results are not lost; the exit status is non-zero
# when any failed.  The host (bench/run.sh) passes the settings in the
# environment.
#
# Usage (in the guest): bench/guest/main.sh BENCH...
cd "$(dirname "$0")"
. ./lib.sh
failed=""
for b in "$@"; do
	case "$b" in
	pgbench|walinit|kernel|checkpoint|writeback) ;;
	*) echo "bench: unknown sub-benchmark $b" >&2; failed="$failed $b"; continue;;
	esac
	blog "=== $b"
	t=$(date +%s)
	if bash "./$b.sh"; then
		blog "=== $b done in $(( $(date +%s) - t )) s"
	else
		blog "=== $b FAILED (exit $?) after $(( $(date +%s) - t )) s"
		failed="$failed $b"
	fi
	# Leave nothing mounted for the next one.
	for m in /mnt/bench /mnt/template /mnt/walinit /mnt/kbench /mnt/wbbench; do
		grep -q " $m " /proc/mounts && umount "$m"
	done
done
sync
[ -z "$failed" ] || { blog "failed:$failed"; exit 1; }
