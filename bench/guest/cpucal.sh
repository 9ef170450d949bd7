#!/bin/bash
# The CPU speed of PostgreSQL on this machine: the TPS of pgbench's
# TPC-B-like script on a small database held in memory (tmpfs, fsync and
# synchronous_commit off), so that no transaction waits for a disk.  The
# same script runs in the guest and, in the guest root as a chroot
# (vm/chroot.sh), on the host: host TPS / guest TPS is the guest's CPU
# slowdown, by which make bench scales the cloud volume's throttle.
# One client: with several, their waits for each other's locks cost the
# guest far more than the host (a waiting vCPU spins emulated code), so
# the ratio would measure lock contention under TCG rather than the CPU
# (with 4 clients, two runs on the same host gave 65x and 151x).
# Autovacuum is off on both sides (it would vacuum the fresh tables
# during the short run, a larger share of the guest's slower CPU).
#
# Usage: cpucal.sh SECONDS [CLIENTS]; prints "tps N" (the last line).
set -euo pipefail
secs=${1:-10} clients=${2:-1}
dir=/mnt/cpucal
pg() { runuser -u postgres -- "$@"; }
mkdir -p $dir
mount -t tmpfs -o size=1g cpucal $dir
trap 'pg pg_ctl -D $dir/pgdata -m immediate stop >/dev/null 2>&1 || true; umount $dir' EXIT
chown postgres: $dir
pg initdb -D $dir/pgdata -A trust --no-sync >/dev/null
pg pg_ctl -D $dir/pgdata -w -t 300 -l $dir/log -o "-k $dir -c listen_addresses='' \
	-c fsync=off -c synchronous_commit=off -c full_page_writes=off \
	-c shared_buffers=128MB -c max_wal_size=1GB -c autovacuum=off" start >/dev/null
export PGHOST=$dir PGDATABASE=postgres
# Scale 5: small enough to build in seconds in the guest.
pg pgbench -i -q -s 5 >/dev/null 2>&1
# A warm-up of a third of the time (first touches of shared memory, hint
# bits, cold caches: far slower under TCG than natively), then the run.
pg pgbench -n -T $(( (secs + 2) / 3 )) -c "$clients" -j "$clients" >/dev/null 2>&1
pg pgbench -n -T "$secs" -c "$clients" -j "$clients" 2>/dev/null |
	sed -n 's/^tps = \([0-9.]*\).*/tps \1/p'
