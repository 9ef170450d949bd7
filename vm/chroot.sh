#!/bin/bash
# Run a command in the guest root used as a chroot on the host (native
# speed, the host's kernel): building the extension and the tests against
# sid's PostgreSQL 18 and headers, or running what does not need our
# kernel.  The repository is at /wtsmgr/src and the build folder
# ($WTSMGR_CACHE/build) at /wtsmgr/build, as in the guest.
#
# Usage: vm/chroot.sh COMMAND...
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

[ $# -gt 0 ] || die "usage: vm/chroot.sh COMMAND..."
[ "$(id -u)" = 0 ] || die "must run as root"
[ -d "$ROOT_DIR/dir/usr" ] || die "no guest root (run vm/build-root.sh)"
mkdir -p "$WTSMGR_CACHE/build"

exec unshare --mount --propagation private bash -c '
	set -e
	root=$1 repo=$2 build=$3; shift 3
	mount -t tmpfs wtsmgr "$root/wtsmgr"
	mkdir "$root/wtsmgr/src" "$root/wtsmgr/build"
	mount --bind "$repo" "$root/wtsmgr/src"
	mount --bind "$build" "$root/wtsmgr/build"
	mount -t tmpfs tmp "$root/tmp"
	mount --rbind /dev "$root/dev"
	mount -t proc proc "$root/proc"
	cd "$root/wtsmgr/src"
	exec chroot "$root" /usr/bin/env -i \
		PATH=/usr/lib/postgresql/18/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb \
		WTSMGR_SRC=/wtsmgr/src WTSMGR_BUILD=/wtsmgr/build \
		bash -c "cd /wtsmgr/src && exec \"\$@\"" bash "$@"
	' bash "$ROOT_DIR/dir" "$REPO" "$WTSMGR_CACHE/build" "$@"
