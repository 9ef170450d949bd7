#!/bin/bash
# Guest suite "core" (not in the default list: "make check-world"):
# PostgreSQL 18.6's own core regression suite (src/test/regress,
# parallel_schedule), run with sid's pg_regress and regress.so against a
# server that runs wtsmgr in atomic mode with full_page_writes as wtsmgr
# decides: off when atomic writes are proven on its data directory (xfs
# on the atomic NVMe namespace).  Before and after the suite it prints
# wtsmgr_status, wtsmgr_locations and wtsmgr_stats, checks that the data
# pages the suite wrote went through wtsmgr, and finally runs pg_checksums
# on the stopped cluster.
#
# Needs vm/build-extension.sh and vm/build-core-regress.sh on the host.
. "$(dirname "$0")/testlib.sh"

SUITE=/wtsmgr/build/core-regress
STAGE=/wtsmgr/build/${WTSMGR_EXT_STAGE:-ext-stage}
BIN=/usr/lib/postgresql/18/bin
PG_REGRESS=/usr/lib/postgresql/18/lib/pgxs/src/test/regress/pg_regress
PORT=54321

for need in "$SUITE/parallel_schedule:vm/build-core-regress.sh" \
	"$STAGE/usr:vm/build-extension.sh"; do
	if [ ! -e "${need%%:*}" ]; then
		note "no ${need%%:*}: run ${need#*:} on the host first"
		echo "0 passed, 1 failed"
		exit 1
	fi
done
cp -a $STAGE/. /

W=/tmp/wtsmgr-core
# only in the guest (WTSMGR_GUEST, set by vm/guest/run.sh): never mkfs a
# host's disk
if [ "${WTSMGR_GUEST:-}" = 1 ] && [ -b /dev/nvme0n1 ] &&
	! grep -q '^/dev/nvme0n1' /proc/mounts; then
	mkdir -p /mnt/wtsmgr-core
	mkfs.xfs -f -q /dev/nvme0n1 && mount /dev/nvme0n1 /mnt/wtsmgr-core &&
		W=/mnt/wtsmgr-core/work
fi
mkdir -p $W
chown postgres: $W
PGDATA=$W/data
note "cluster in $PGDATA ($(findmnt -no SOURCE,FSTYPE -T $W))"

as_pg() { runuser -u postgres -- "$@"; }
sql() { as_pg $BIN/psql -X -h $W -p $PORT -d postgres "$@"; }
show() {
	note "SELECT * FROM $1;"
	sql -x -c "SELECT * FROM $1" 2>&1 | sed 's/^/#   /'
}

check "initdb (with data checksums)" \
	as_pg $BIN/initdb -A trust -N --no-instructions -D $PGDATA
cat >>$PGDATA/postgresql.conf <<EOF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$W'
shared_preload_libraries = 'wtsmgr'
wtsmgr.mode = atomic
wtsmgr.full_page_writes = auto
# as pg_regress sets up its temporary instance (make check)
max_prepared_transactions = 2
log_checkpoints = on
log_line_prefix = '%m %b[%p] %q%a '
EOF
if ! check "the server starts with wtsmgr" \
	as_pg $BIN/pg_ctl -D $PGDATA -l $W/server.log -w -t 600 start; then
	cat $W/server.log
	finish
	exit 1
fi
check "CREATE EXTENSION wtsmgr" sql -c 'CREATE EXTENSION wtsmgr'
show wtsmgr_status
show wtsmgr_locations
check_eq "wtsmgr.mode is atomic" atomic \
	"$(sql -Atc 'SELECT mode FROM wtsmgr_status')"
proven=$(sql -Atc 'SELECT atomic_proven FROM wtsmgr_status')
reason=$(sql -Atc 'SELECT full_page_writes_reason FROM wtsmgr_status')
fpw=$(sql -Atc 'SHOW full_page_writes')
if [ "$proven" = t ]; then
	check_eq "full_page_writes is off" off "$fpw"
else
	skip "full_page_writes is off" "it is $fpw: $reason"
fi
sql -qc 'SELECT wtsmgr_stats_reset()' >/dev/null

note "core regression suite: pg_regress --schedule=parallel_schedule (installcheck)"
mkdir -p $W/regress
chown postgres: $W/regress
start=$(date +%s)
as_pg $PG_REGRESS --inputdir=$SUITE --outputdir=$W/regress \
	--bindir=$BIN --dlpath=/usr/lib/postgresql/18/lib \
	--schedule=$SUITE/parallel_schedule --host=$W --port=$PORT \
	2>&1 | tee $W/regress.log
rc=${PIPESTATUS[0]}
secs=$(($(date +%s) - start))
[ -f $W/regress/regression.diffs ] && head -n 400 $W/regress/regression.diffs
note "core regression suite: exit $rc, $((secs / 60))m$((secs % 60))s"
add_counts "$(/wtsmgr/src/vm/lib/tap-count.sh $W/regress.log $rc pg_regress | tail -n 1)"

show wtsmgr_status
show wtsmgr_stats
writes=$(sql -Atc 'SELECT sum(atomic_writes), sum(writethrough_writes), sum(passthrough_writes), sum(atomic_failures) FROM wtsmgr_stats')
IFS='|' read -r atomic wt pass failures <<<"$writes"
if [ "$proven" = t ]; then
	check_ge "the suite's data pages were written atomically" 1 "$atomic"
	check_eq "no data page was written without atomicity" 0 "$((wt + pass))"
	check_eq "no atomic write failed" 0 "$failures"
	check_eq "full_page_writes is still off" off \
		"$(sql -Atc 'SHOW full_page_writes')"
else
	check_ge "the suite's data pages went through wtsmgr" 1 \
		"$((atomic + wt + pass))"
fi

check "the server stops" as_pg $BIN/pg_ctl -D $PGDATA -w -t 600 stop
check "pg_checksums --check finds no bad checksum" \
	as_pg $BIN/pg_checksums --check -D $PGDATA
grep -E 'WARNING|ERROR:  wtsmgr|PANIC' $W/server.log | grep wtsmgr | head -n 20 |
	sed 's/^/# server log: /'
grep -qs '^/dev/nvme0n1 ' /proc/mounts && umount /mnt/wtsmgr-core
finish
