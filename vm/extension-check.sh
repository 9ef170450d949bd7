#!/bin/bash
# Test the wtsmgr extension natively in the sid root (the chroot on the
# host, or the guest): build and install it (unless SKIP_BUILD=1: already
# installed, as in the guest), then run its pg_regress and TAP tests as
# the postgres user from a copy of the sources.  Ends with the line
# "N passed, N failed"; exit status 0 only if nothing failed.
#
# Usage (as root): vm/extension-check.sh
#   EXT_WORKDIR=DIR  where the copy, and so the test clusters, live
#                    (default: a new folder under /tmp)
set -uo pipefail

SRC=${WTSMGR_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/18/bin/pg_config}
[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }

base=${EXT_WORKDIR:-/tmp}
mkdir -p "$base"
work=$(mktemp -d "$base/wtsmgr-ext.XXXXXX")
log=$work.log
cp -a "$SRC/Makefile" "$SRC/objs.mk" "$SRC/wtsmgr.control" "$SRC/src" "$SRC/include" \
	"$SRC/sql" "$SRC/expected" "$SRC/t" "$SRC/test" "$SRC/vm" "$work/"

fail_setup() {
	echo "extension-check: $1" >&2
	echo "0 passed, 1 failed"
	exit 1
}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
	make -C "$work" -s PG_CONFIG="$PG_CONFIG" >"$log" 2>&1 &&
		make -C "$work" -s PG_CONFIG="$PG_CONFIG" install >>"$log" 2>&1 ||
		{ cat "$log"; fail_setup "build or install failed"; }
fi
chown -R postgres: "$work"

# pg_regress, then TAP, each run whatever the other did
runuser -u postgres -- make -C "$work" PG_CONFIG="$PG_CONFIG" \
	TAP_TESTS= installcheck >"$log" 2>&1
rc=$?
runuser -u postgres -- make -C "$work" PG_CONFIG="$PG_CONFIG" \
	REGRESS= PROVE_FLAGS=-v installcheck >>"$log" 2>&1 || rc=$?
cat "$log"
[ -f "$work/regression.diffs" ] && cat "$work/regression.diffs"

exec "$SRC/vm/lib/tap-count.sh" "$log" $rc "make installcheck"
