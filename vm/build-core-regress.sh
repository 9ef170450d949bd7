#!/bin/bash
# Host side: stage PostgreSQL 18.6's core regression suite (the upstream
# tarball's src/test/regress: schedules, sql, expected, data) in
# $WTSMGR_CACHE/build/core-regress (/wtsmgr/build/core-regress in the
# chroot and the guest), where vm/guest/core.sh runs it with sid's
# pg_regress and regress.so against a server running wtsmgr.  The
# tarball is fetched by contrib_wtsmgr/build.sh's fetch step, which this
# runs (it does nothing when the tarball is there).  The suite must match
# the server's version: both are 18.6.
#
# Usage: vm/build-core-regress.sh
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

PG_VERSION=18.6
TARBALL=$WTSMGR_CACHE/build/pg-src/postgresql-18_$PG_VERSION.orig.tar.bz2
DEST=$WTSMGR_CACHE/build/core-regress

[ "$(id -u)" = 0 ] || die "must run as root"
server=$("$REPO/vm/chroot.sh" /usr/lib/postgresql/18/bin/postgres --version)
case "$server" in
*" $PG_VERSION "* | *" $PG_VERSION") ;;
*) die "the guest root's server is \"$server\", the staged suite would be $PG_VERSION" ;;
esac
[ -f "$TARBALL" ] || "$REPO/contrib_wtsmgr/build.sh" fetch
stamp=$DEST/.source
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(hash_files "$TARBALL")" ]; then
	log "core regression suite already staged in $DEST"
	exit 0
fi
rm -rf "$DEST"
mkdir -p "$DEST"
tar -xjf "$TARBALL" -C "$DEST" --strip-components=4 \
	"postgresql-$PG_VERSION/src/test/regress"
hash_files "$TARBALL" >"$stamp"
log "core regression suite of $PG_VERSION staged in $DEST"
