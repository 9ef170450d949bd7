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
#   WTSMGR_TEST_NOATOMIC_DIR=DIR  passed on to the TAP tests: a folder on
#                    a device without atomic writes (see t/003_atomic.pl)
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

# One initdb, copied for every test node and for pg_regress's instance
# (INITDB_TEMPLATE, read by PostgreSQL::Test::Cluster and pg_regress):
# under TCG an initdb takes far longer than a copy.  The options are those
# of PostgreSQL's own template (Makefile.global, temp-install).
bindir=$("$PG_CONFIG" --bindir)
t0=$(date +%s)
runuser -u postgres -- "$bindir/initdb" --auth trust --no-sync \
	--no-instructions --lc-messages=C -D "$work/initdb-template" \
	>"$log" 2>&1 || { cat "$log"; fail_setup "initdb of the template failed"; }
rm -f "$log"
echo "# initdb template: $(($(date +%s) - t0)) s"
export INITDB_TEMPLATE=$work/initdb-template

# pg_regress, then TAP, each run whatever the other did; the output
# streams (a slow guest shows where it is) and is kept for the count.
runuser -u postgres -- make -C "$work" PG_CONFIG="$PG_CONFIG" \
	TAP_TESTS= installcheck 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
[ -f "$work/regression.diffs" ] && cat "$work/regression.diffs"
runuser -u postgres -- make -C "$work" PG_CONFIG="$PG_CONFIG" \
	REGRESS= PROVE_FLAGS="-v --timer" installcheck 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
# The TAP tests' own logs (a die message goes there, not to the output):
# kept in $WTSMGR_OUT when a run fails, for the guest, whose disks go.
if [ "$rc" != 0 ] && [ -n "${WTSMGR_OUT:-}" ] && [ -d "$work/tmp_check/log" ]; then
	mkdir -p "$WTSMGR_OUT/extension-logs" &&
		cp -a "$work/tmp_check/log/." "$WTSMGR_OUT/extension-logs/" &&
		echo "# TAP logs kept in $WTSMGR_OUT/extension-logs"
fi
# ... and the end of a failed test's logs on the console, where CI keeps
# them: prove's summary names the test ("t/013_async_writes.pl (Wstat:
# ..."), its die message is at the end of regress_log_<test>, its
# servers' last words at the end of <test>_<node>.log.
if [ "$rc" != 0 ] && [ -d "$work/tmp_check/log" ]; then
	sed -n 's|^t/\([0-9A-Za-z_]*\)\.pl *(Wstat.*|\1|p' "$log" | sort -u |
		while read -r t; do
			for f in "$work/tmp_check/log/regress_log_$t" \
				"$work/tmp_check/log/${t}_"*.log; do
				[ -f "$f" ] || continue
				echo "# --- last 40 lines of ${f##*/}"
				tail -n 40 "$f" | sed 's/^/#   /'
			done
		done
fi

exec "$SRC/vm/lib/tap-count.sh" "$log" $rc "make installcheck"
