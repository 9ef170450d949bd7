#!/bin/bash
# Build the wtsmgr guest kernel: Debian's linux-source-7.3, our patch
# series (kernel/patches/series), our config fragment
# (kernel/config/wtsmgr.config on top of allnoconfig).  One bzImage, no
# modules, no initramfs.  Rebuilds only what changed; ccache makes
# rebuilds after a series change cheap.
#
# Usage: kernel/build.sh [--force-config]
# Output: $WTSMGR_CACHE/kernel/bzImage and kernel.release beside it.
#
# KERNEL_VARIANT=NAME kernel/build.sh builds the same tree into obj-NAME/,
# bzImage-NAME and kernel.release-NAME, with kernel/config/NAME.config on
# top of our fragment when it exists (KERNEL_VARIANT=xfsdebug: xfs with
# CONFIG_XFS_DEBUG, for the tests that look for xfs assertions);
# KERNEL_FRAGMENT=FILE uses FILE instead of both (for example a kernel
# without our configuration, to show that the smoke test notices).  The
# shared bzImage is never touched by a variant build.
set -euo pipefail
. "$(dirname "$0")/../vm/lib/common.sh"

TARBALL=${KERNEL_TARBALL:-$(ls /usr/src/linux-source-7.3.tar.xz 2>/dev/null || true)}
[ -n "$TARBALL" ] || die "linux-source-7.3 is not installed (run vm/setup-host.sh)"
SRC=$KERNEL_DIR/src
VARIANT=${KERNEL_VARIANT:+-$KERNEL_VARIANT}
OBJ=$KERNEL_DIR/obj$VARIANT
FRAGMENTS=("${KERNEL_FRAGMENT:-$REPO/kernel/config/wtsmgr.config}")
if [ -z "${KERNEL_FRAGMENT:-}" ] && [ -n "${KERNEL_VARIANT:-}" ] &&
   [ -f "$REPO/kernel/config/$KERNEL_VARIANT.config" ]; then
	FRAGMENTS+=("$REPO/kernel/config/$KERNEL_VARIANT.config")
fi
SERIES_DIR=$REPO/kernel/patches
JOBS=${JOBS:-$(nproc)}
t0=$(now)

mkdir -p "$KERNEL_DIR" "$CCACHE_DIR"

# 1. A pristine tree, kept as a git repository so that the series can be
# re-applied exactly (and so patches can be developed in it).
tarball_id=$(stat -c '%s-%Y' "$TARBALL")
if [ "$(cat "$SRC/.wtsmgr-tarball" 2>/dev/null)" != "$tarball_id" ]; then
	t=$(now)
	log "extracting $TARBALL"
	rm -rf "$SRC" "$SRC.tmp"
	mkdir -p "$SRC.tmp"
	tar -xf "$TARBALL" -C "$SRC.tmp" --strip-components=1
	(cd "$SRC.tmp" && git init -q && git config gc.auto 0 && git add -A -f &&
	 git -c user.name=wtsmgr -c user.email=wtsmgr@localhost \
		commit -q -m "linux-source-7.3 ($(basename "$TARBALL"))" &&
	 git tag upstream)
	echo "$tarball_id" > "$SRC.tmp/.git/wtsmgr-tarball"
	mv "$SRC.tmp" "$SRC"
	mv "$SRC/.git/wtsmgr-tarball" "$SRC/.wtsmgr-tarball"
	rm -rf "$OBJ"
	log "extracted in $(elapsed "$t")"
fi

# 2. Apply the series when it changed since the last build.
series_files=("$SERIES_DIR/series")
while read -r p; do
	case "$p" in ''|\#*) continue;; esac
	[ -f "$SERIES_DIR/$p" ] || die "series names $p, which is not in kernel/patches/"
	series_files+=("$SERIES_DIR/$p")
done < "$SERIES_DIR/series"
series_id=$(hash_files "${series_files[@]}")
if [ "$(cat "$SRC/.git/wtsmgr-series" 2>/dev/null)" != "$series_id" ]; then
	log "applying kernel/patches/series ($(( ${#series_files[@]} - 1 )) patches)"
	git -C "$SRC" checkout -q -f upstream
	git -C "$SRC" clean -q -fd -e .wtsmgr-tarball
	for f in "${series_files[@]:1}"; do
		git -C "$SRC" -c user.name=wtsmgr -c user.email=wtsmgr@localhost \
			am -q --keep-cr "$f" ||
			{ git -C "$SRC" am --abort; die "patch $(basename "$f") does not apply"; }
	done
	echo "$series_id" > "$SRC/.git/wtsmgr-series"
fi

# 3. Configure: allnoconfig + fragment, then check every requested option.
# Several fragments are merged into one, a later one's setting of an
# option replacing an earlier one's.
mkdir -p "$OBJ"
FRAGMENT=$OBJ/.wtsmgr-fragment
cat "${FRAGMENTS[@]}" | awk '
	{ key = $0 }
	/^CONFIG_[A-Za-z0-9_]*=/ { key = substr($0, 1, index($0, "=") - 1) }
	/^# CONFIG_[A-Za-z0-9_]* is not set/ { key = $2 }
	{ if (key in seen) line[seen[key]] = ""; seen[key] = NR; line[NR] = $0 }
	END { for (i = 1; i <= NR; i++) if (line[i] != "") print line[i] }' \
	> "$FRAGMENT.tmp"
mv "$FRAGMENT.tmp" "$FRAGMENT"
config_id=$(hash_files "$FRAGMENT" "${series_files[@]}")
if [ "${1:-}" = --force-config ] ||
   [ "$(cat "$OBJ/.wtsmgr-config" 2>/dev/null)" != "$config_id" ]; then
	mkdir -p "$OBJ"
	make -s -C "$SRC" O="$OBJ" allnoconfig >/dev/null
	(cd "$SRC" && scripts/kconfig/merge_config.sh -m -O "$OBJ" \
		"$OBJ/.config" "$FRAGMENT" >/dev/null)
	make -s -C "$SRC" O="$OBJ" olddefconfig >/dev/null
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF -- "$line" "$OBJ/.config" ||
				{ log "config: wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$OBJ/.config" || echo unset)"; bad=1; }
			;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			! grep -q "^$opt=" "$OBJ/.config" ||
				{ log "config: wanted $opt unset"; bad=1; }
			;;
		esac
	done < "$FRAGMENT"
	[ $bad = 0 ] || die "the config fragment (${FRAGMENTS[*]}) does not hold after olddefconfig"
	echo "$config_id" > "$OBJ/.wtsmgr-config"
fi

# 4. Build.
t=$(now)
ccache -z >/dev/null
export KBUILD_BUILD_USER=wtsmgr KBUILD_BUILD_HOST=wtsmgr
run_with_progress "$KERNEL_DIR/build$VARIANT.log" "kernel build" \
	make -C "$SRC" O="$OBJ" -j"$JOBS" CC="ccache gcc" LOCALVERSION= bzImage
release=$(make -s -C "$SRC" O="$OBJ" LOCALVERSION= kernelrelease)
cp "$OBJ/arch/x86/boot/bzImage" "$KERNEL_DIR/bzImage$VARIANT.tmp"
mv "$KERNEL_DIR/bzImage$VARIANT.tmp" "$KERNEL_DIR/bzImage$VARIANT"
echo "$release" > "$KERNEL_DIR/kernel.release$VARIANT"
hits=$(ccache -s 2>/dev/null | awk '/Hits:/ {print $2 "/" $4; exit}')
log "built $release in $(elapsed "$t") (ccache hits ${hits:-?}); total $(elapsed "$t0")"
log "bzImage: $KERNEL_DIR/bzImage$VARIANT"
