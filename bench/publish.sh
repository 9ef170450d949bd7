#!/bin/bash
# Publish one benchmark run: copy the files it produced (report, CSV
# files, plots) into bench/latest/ (tracked), replacing those of the same
# name and leaving the others alone, and put its tables into README.md:
#
#   - a run with pgbench or walinit results (summary.csv or walinit.csv):
#     results.md, machine.txt, pg-settings.txt, every CSV and plot; its
#     report goes between the "bench:latest" markers, with the plots'
#     paths adjusted (without the kernel section when the README has
#     "bench:kernel" markers for it);
#   - a run of other workloads only (BENCH_WORKLOADS without tpcb: a
#     summary-WORKLOAD.csv but no summary.csv): results.md as
#     workloads.md, machine.txt as workloads-machine.txt, its CSV files
#     and plots (named after their workload); its report goes between
#     the "bench:workloads" markers;
#   - a run with kernel results (kernel.md): kernel.md, kernel.csv,
#     kernel-summary.csv and its machine.txt as kernel-machine.txt; the
#     kernel section goes between the "bench:kernel" markers;
#   - a run with checkpoint results (checkpoint.md), when the README has
#     "bench:checkpoint" markers: checkpoint.md, checkpoint.csv and its
#     machine.txt as checkpoint-machine.txt; the section goes between
#     those markers (and not into the "bench:latest" part);
#   - a run with writeback results (writeback.md), when the README has
#     "bench:writeback" markers: writeback.md, writeback.csv and its
#     machine.txt as writeback-machine.txt, likewise.
#
# So a kernel-only run ("make bench BENCH=kernel") replaces only the
# kernel files and the kernel part of the README, and a pgbench run
# leaves the kernel files alone.  The results folders themselves
# (bench/results/) are not tracked.
#
# Usage: bench/publish.sh [RESULTS_DIR]   (default: bench/results/latest)
# BENCH_LATEST and BENCH_README name other targets (for the tests).
set -euo pipefail
. "$(dirname "$0")/../vm/lib/common.sh"

src=${1:-$REPO/bench/results/latest}
[ -f "$src/results.md" ] || die "no results.md in $src"
dst=${BENCH_LATEST:-$REPO/bench/latest}
readme=${BENCH_README:-$REPO/README.md}
mkdir -p "$dst"

# replace_between README BEGIN END BODY: put BODY between two markers.
replace_between() {
	grep -qF "$2" "$1" && grep -qF "$3" "$1" || die "$1 has no $2 / $3 markers"
	python3 - "$@" <<'PY'
import sys
path, begin, end, body = sys.argv[1:5]
s = open(path).read()
a = s.index(begin) + len(begin)
b = s.index(end)
open(path, "w").write(s[:a] + "\n" + body.strip() + "\n" + s[b:])
PY
}

# copy_data: the run's CSV files and plots, but the kernel's (copied with
# kernel.md below).
copy_data() {
	local f
	for f in "$src"/*.csv "$src"/*.png; do
		[ -f "$f" ] || continue
		case ${f##*/} in kernel*.csv) continue;; esac
		cp "$f" "$dst/"
	done
}

# readme_body REPORT: the report as the README shows it: its headings two
# levels down inside the README section, its plots referred to from
# bench/latest/.
readme_body() {
	sed -e 's/^#/###/' -e 's/](\([a-z_-]*\.png\))/](bench\/latest\/\1)/' "$1"
}

kbegin='<!-- bench:kernel:begin -->'
kend='<!-- bench:kernel:end -->'
cbegin='<!-- bench:checkpoint:begin -->'
cend='<!-- bench:checkpoint:end -->'
wbegin='<!-- bench:writeback:begin -->'
wend='<!-- bench:writeback:end -->'
published=
if [ -f "$src/summary.csv" ] || [ -f "$src/walinit.csv" ]; then
	cp "$src"/results.md "$src"/machine.txt "$dst/"
	[ ! -f "$src/pg-settings.txt" ] || cp "$src/pg-settings.txt" "$dst/"
	copy_data
	body=$(readme_body "$dst/results.md")
	if [ -f "$src/kernel.md" ] && grep -qF "$kbegin" "$readme"; then
		body=$(printf '%s\n' "$body" | sed '/^#* Kernel write paths (issue 11)/,$d')
	fi
	if [ -f "$src/checkpoint.md" ] && grep -qF "$cbegin" "$readme"; then
		body=$(printf '%s\n' "$body" | sed '/^#* CHECKPOINT time/,/^#* Kernel write paths/{/^#* Kernel write paths/!d}')
	fi
	if [ -f "$src/writeback.md" ] && grep -qF "$wbegin" "$readme"; then
		# the last section of a report
		body=$(printf '%s\n' "$body" | sed '/^#* Parallel writeback (issue 15)/,$d')
	fi
	replace_between "$readme" '<!-- bench:latest:begin -->' '<!-- bench:latest:end -->' "$body"
	published="results.md and its files"
fi
if [ -z "$published" ] && compgen -G "$src/summary-*.csv" >/dev/null &&
   ! compgen -G "$src/summary-cloud.csv" >/dev/null; then
	cp "$src/results.md" "$dst/workloads.md"
	cp "$src/machine.txt" "$dst/workloads-machine.txt"
	copy_data
	# Below the README's "### Other workloads" heading, without the
	# report's title.
	body=$(readme_body "$dst/workloads.md" | sed '1{/^### /d}')
	replace_between "$readme" '<!-- bench:workloads:begin -->' '<!-- bench:workloads:end -->' "$body"
	published="the other workloads (workloads.md)"
fi
if [ -f "$src/kernel.md" ]; then
	cp "$src/kernel.md" "$dst/kernel.md"
	for f in "$src"/kernel*.csv; do
		[ -f "$f" ] && cp "$f" "$dst/"
	done
	cp "$src/machine.txt" "$dst/kernel-machine.txt"
	# The kernel section's own headings sit under the README's
	# "### Kernel write paths (issue 11)": its top heading is dropped,
	# the others go down two levels.
	body=$(sed -e '/^## Kernel write paths (issue 11)/,+1d' -e 's/^#/##/' "$dst/kernel.md")
	replace_between "$readme" "$kbegin" "$kend" "$body"
	published="${published:+$published, }the kernel section (kernel.md)"
fi
# publish_section NAME HEADING BEGIN END: NAME.md, NAME.csv and the
# run's machine.txt (as NAME-machine.txt) into bench/latest/, and the
# section between the README's BEGIN and END markers, under the README's
# own heading for it: the section's top heading (## HEADING...) is
# dropped, the others go down two levels.
publish_section() {
	local name=$1 heading=$2 begin=$3 end=$4
	cp "$src/$name.md" "$dst/$name.md"
	cp "$src/$name.csv" "$dst/"
	cp "$src/machine.txt" "$dst/$name-machine.txt"
	body=$(sed -e "/^## $heading/,+1d" -e 's/^#/##/' "$dst/$name.md")
	replace_between "$readme" "$begin" "$end" "$body"
	published="${published:+$published, }the $name section ($name.md)"
}
if [ -f "$src/checkpoint.md" ] && grep -qF "$cbegin" "$readme"; then
	publish_section checkpoint "CHECKPOINT time" "$cbegin" "$cend"
fi
if [ -f "$src/writeback.md" ] && grep -qF "$wbegin" "$readme"; then
	publish_section writeback "Parallel writeback (issue 15)" "$wbegin" "$wend"
fi
[ -n "$published" ] || die "$src has neither pgbench/walinit results (summary.csv, summary-WORKLOAD.csv, walinit.csv) nor kernel results (kernel.md) nor checkpoint results (checkpoint.md, with bench:checkpoint markers in the README) nor writeback results (writeback.md, with bench:writeback markers)"
log "published $src into $dst and $readme: $published"
