#!/bin/bash
# Install what the host needs to build our kernel and guest root.
# Idempotent: safe to run again; does nothing that is already done.
#
# Debian trixie, trixie-backports, sid and experimental are added with
# low pin priority so that only the packages named here come from them.
set -euo pipefail

[ "$(id -u)" = 0 ] || { echo "setup-host: must run as root (apt-get)" >&2; exit 1; }

MIRROR=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}

SRC=/etc/apt/sources.list.d/wtsmgr.sources
PIN=/etc/apt/preferences.d/wtsmgr.pref
changed=0

want_src=$(cat <<SOURCES
Types: deb deb-src
URIs: $MIRROR
Suites: trixie trixie-backports sid experimental
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
)
want_pin=$(cat <<'PINS'
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: *
Pin: release n=trixie-backports
Pin-Priority: 100

Package: *
Pin: release n=sid
Pin-Priority: 1

Package: *
Pin: release n=experimental
Pin-Priority: 1
PINS
)
if [ "$(cat $SRC 2>/dev/null)" != "$want_src" ]; then
	echo "$want_src" > $SRC; changed=1
fi
if [ "$(cat $PIN 2>/dev/null)" != "$want_pin" ]; then
	echo "$want_pin" > $PIN; changed=1
fi

# Host packages: kernel build (from bookworm), kernel source from
# trixie-backports, debootstrap (trixie's knows sid's current layout).
# For "make bench": gnuplot-nox (the plots), python3 (the report) and
# libglib2.0-dev (qemu-plugin.h includes glib.h; the instruction-counting
# plugin is built on the host, see bench/plugin/).
HOST_PKGS="build-essential bc bison flex libelf-dev libssl-dev cpio
	ccache xz-utils rsync e2fsprogs python3 git bzip2 patch
	gnuplot-nox libglib2.0-dev"
BP_PKGS="linux-source-7.3"
TRIXIE_PKGS="debootstrap"

missing=""
for p in $HOST_PKGS $BP_PKGS $TRIXIE_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ] && [ $changed = 0 ]; then
	echo "setup-host: all host packages present"
	exit 0
fi

stamp=/var/lib/apt/periodic/wtsmgr-update-stamp
if [ $changed = 1 ] || [ ! -e $stamp ] || [ -n "$(find $stamp -mmin +720)" ]; then
	echo "setup-host: apt-get update"
	apt-get update -q >/dev/null
	mkdir -p "$(dirname $stamp)"; touch $stamp
fi
export DEBIAN_FRONTEND=noninteractive
echo "setup-host: installing$missing"
apt-get install -y -q --no-install-recommends $HOST_PKGS >/dev/null
apt-get install -y -q --no-install-recommends -t trixie-backports $BP_PKGS >/dev/null
apt-get install -y -q --no-install-recommends -t trixie $TRIXIE_PKGS >/dev/null
echo "setup-host: done"
