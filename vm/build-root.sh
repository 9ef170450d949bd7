#!/bin/bash
# Build the guest root: Debian sid (minbase) with vm/root-packages.txt,
# as a directory (also used as a chroot on the host) and as an ext4
# image that the VM boots from (read-only base; each boot writes to a
# throw-away snapshot).  Rebuilt only when the package list or the guest
# init changes.
#
# Usage: vm/build-root.sh
# Output: $WTSMGR_CACHE/root/{dir,root.img}
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap missing (run vm/setup-host.sh)"

PKGS=$REPO/vm/root-packages.txt
INIT=$REPO/vm/guest/init
DIR=$ROOT_DIR/dir
IMG=$ROOT_DIR/root.img
MIRROR=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
root_id=$(hash_files "$PKGS" "$INIT" "$0")
t0=$(now)

if [ "$(cat "$ROOT_DIR/root.id" 2>/dev/null)" = "$root_id" ] && [ -f "$IMG" ]; then
	log "guest root is up to date ($root_id)"
	exit 0
fi

mkdir -p "$ROOT_DIR"
rm -rf "$DIR.tmp" "$ROOT_DIR/root.id"
t=$(now)
run_with_progress "$ROOT_DIR/debootstrap.log" debootstrap \
	debootstrap --variant=minbase sid "$DIR.tmp" "$MIRROR"
log "debootstrap done in $(elapsed "$t")"

# apt inside: sid's Release file looks expired against the clock here.
echo 'Acquire::Check-Valid-Until "false";' > "$DIR.tmp/etc/apt/apt.conf.d/90wtsmgr"
echo "deb $MIRROR sid main" > "$DIR.tmp/etc/apt/sources.list"
# No services start in the chroot, and no default cluster: tests make their own.
printf '#!/bin/sh\nexit 101\n' > "$DIR.tmp/usr/sbin/policy-rc.d"
chmod +x "$DIR.tmp/usr/sbin/policy-rc.d"
mkdir -p "$DIR.tmp/etc/postgresql-common"
echo "create_main_cluster = false" > "$DIR.tmp/etc/postgresql-common/createcluster.conf"

pkgs=$(grep -v '^#' "$PKGS" | tr -s ' \n' ' ')
t=$(now)
run_with_progress "$ROOT_DIR/apt.log" "apt-get install" \
	unshare --mount --propagation private sh -c '
		mount -t proc proc "$1/proc" && shift &&
		exec chroot "$0" sh -c "
			apt-get update -q &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends $*"' "$DIR.tmp" "$DIR.tmp" $pkgs
log "packages installed in $(elapsed "$t")"
chroot "$DIR.tmp" apt-get clean

install -m 0755 "$INIT" "$DIR.tmp/sbin/wtsmgr-init"
echo wtsmgr-guest > "$DIR.tmp/etc/hostname"
# Mount point of the shared folders, in the guest and in the chroot.
mkdir -p "$DIR.tmp/wtsmgr"
# A user for unprivileged test programs (PostgreSQL refuses root).
chroot "$DIR.tmp" id postgres >/dev/null

rm -rf "$DIR"
mv "$DIR.tmp" "$DIR"

# The image: contents plus room for what tests install at run time.
t=$(now)
used_mb=$(du -sm "$DIR" | cut -f1)
size_mb=$(( used_mb + used_mb / 2 + 512 ))
rm -f "$IMG.tmp"
mkfs.ext4 -q -F -L wtsmgr-root -d "$DIR" "$IMG.tmp" "${size_mb}M"
mv "$IMG.tmp" "$IMG"
echo "$root_id" > "$ROOT_DIR/root.id"
log "image $IMG (${size_mb} MB) in $(elapsed "$t"); total $(elapsed "$t0")"
