#!/bin/bash
# Build wtsmgr in-tree, as contrib/wtsmgr of PostgreSQL 18.6 patched with
# the write hooks (postgresql-18-write-hooks.patch), and run its tests
# against that build.  Host side, as root, like vm/build-extension.sh:
# the download, configure, compiling and the tests run in the sid root
# (vm/chroot.sh); unpacking and patching run on the host, because the
# root has neither bzip2 nor patch.
#
# Usage: contrib_wtsmgr/build.sh [STEP...]
# Steps, in this order (default: all but "touched"):
#   fetch      apt-get source --download-only postgresql-18 (sid), and
#              bison, flex and m4 (needed by configure since PostgreSQL
#              17, and not in the root) unpacked with dpkg-deb -x; into
#              the build folder, with apt state of its own: the root is
#              not changed
#   tree       unpack the upstream 18.6 tarball (without Debian's
#              patches) and apply the patch; kept while the patch is
#              unchanged
#   module     copy the module (Makefile from here; objs.mk, src,
#              include, sql, expected, t, test, wtsmgr.control) into
#              contrib/wtsmgr;
#              done again on every run
#   configure  --with-liburing --enable-tap-tests --enable-debug
#              --enable-cassert (no ICU or readline: the root lacks the
#              headers, and the tests need neither)
#   touched    cheap: compile only the files the patch touches, and the
#              module against the patched headers; links nothing else
#   build      make (the server and the client programs) and
#              contrib/wtsmgr; about 9 minutes of two cores
#   check      contrib/wtsmgr's pg_regress and TAP tests (make check, on
#              a temporary installation, as the postgres user); ends
#              with the line "N passed, N failed"
#
# Environment: JOBS (make -j, default 2).
# Host tools: bzip2, patch and tar.
set -euo pipefail
. "$(dirname "$0")/../vm/lib/common.sh"

PG_VERSION=18.6
JOBS=${JOBS:-2}
HERE=$REPO/contrib_wtsmgr
PATCHES=("$HERE"/postgresql-18-write-hooks.patch)
# The same folder, seen from the host and from the root.
HOST_DIR=$WTSMGR_CACHE/build/pg-src
ROOT_DIR_PG=/wtsmgr/build/pg-src
TARBALL=postgresql-18_$PG_VERSION.orig.tar.bz2
TREE=postgresql-$PG_VERSION
PREFIX=/wtsmgr/build/pg-inst

[ "$(id -u)" = 0 ] || die "must run as root"

# Run a script in the root, in the source tree, with the fetched tools.
in_root() {
	local t=$ROOT_DIR_PG/tools
	"$REPO/vm/chroot.sh" bash -c "set -euo pipefail
		export PATH=$t/usr/bin:\$PATH M4=$t/usr/bin/m4 \
			BISON_PKGDATADIR=$t/usr/share/bison
		cd $ROOT_DIR_PG/$TREE
		$1"
}

step_fetch() {
	mkdir -p "$HOST_DIR"
	if [ -f "$HOST_DIR/$TARBALL" ] && [ -x "$HOST_DIR/tools/usr/bin/bison" ]; then
		log "fetch: $TARBALL and the tools already there"
		return
	fi
	"$REPO/vm/chroot.sh" bash -c '
		set -euo pipefail
		dir=$1 apt=$1/apt
		rm -rf "$dir/tools"
		mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" \
			"$dir/tools/debs"
		mirror=$(awk '\''$1 == "deb" { print $2; exit }'\'' /etc/apt/sources.list)
		printf "deb %s sid main\ndeb-src %s sid main\n" "$mirror" "$mirror" \
			>"$apt/sources.list"
		opts=(-o Dir::Etc::SourceList="$apt/sources.list"
			-o Dir::Etc::SourceParts=/dev/null
			-o Dir::State::Lists="$apt/lists"
			-o Dir::Cache="$apt/cache"
			-o Acquire::Check-Valid-Until=false)
		apt-get -q "${opts[@]}" update
		cd "$dir"
		apt-get -q "${opts[@]}" source --download-only postgresql-18
		cd "$dir/tools/debs"
		apt-get -q "${opts[@]}" download bison flex m4
		for deb in ./*.deb; do
			dpkg-deb -x "$deb" "$dir/tools"
		done
	' bash "$ROOT_DIR_PG"
	[ -f "$HOST_DIR/$TARBALL" ] ||
		die "sid no longer has PostgreSQL $PG_VERSION: $(cd "$HOST_DIR" && ls ./*.orig.tar.*); the patch targets $PG_VERSION"
}

step_tree() {
	local stamp want
	want=$(hash_files "${PATCHES[@]}")
	stamp=$HOST_DIR/$TREE/.wtsmgr-patched
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		log "tree: $TREE already patched with these patches"
		return
	fi
	command -v bzip2 >/dev/null && command -v patch >/dev/null ||
		die "bzip2 and patch are needed on the host"
	[ -f "$HOST_DIR/$TARBALL" ] || die "no $TARBALL (run the fetch step)"
	rm -rf "${HOST_DIR:?}/$TREE"
	tar -xjf "$HOST_DIR/$TARBALL" -C "$HOST_DIR"
	for p in "${PATCHES[@]}"; do
		log "tree: applying ${p##*/}"
		patch -d "$HOST_DIR/$TREE" -p1 --forward --batch <"$p" ||
			die "${p##*/} does not apply to PostgreSQL $PG_VERSION"
	done
	echo "$want" >"$stamp"
}

step_module() {
	local dest=$HOST_DIR/$TREE/contrib/wtsmgr
	[ -d "$HOST_DIR/$TREE/contrib" ] || die "no source tree (run the tree step)"
	# A source file missing from OBJS would only show when the module
	# is loaded (an undefined symbol): check here.
	for c in "$REPO"/src/*.c; do
		c=${c##*/}
		grep -q "src/${c%.c}\.o" "$REPO/objs.mk" ||
			die "objs.mk lacks src/${c%.c}.o"
	done
	rm -rf "$dest"
	mkdir -p "$dest"
	cp -a "$HERE/Makefile" "$REPO/objs.mk" "$REPO/wtsmgr.control" "$REPO/src" \
		"$REPO/include" "$REPO/sql" "$REPO/expected" "$REPO/t" \
		"$REPO/test" "$dest/"
	log "module: copied into contrib/wtsmgr"
}

CONFIGURE_OPTS="--prefix=$PREFIX --with-liburing --enable-tap-tests \
--enable-debug --enable-cassert --without-icu --without-readline"

step_configure() {
	local stamp=$HOST_DIR/$TREE/.wtsmgr-configured
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$CONFIGURE_OPTS" ]; then
		log "configure: already done with these options"
		return
	fi
	rm -f "$stamp"
	in_root "nice -n 19 ./configure -q $CONFIGURE_OPTS"
	echo "$CONFIGURE_OPTS" >"$stamp"
}

step_touched() {
	in_root '
		nice -n 19 make -s -C src/backend generated-headers
		nice -n 19 make -s -C src/backend/storage/file fd.o
		nice -n 19 make -s -C src/backend/access/transam xlog.o
		nice -n 19 make -s -C contrib/wtsmgr
		# the module must have been built for the hooks, not for rebinding
		nm -u contrib/wtsmgr/wtsmgr.so | grep -w file_pwritev_hook
		nm -u contrib/wtsmgr/wtsmgr.so | grep -w wal_segment_init_hook
		if nm contrib/wtsmgr/wtsmgr.so | grep -w dl_iterate_phdr; then
			echo "contrib/wtsmgr was built for rebinding" >&2
			exit 1
		fi
	'
	log "touched: fd.o, xlog.o and contrib/wtsmgr compiled against the patched tree"
}

step_build() {
	in_root "
		nice -n 19 make -s -j$JOBS
		nice -n 19 make -s -C contrib/wtsmgr
	"
	log "build: done"
}

step_check() {
	# Exit status 0 only if nothing failed; vm/lib/tap-count.sh counts,
	# as for vm/extension-check.sh.
	in_root '
		chown -R postgres: .
		log=contrib/wtsmgr/check.log
		rc=0
		runuser -u postgres -- make -C contrib/wtsmgr check \
			PROVE_FLAGS=-v >$log 2>&1 || rc=$?
		cat $log
		[ -f contrib/wtsmgr/regression.diffs ] &&
			cat contrib/wtsmgr/regression.diffs
		/wtsmgr/src/vm/lib/tap-count.sh $log $rc "make check"
	'
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(fetch tree module configure build check)
for s in "${steps[@]}"; do
	case $s in
		fetch | tree | module | configure | touched | build | check)
			start=$(now)
			"step_$s"
			log "$s: $(elapsed "$start")"
			;;
		*) die "unknown step: $s" ;;
	esac
done
