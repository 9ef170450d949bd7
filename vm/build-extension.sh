#!/bin/bash
# Host side: build the wtsmgr extension in the sid root (vm/chroot.sh)
# against its PostgreSQL 18 and stage the installed files in
# $WTSMGR_CACHE/build/ext-stage (/wtsmgr/build/ext-stage in the chroot and
# the guest), from where vm/guest/extension.sh installs them.
#
# Usage: vm/build-extension.sh [--check]
#   --check   also run the extension's tests natively in the chroot, on
#             the host's kernel (vm/extension-check.sh)
#   WTSMGR_EXT_STAGE=NAME  stage in build/NAME instead of build/ext-stage
#             (for several work trees sharing one build folder; pass the
#             same to the guest suites)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

stage=${WTSMGR_EXT_STAGE:-ext-stage}
case "$stage" in */* | .* | "") die "WTSMGR_EXT_STAGE must be a plain name" ;; esac
"$REPO/vm/chroot.sh" bash -c '
	set -e
	stage=/wtsmgr/build/$1
	PG_CONFIG=/usr/lib/postgresql/18/bin/pg_config
	rm -rf /tmp/ext && mkdir /tmp/ext
	cp -a Makefile objs.mk wtsmgr.control src include sql expected t test vm /tmp/ext/
	make -C /tmp/ext -s PG_CONFIG=$PG_CONFIG
	rm -rf $stage
	make -C /tmp/ext -s PG_CONFIG=$PG_CONFIG install DESTDIR=$stage
' bash "$stage"
log "staged in $WTSMGR_CACHE/build/$stage"

if [ "${1:-}" = --check ]; then
	"$REPO/vm/chroot.sh" vm/extension-check.sh
fi
