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
log "published $src into crash/latest/"
