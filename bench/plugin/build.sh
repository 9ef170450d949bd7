#!/bin/bash
# Build the instruction-counting TCG plugin (bench/plugin/insn.c) for the
# QEMU that vm/run.sh runs (the one in the guest root).
#
# The plugin API header, qemu-plugin.h, is not in any Debian binary
# package: it comes from Debian's qemu source package (apt-get source,
# download only; the header is taken out of the upstream tarball).  The
# exact version of the root's QEMU is tried first; when the mirror no
# longer serves that source, the newest older qemu source it serves is
# used instead.  That is safe as long as the loading QEMU accepts the
# plugin's API version, which it checks itself at load time (and the
# plugin records both versions in its log); the header that was used is
# written next to the plugin in insn.so.header.
#
# The plugin is then loaded once by that QEMU (no guest, a few seconds):
# only a plugin that QEMU accepts is installed as insn.so.  Otherwise
# insn.so.unavailable says why and the benchmark runs without
# instruction counts, saying so in its report.  (On the machine this
# was written on, the mirror serves qemu sources only up to 10.2, whose
# plugin API (5) QEMU 11.1 no longer accepts: it requires API 7.)
#
# Built on the host (qemu-plugin.h includes glib.h, whose development
# headers are not in the guest root; the plugin calls no glib function),
# into $WTSMGR_CACHE/build/bench/insn.so.
#
# Usage: bench/plugin/build.sh
set -euo pipefail
. "$(dirname "$0")/../../vm/lib/common.sh"

SRC_DIR=$WTSMGR_CACHE/qemu-src
OUT=$WTSMGR_CACHE/build/bench
mkdir -p "$SRC_DIR" "$OUT"

have=$(chroot "$ROOT_DIR/dir" dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null) ||
	die "no qemu-system-x86 in the guest root (run vm/build-root.sh)"

# fetch_header VERSION: the header of Debian's qemu source VERSION into
# $SRC_DIR/VERSION/qemu-plugin.h; fails when the mirror does not serve it.
fetch_header() {
	local v=$1 dir=$SRC_DIR/$1 tarball
	[ -f "$dir/qemu-plugin.h" ] && return 0
	# A version the mirror did not serve is not asked for again.
	[ -f "$dir.unavailable" ] && return 1
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
	(cd "$dir.tmp" && apt-get source -d -q "qemu=$v" >download.log 2>&1) || {
		mv "$dir.tmp/download.log" "$dir.unavailable"; rm -rf "$dir.tmp"; return 1; }
	tarball=$(ls "$dir.tmp"/qemu_*.orig.tar.xz | head -n 1)
	tar -xJf "$tarball" -C "$dir.tmp" --wildcards --strip-components=3 \
		'*/include/qemu/qemu-plugin.h'
	mkdir -p "$dir"
	mv "$dir.tmp/qemu-plugin.h" "$dir/"
	rm -rf "$dir.tmp"
}

header_version=
if fetch_header "$have"; then
	header_version=$have
else
	log "the mirror does not serve the qemu $have source; trying older ones"
	for v in $(apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' | sort -u); do
		dpkg --compare-versions "$v" le "$have" || continue
		echo "$v"
	done | sort -r -V > "$SRC_DIR/candidates"
	while read -r v; do
		if fetch_header "$v"; then header_version=$v; break; fi
	done < "$SRC_DIR/candidates"
fi
if [ -z "$header_version" ]; then
	echo "no qemu source package with qemu-plugin.h could be downloaded" > "$OUT/insn.so.unavailable"
	rm -f "$OUT/insn.so"
	log "instruction counts unavailable: no qemu source package could be downloaded"
	exit 0
fi

hdr=$SRC_DIR/$header_version/qemu-plugin.h
unavailable() {
	rm -f "$OUT/insn.so"
	echo "$*" > "$OUT/insn.so.unavailable"
	echo "$id" > "$OUT/insn.so.id"
	log "instruction counts unavailable: $*"
	exit 0
}
plugin_src=$REPO/bench/plugin/insn.c
id="$(hash_files "$plugin_src" "$hdr" "$0") $header_version $have"
if [ "$(cat "$OUT/insn.so.id" 2>/dev/null)" = "$id" ] &&
	{ [ -f "$OUT/insn.so" ] || [ -f "$OUT/insn.so.unavailable" ]; }; then
	exit 0
fi
rm -f "$OUT/insn.so.unavailable"
command -v pkg-config >/dev/null && pkg-config --exists glib-2.0 ||
	die "glib development headers missing (run vm/setup-host.sh)"
cc -O2 -g -Wall -Wextra -Werror -std=gnu11 -fPIC -shared \
	-I"$(dirname "$hdr")" $(pkg-config --cflags glib-2.0) \
	-o "$OUT/insn.so.tmp" "$plugin_src" -lpthread

# Load test: QEMU with no machine, killed after a few seconds when it
# loaded the plugin (exit 124), failing at once with a message when not.
rc=0
msg=$("$REPO/vm/chroot.sh" bash -c 'cd /tmp && cp /wtsmgr/build/bench/insn.so.tmp p.so &&
	timeout 5 qemu-system-x86_64 -nodefaults -display none -machine none -accel tcg \
		-plugin /tmp/p.so,ctl=/tmp/ctl,log=/tmp/log 2>&1' 2>&1) || rc=$?
if [ $rc != 124 ]; then
	rm -f "$OUT/insn.so.tmp"
	unavailable "QEMU $have does not load the plugin built against qemu-plugin.h of $header_version: $(echo "$msg" | tail -n 1)"
fi
mv "$OUT/insn.so.tmp" "$OUT/insn.so"
echo "qemu-plugin.h from Debian qemu source $header_version; guest root QEMU $have" \
	> "$OUT/insn.so.header"
echo "$id" > "$OUT/insn.so.id"
log "built $OUT/insn.so ($(cat "$OUT/insn.so.header"))"
