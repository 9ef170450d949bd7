#!/bin/bash
# Publish one benchmark run: copy its report, CSV files and plots into
# bench/latest/ (tracked) and put its table into README.md between the
# "bench:latest" markers, with the plots' paths adjusted.  The results
# folders themselves (bench/results/) are not tracked.
#
# Usage: bench/publish.sh [RESULTS_DIR]   (default: bench/results/latest)
set -euo pipefail
. "$(dirname "$0")/../vm/lib/common.sh"

src=${1:-$REPO/bench/results/latest}
[ -f "$src/results.md" ] || die "no results.md in $src"
dst=$REPO/bench/latest
rm -rf "$dst" && mkdir -p "$dst"
cp "$src"/results.md "$src"/machine.txt "$src"/pg-settings.txt "$dst/"
cp "$src"/*.csv "$src"/*.png "$dst/" 2>/dev/null || true

readme=$REPO/README.md
grep -q '<!-- bench:latest:begin -->' "$readme" && grep -q '<!-- bench:latest:end -->' "$readme" ||
	die "README.md has no <!-- bench:latest:begin --> / <!-- bench:latest:end --> markers"
# The report's headings go two levels down inside the README section, and
# its plots are referred to from bench/latest/.
body=$(sed -e 's/^#/###/' -e 's/](\([a-z_]*\.png\))/](bench\/latest\/\1)/' "$dst/results.md")
python3 - "$readme" "$body" <<'PY'
import sys
path, body = sys.argv[1], sys.argv[2]
s = open(path).read()
a = s.index("<!-- bench:latest:begin -->") + len("<!-- bench:latest:begin -->")
b = s.index("<!-- bench:latest:end -->")
open(path, "w").write(s[:a] + "\n" + body.strip() + "\n" + s[b:])
PY
log "published $src into bench/latest/ and README.md"
