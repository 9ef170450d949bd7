#!/bin/bash
# Publish one crash campaign: copy its report, plot, summaries and run
# information into crash/latest/ (tracked).  The results folders
# themselves (crash/results/) are not tracked.
#
# Usage: crash/publish.sh [RESULTS_DIR]   (default: crash/results/latest)
set -euo pipefail
. "$(dirname "$0")/../vm/lib/common.sh"

src=${1:-$REPO/crash/results/latest}
[ -f "$src/results.md" ] || die "no results.md in $src (run make crash first)"
dst=$REPO/crash/latest
rm -rf "$dst" && mkdir -p "$dst"
cp "$src/results.md" "$src/info.txt" "$dst/"
[ -f "$src/crash.png" ] && cp "$src/crash.png" "$dst/"
for part in kernel postgres; do
	f=$src/raw/crash-$part/summary.tsv
	[ -f "$f" ] && cp "$f" "$dst/$part-summary.tsv"
done
# every PostgreSQL crash point's verdict (entry, recovered, lost commits,
# invariant, amcheck, bad checksums), to audit or repeat any of them
for f in "$src"/raw/crash-postgres/points-*.tsv; do
	[ -f "$f" ] || continue
	mkdir -p "$dst/postgres-points"
	cp "$f" "$dst/postgres-points/${f##*/points-}"
done
[ -f "$src/host-check.log" ] && grep -v '^# .* log: ' "$src/host-check.log" >"$dst/host-check.log"
log "published $src into crash/latest/"
