#!/bin/bash
# Host side: build the wtsmgr extension in the sid root (vm/chroot.sh)
# against its PostgreSQL 18 and stage the installed files in
# $WTSMGR_CACHE/build/ext-stage (/wtsmgr/build/ext-stage in the chroot and
# the guest), from where vm/guest/extension.sh installs them.
#
# Usage: vm/build-extension.sh [--check]
#   --check   also run the extension's tests natively in the chroot, on
#             the host's kernel (vm/extension-check.sh)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

"$REPO/vm/chroot.sh" bash -c '
	set -e
	PG_CONFIG=/usr/lib/postgresql/18/bin/pg_config
	rm -rf /tmp/ext && mkdir /tmp/ext
	cp -a Makefile objs.mk wtsmgr.control src include sql expected t test vm /tmp/ext/
	make -C /tmp/ext -s PG_CONFIG=$PG_CONFIG
	rm -rf /wtsmgr/build/ext-stage
	make -C /tmp/ext -s PG_CONFIG=$PG_CONFIG install DESTDIR=/wtsmgr/build/ext-stage
'
log "staged in $WTSMGR_CACHE/build/ext-stage"

if [ "${1:-}" = --check ]; then
	"$REPO/vm/chroot.sh" vm/extension-check.sh
fi
