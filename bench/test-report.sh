#!/bin/bash
# Host-side tests of the benchmark's tooling, without a VM (seconds):
#   - bench/report.py on synthetic raw data whose figures are known
#     (per-second TPS, percentiles, WAL and full-page-image bytes per
#     transaction, device figures, checkpoint cycles, ratios, CSV, plots,
#     a failed wtsmgr configuration reported as such);
#   - bench/bench.sh refuses bad options with a clear message, before
#     building or booting anything, and leaves no results folder.
# No timing is asserted.  Prints "N passed, N failed"; exit 0 when all
# passed.
#
# Usage: bench/test-report.sh
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
notok() { fail=$((fail + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && echo "#   $2"; }
check() {	# check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "expected '$2', got '$3'"; fi
}

# Synthetic run: stock and unsafe, a 10 s window starting at epoch 1000.
# stock: 10 transactions per second, latencies 1, 2, .. 100 ms; unsafe:
# 20 per second, all 5 ms.  A checkpoint
# starts at 1005 (a cycle [1000, 1005): first fifth [1000, 1001)).
R=$T/run
mkdir -p "$R/raw/pgbench/stock" "$R/raw/pgbench/unsafe" "$R/raw/pgbench/wtsmgr"
cat > "$R/machine.txt" <<'EOF'
date=2026-01-01 00:00:00 UTC
command=make bench BENCH_DURATION=10
settings=BENCH=pgbench BENCH_CONFIGS=stock,wtsmgr,unsafe BENCH_SCALE=1 BENCH_DURATION=10 BENCH_WARMUP=0 BENCH_CLIENTS=1 BENCH_JOBS=1 BENCH_DEVICE=/dev/nvme0n1 BENCH_CHECKPOINT_TIMEOUT=30s BENCH_SHARED_BUFFERS=128MB
accel=tcg
instructions=not measured: test
EOF
echo "shared_buffers = 128MB" > "$R/pg-settings.txt"
echo "bench: FAILED: configuration wtsmgr: wtsmgr's safety check did not turn full_page_writes off (it is on): test" \
	> "$R/console.log"
gen() {	# gen CONFIG PER_SECOND LATENCY_EXPR WAL_BYTES FPI FPI_BYTES DEV_SECTORS
	local d=$R/raw/pgbench/$1
	awk -v n="$2" -v expr="$3" 'BEGIN {
		tx = 0
		for (s = 0; s < 10; s++)
			for (i = 0; i < n; i++) {
				lat = (expr == "ramp") ? (s * n + i + 1) * 1000 : 5000
				# completion time: second s + (i + 0.5) / n, start = completion - lat
				t = 1000 + s + (i + 0.5) / n
				if (s == 0 && i == 0) t = 1000 + lat / 1e6	# window starts at 1000.000
				sec = int(t); us = int((t - sec) * 1e6 + 0.5)
				printf "0 %d %d 0 %d %d\n", tx++, lat, sec, us
			}
	}' > "$d/pgbench_log.1"
	printf 'time_ms 999000\nlsn 0/1000\nlsn_bytes 1000000\nwal_fpi 100\nwal_bytes 5\nckpt_done 3\ndevstat 0 0 0 0 100 0 1000 0 0 0 0 0 0 0 0 10 0\n' > "$d/before.txt"
	printf 'time_ms 1010000\nlsn 0/2000\nlsn_bytes %d\nwal_fpi %d\nwal_bytes 5\nckpt_done 4\ndevstat 0 0 0 0 %d 0 %d 0 0 0 0 0 0 0 0 %d 0\n' \
		$((1000000 + $4)) $((100 + $5)) $((100 + 10 * $2)) $((1000 + $7)) $((10 + 10 * $2)) > "$d/after.txt"
	printf 'tps = %d.000000 (without initial connection time)\n' "$2" > "$d/pgbench.txt"
	printf '1004.9 [1] LOG:  checkpoint starting: immediate force wait\n1005.000 [1] LOG:  checkpoint starting: time\n' |
		sed '1s/^1004.9/999.500/' > "$d/postgres.log"
	printf 'Total %d %d [10.00%%] %d [90.00%%] %d [100%%]\n' 50 $(( $4 - $6 )) "$6" "$4" > "$d/waldump.txt"
	for s in 0 5 10; do echo "$((1000000 + s * 1000)) $((1000000 + s * $4 / 10)) 0 $((1000 + s * $7 / 10)) 0"; done > "$d/samples.txt"
}
gen stock 10 ramp 1000000 100 900000 20000
gen unsafe 20 flat 100000 0 0 10000

out=$(python3 "$REPO/bench/report.py" "$R" 2>&1) && ok "report.py runs" || notok "report.py runs" "$out"
csvget() {	# csvget FIGURE_LABEL COLUMN: a cell of summary.csv
	python3 - "$R/summary.csv" "$1" "$2" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
col = rows[0].index(sys.argv[3])
for r in rows[1:]:
    if r[0] == sys.argv[2]:
        print(r[col]); break
PY
}
check "stock transactions" 100 "$(csvget transactions stock)"
check "unsafe transactions" 200 "$(csvget transactions unsafe)"
check "TPS from pgbench's summary" 10 "$(csvget 'TPS (pgbench, whole window)' stock)"
check "per-second TPS is flat: CV 0" 0 "$(csvget 'coefficient of variation of per-second TPS' stock)"
check "latency p95 (nearest rank of 1..100 ms)" 95 "$(csvget 'latency p95 (ms)' stock)"
check "latency p99" 99 "$(csvget 'latency p99 (ms)' stock)"
check "latency average" 50.5 "$(csvget 'latency average (ms)' stock)"
check "WAL bytes per transaction" 10000 "$(csvget 'WAL bytes per transaction (LSN)' stock)"
check "full-page images per transaction" 1 "$(csvget 'full-page images per transaction (pg_stat_wal)' stock)"
check "full-page image bytes per transaction" 9000 "$(csvget 'full-page image bytes per transaction (pg_waldump)' stock)"
check "full-page image share" 0.9 "$(csvget 'full-page image share of WAL (pg_waldump)' stock)"
check "device bytes per transaction (sectors x 512)" 102400 "$(csvget 'device bytes written per transaction' stock)"
check "device write requests per transaction" 1 "$(csvget 'device write requests per transaction' stock)"
check "device flushes per transaction" 1 "$(csvget 'device cache flushes per transaction' stock)"
check "checkpoints completed" 1 "$(csvget 'checkpoints completed (pg_stat_checkpointer)' stock)"
check "one complete cycle (the pre-window checkpoint is not a cycle start)" 1 \
	"$(csvget 'complete checkpoint cycles in the window' stock)"
check "TPS in the first fifth of the cycle" 10 "$(csvget 'TPS in the first fifth of checkpoint cycles' stock)"
check "ratio unsafe/stock of WAL per transaction" 0.05 \
	"$(csvget 'WAL bytes per transaction (LSN)' unsafe/stock)"
check "ratio unsafe/stock of TPS" 2.00 "$(csvget 'TPS (pgbench, whole window)' unsafe/stock)"
grep -qF '| transactions | 100 | FAILED | 200 |' "$R/results.md" &&
	ok "the failed wtsmgr configuration shows FAILED in the table" ||
	notok "the failed wtsmgr configuration shows FAILED in the table"
grep -q "wtsmgr: no result.*did not turn full_page_writes off" "$R/results.md" &&
	ok "results.md says why wtsmgr has no result" || notok "results.md says why wtsmgr has no result"
grep -q "unsafe (FPW off, no protection)" "$R/results.md" &&
	ok "unsafe is labelled unsafe in the table" || notok "unsafe is labelled unsafe in the table"
check "tps_per_second.csv: 10 seconds and a header" 11 "$(wc -l < "$R/tps_per_second.csv")"
check "tps_per_second.csv: stock 10/s, unsafe 20/s" "5,10,20" "$(sed -n 7p "$R/tps_per_second.csv")"
for f in tps.png wal.png checkpoints.csv wal_cumulative.csv; do
	[ -s "$R/$f" ] && ok "$f written" || notok "$f written"
done

# bench.sh: bad options are refused before anything happens.
bad() {	# bad DESCRIPTION PATTERN VAR=VALUE...
	local desc=$1 pat=$2 out rc=0
	shift 2
	out=$(env "$@" BENCH_OUT="$T/never" "$REPO/bench/bench.sh" 2>&1) || rc=$?
	if [ $rc != 0 ] && echo "$out" | grep -q "$pat" && [ ! -e "$T/never" ]; then
		ok "$desc"
	else
		notok "$desc" "exit $rc: $out"
	fi
}
bad "unknown configuration" "unknown configuration 'fast'" BENCH_CONFIGS=stock,fast
bad "unknown sub-benchmark" "unknown sub-benchmark 'tpcc'" BENCH=tpcc
bad "non-numeric scale" "BENCH_SCALE must be a whole number" BENCH_SCALE=big
bad "more threads than clients" "cannot exceed" BENCH_CLIENTS=2 BENCH_JOBS=4
bad "device not a path" "BENCH_DEVICE must be" BENCH_DEVICE=nvme0n1
out=$("$REPO/bench/bench.sh" --scale 5 2>&1) && rc=0 || rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "no arguments" &&
	ok "arguments are refused (settings are variables)" || notok "arguments are refused" "$out"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
