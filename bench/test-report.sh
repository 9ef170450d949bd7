#!/bin/bash
# Host-side tests of the benchmark's tooling, without a VM (seconds):
#   - bench/report.py on synthetic raw data whose figures are known
#     (per-second TPS, percentiles, WAL and full-page-image bytes per
#     transaction, device figures, checkpoint cycles, ratios, CSV, plots,
#     a failed wtsmgr configuration reported as such; repeats, the
#     icount pass with instructions per transaction and per data page
#     written, the cloud profile with its throttle set after the copy,
#     the measured slowdown and the device against the cap, the goal of
#     5 checkpoint cycles, the capacity model, the other workloads; the
#     kernel benchmark's two tables of issue 11, with repeats; the
#     writeback benchmark's table of issue 15);
#   - bench/publish.sh publishes a kernel-only run without touching the
#     pgbench files and README part, and the other way round;
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
gen() {	# gen CONFIG|DIR PER_SECOND LATENCY_EXPR WAL_BYTES FPI FPI_BYTES DEV_SECTORS
	local d=$1
	case "$d" in /*) mkdir -p "$d";; *) d=$R/raw/pgbench/$1;; esac
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
# client backends wrote 200 pages in 100 ms over the window: 0.5 ms each,
# seen only in the reading after they exited (the one right after
# pgbench still has the count of before)
printf 'backend_writes 100\nbackend_write_ms 50.5\n' >> "$R/raw/pgbench/stock/before.txt"
printf 'backend_writes 100\nbackend_write_ms 50.5\nbackend_writes_settled 300\nbackend_write_ms_settled 150.5\n' \
	>> "$R/raw/pgbench/stock/after.txt"

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
check "client backend write latency: pg_stat_io write_time / writes" 0.5 \
	"$(csvget 'client backend data write latency, mean ms (pg_stat_io)' stock)"
check "client backend write latency: none without the counters" "" \
	"$(csvget 'client backend data write latency, mean ms (pg_stat_io)' unsafe)"
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
check "tps_per_second.csv: stock 10/s, unsafe 20/s (median, lowest, highest)" "5,10,10,10,20,20,20" \
	"$(sed -n 7p "$R/tps_per_second.csv")"
check "one run: the ratio is marked '1 run'" "1 run" "$(csvget 'TPS (pgbench, whole window)' 'unsafe/stock difference')"
for f in tps.png wal.png checkpoints.csv wal_cumulative.csv; do
	[ -s "$R/$f" ] && ok "$f written" || notok "$f written"
done

# Repeats: three runs per configuration (CONFIG/r1..r3).  TPS stock 10,
# 11, 12; unsafe 11, 12, 13 (overlaps stock); wtsmgr 20, 21, 22 (does
# not overlap either).  And an instruction-count pass (raw-insn) under
# icount shift 3 (8 ns per instruction): stock 100 transactions in 10 s
# with 8 s of busy CPU = 10^9 instructions, 10^7 per transaction.
R=$T/repeats
mkdir -p "$R"
sed -e 's/BENCH_CONFIGS=stock,wtsmgr,unsafe/BENCH_CONFIGS=stock,wtsmgr,unsafe BENCH_REPEATS=3/' \
	"$T/run/machine.txt" > "$R/machine.txt"
echo "icount=shift=3 duration=10" >> "$R/machine.txt"
cp "$T/run/pg-settings.txt" "$R/"
: > "$R/console.log"
for k in 1 2 3; do
	gen "$R/raw/pgbench/stock/r$k" $((9 + k)) flat 1000000 100 900000 20000
	gen "$R/raw/pgbench/unsafe/r$k" $((10 + k)) flat 100000 0 0 10000
	gen "$R/raw/pgbench/wtsmgr/r$k" $((19 + k)) flat 100000 0 0 10000
done
I=$R/raw-insn/pgbench
for c in stock wtsmgr unsafe; do
	gen "$I/$c/r1" 10 flat 1000000 100 900000 20000
	printf 'uptime 100.00 0.00\ncpustat 0 0 0 0 0 0 0 0 0 0\nncpu 1\n' >> "$I/$c/r1/before.txt"
	busy_idle=$([ $c = stock ] && echo '150 50' || echo '500 100')	# stock 8 s busy, others 4 s
	printf 'uptime 110.00 2.00\ncpustat 0 0 0 %s 0 0 0 0 0\nncpu 1\n' "$busy_idle" >> "$I/$c/r1/after.txt"
done
# Data pages written (pg_stat_io) in the icount pass: stock 400 for 100
# transactions: 10^9 / 400 = 2.5 * 10^6 instructions per page, 4 pages
# per transaction.  wtsmgr: 4 s busy = 5 * 10^8 instructions; its
# reading right after pgbench lacks a checkpoint's pages (1000 -> 1000),
# the one once that checkpoint finished has them (1500): 10^6 per page.
# unsafe has no such counter (runs before it existed).
printf 'data_page_writes 1000\n' >> "$I/stock/r1/before.txt"
printf 'data_page_writes 1400\n' >> "$I/stock/r1/after.txt"
printf 'data_page_writes 1000\n' >> "$I/wtsmgr/r1/before.txt"
printf 'data_page_writes 1000\ndata_page_writes_settled 1500\n' >> "$I/wtsmgr/r1/after.txt"
# unsafe also has the counters right around pgbench: 2 s busy, preferred.
printf 'uptime 101.00 0\ncpustat 0 0 0 0 0 0 0 0 0 0\nncpu 1\n' > "$I/unsafe/r1/cpu-before.txt"
printf 'uptime 103.00 0\ncpustat 0 0 0 0 0 0 0 0 0 0\nncpu 1\n' > "$I/unsafe/r1/cpu-after.txt"
printf 'uptime 50.00 0\ncpustat 0 0 0 0 0 0 0 0 0 0\nncpu 1\n' > "$I/icount-calib-before.txt"
printf 'uptime 52.00 0\ncpustat 0 0 0 0 0 0 0 0 0 0\nncpu 1\n' > "$I/icount-calib-after.txt"
echo "loop_insns 250000000" > "$I/icount-calibration.txt"
out=$(python3 "$REPO/bench/report.py" "$R" 2>&1) && ok "report.py runs on repeats" || notok "report.py runs on repeats" "$out"
TPS='TPS (pgbench, whole window)'
check "repeats: median TPS" 11 "$(csvget "$TPS" stock)"
check "repeats: lowest TPS" 10 "$(csvget "$TPS" stock_min)"
check "repeats: highest TPS" 12 "$(csvget "$TPS" stock_max)"
check "repeats: number of runs" 3 "$(csvget "$TPS" stock_runs)"
check "headline wtsmgr/unsafe: ratio of the medians" 1.75 "$(csvget "$TPS" wtsmgr/unsafe)"
check "ranges apart: a difference" differs "$(csvget "$TPS" 'wtsmgr/unsafe difference')"
check "unsafe/stock: ratio of the medians" 1.09 "$(csvget "$TPS" unsafe/stock)"
check "ranges overlap: no difference" overlap "$(csvget "$TPS" 'unsafe/stock difference')"
check "wtsmgr/stock differs" differs "$(csvget "$TPS" 'wtsmgr/stock difference')"
grep -qF '| TPS (pgbench, whole window) | 11.0 (10.0-12.0) | 21.0 (20.0-22.0) | 12.0 (11.0-13.0) | 1.75 (**differs**) |' \
	"$R/results.md" && ok "results.md: median (range), headline ratio first" ||
	notok "results.md: median (range), headline ratio first" "$(grep -F '| TPS (pgbench' "$R/results.md")"
grep -q 'TPS unsafe/stock: \*\*1.09\*\*, no difference' "$R/results.md" &&
	ok "results.md says an overlapping ratio shows no difference" ||
	notok "results.md says an overlapping ratio shows no difference"
check "runs.csv: one line per run" 10 "$(wc -l < "$R/runs.csv")"
grep -q 'With 3 runs a side, .* by chance once in 10 comparisons' "$R/results.md" &&
	ok "results.md says how often 3 runs a side come apart by chance (2 3! 3! / 6! = 1/10)" ||
	notok "results.md says how often 3 runs a side come apart by chance"
check "tps_per_second.csv: median and range of the runs" "5,11,10,12,21,20,22,12,11,13" \
	"$(sed -n 7p "$R/tps_per_second.csv")"
INS='guest instructions per transaction (icount pass)'
check "icount: instructions per transaction = busy ns / 8 / transactions" 1e+07 "$(csvget "$INS" stock)"
check "icount: idle and iowait are not instructions" 5e+06 "$(csvget "$INS" wtsmgr)"
check "icount: the counters right around pgbench are preferred" 2.5e+06 "$(csvget "$INS" unsafe)"
check "icount: instructions per device write request" 1e+07 \
	"$(csvget 'guest instructions per device write request (icount pass)' stock)"
check "icount: ratio wtsmgr/stock of instructions" 0.50 "$(csvget "$INS" wtsmgr/stock)"
check "icount: TPS in guest time" 10 "$(csvget 'TPS in guest time under icount (1 vCPU; model CPU)' stock)"
check "icount: instructions per data page written (pg_stat_io)" 2.5e+06 \
	"$(csvget 'guest instructions per data page written (icount pass)' stock)"
check "icount: pages from the reading once the last checkpoint finished" 1e+06 \
	"$(csvget 'guest instructions per data page written (icount pass)' wtsmgr)"
check "icount: no pages counted, no figure" "" \
	"$(csvget 'guest instructions per data page written (icount pass)' unsafe)"
grep -q '^| guest instructions per data page written (icount pass) | 2,500,000 | 1,000,000 | n/a |' "$R/results.md" &&
	ok "results.md: instructions per data page written" ||
	notok "results.md: instructions per data page written" "$(grep 'per data page' "$R/results.md")"
grep -q 'a loop of 250,000,000 instructions counted as 250,000,000 (+0.0%' "$R/results.md" &&
	ok "icount calibration reported" || notok "icount calibration reported" "$(grep -o 'Calibration:.*' "$R/results.md")"
grep -q 'not measured' "$R/results.md" && notok "with an icount pass, no 'not measured'" ||
	ok "with an icount pass, no 'not measured'"
[ -s "$R/tps.png" ] && ok "tps.png with the spread" || notok "tps.png with the spread"
grep -q '^## .*cloud volume' "$R/results.md" && notok "no cloud section without cloud runs" ||
	ok "no cloud section without cloud runs"
grep -q "^Checkpoints: PostgreSQL's own (checkpoint_timeout). Complete checkpoint cycles per run: stock 1/1/1, wtsmgr 1/1/1, unsafe 1/1/1; goal of at least 5 in every run: \*\*not met\*\*" "$R/results.md" &&
	ok "one cycle a run: the goal of 5 is not met" ||
	notok "one cycle a run: the goal of 5 is not met" "$(grep '^Checkpoints' "$R/results.md")"

# The cloud-volume profile (raw/pgbench-cloud): stock 10-12 TPS, wtsmgr
# 20-22 (goal >= 1.5 with ranges apart: met), unsafe 5-7 (the headline
# wtsmgr/unsafe differs).  The gzip test: 1500 ms in the guest, 100 ms on
# the host: 15.0x.
C=$T/cloud
cp -a "$R" "$C"
rm -f "$C"/*.csv "$C"/*.png "$C/results.md"
printf 'host_gzip_ms=100\ncloud=mibs=125 iops=3000 slowdown=20 bps=6553600 iops_throttle=150\n' >> "$C/machine.txt"
echo "guest_ms 1500" > "$C/raw/pgbench/cpu-speed.txt"
for k in 1 2 3; do
	gen "$C/raw/pgbench-cloud/stock/r$k" $((9 + k)) flat 1000000 100 900000 20000
	gen "$C/raw/pgbench-cloud/wtsmgr/r$k" $((19 + k)) flat 100000 0 0 10000
	gen "$C/raw/pgbench-cloud/unsafe/r$k" $((4 + k)) flat 100000 0 0 10000
done
out=$(python3 "$REPO/bench/report.py" "$C" 2>&1) && ok "report.py runs with the cloud profile" ||
	notok "report.py runs with the cloud profile" "$out"
R=$C
check "cloud: the unthrottled table is unchanged" 11 "$(csvget "$TPS" stock)"
csvcloud() { python3 - "$C/summary-cloud.csv" "$1" "$2" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
col = rows[0].index(sys.argv[3])
for r in rows[1:]:
    if r[0] == sys.argv[2]:
        print(r[col]); break
PY
}
check "cloud: median TPS of wtsmgr" 21 "$(csvcloud "$TPS" wtsmgr)"
check "cloud: headline wtsmgr/unsafe" 3.50 "$(csvcloud "$TPS" wtsmgr/unsafe)"
check "cloud: wtsmgr/stock" 1.91 "$(csvcloud "$TPS" wtsmgr/stock)"
grep -q 'wtsmgr/stock TPS >= 1.5 with ranges apart: \*\*met\*\* (1.91, differs)' "$C/results.md" &&
	ok "cloud: the 1.5x goal is checked" || notok "cloud: the 1.5x goal is checked" "$(grep Goal "$C/results.md")"
grep -q 'throttling.bps-total=6553600.*6.25 MiB/s.*iops-total=150' "$C/results.md" &&
	ok "cloud: the throttle is shown" || notok "cloud: the throttle is shown"
grep -q 'measured in this run .*: 15.0x (guest 1,500 ms, host 100 ms)' "$C/results.md" &&
	ok "cloud: the measured slowdown is shown" || notok "cloud: the measured slowdown is shown"
check "cloud: no instruction rows (one pass, unthrottled)" "" \
	"$(grep -c 'icount pass' "$C/summary-cloud.csv" | grep -v '^0$')"
# The capacity model: stock 10^7 instructions per transaction (CPU
# ceiling 6e9 / 1e7 = 600 TPS), wtsmgr 5 * 10^6 (1200), unsafe 2.5 * 10^6; one
# device request per transaction.  Its check: the throttled device (150
# IOPS) with the guest's unthrottled TPS as the CPU ceiling (stock 11).
grep -qF '| local NVMe SSD: 2000 MiB/s, 200,000 IOPS | 600 (CPU) | 1,200 (CPU) | 2,400 (CPU) | 2.00 |' "$C/results.md" &&
	ok "projection: CPU-bound on local NVMe" || notok "projection: CPU-bound on local NVMe" "$(grep 'local NVMe' "$C/results.md")"
grep -qF '| throughput-optimised cloud volume: 500 MiB/s, 500 IOPS | 500 (IOPS) | 500 (IOPS) | 500 (IOPS) | 1.00 |' "$C/results.md" &&
	ok "projection: IOPS-bound on the throughput-optimised volume" ||
	notok "projection: IOPS-bound on the throughput-optimised volume" "$(grep 'throughput-optimised' "$C/results.md")"
grep -qF '| stock | 11.0 (CPU) | 11.0 (10.0-12.0) | 1.00 |' "$C/results.md" &&
	ok "projection: checked against the throttled measurement" ||
	notok "projection: checked against the throttled measurement" "$(grep '^| stock |' "$C/results.md")"
grep -q 'a model, not a measurement' "$R/results.md" && ok "projection labelled as a model" ||
	notok "projection labelled as a model"
for f in tps-cloud.png wal-cloud.png tps_per_second-cloud.csv runs-cloud.csv; do
	[ -s "$C/$f" ] && ok "$f written" || notok "$f written"
done

# The throttle set after the copy (raw/pgbench/cloud-throttle.txt): a
# slowdown measured as 4000 / 1000 TPS = 4, a 5 MiB/s volume: 1.25 MiB/s
# (1310720 B/s) and 5000 IOPS.  Each cloud run copied in 2.5 s and ran
# with that throttle.  The guest's clock ran at 80% of the host's (the
# throttle requests: guest 80 s, host 100 s), so per host second: stock
# 100-120 device requests in the 11 s between the snapshots = 9.1-10.9
# per guest second = 7.3-8.7 per host second (0.2% of the IOPS cap);
# 20000 sectors = 10,240,000 bytes in 11 s x 0.8 = 0.71 MiB/s (56.8% of
# the bandwidth cap).
# Checkpoints requested every 2 s: starts at 1002, 1004, 1006, 1008 and
# 1009.5 make 5 complete cycles in every cloud run.
C2=$T/cloud-after-copy
cp -a "$C" "$C2"
rm -f "$C2"/*.csv "$C2"/*.png "$C2/results.md"
echo "checkpoint_every=2" >> "$C2/machine.txt"
printf '%s\n' "source measured" "slowdown 4.00" "host_tps 4000.5" "guest_tps 1000.1" "mibs 5" \
	"iops 20000" "bps 1310720" "iops_throttle 5000" > "$C2/raw/pgbench/cloud-throttle.txt"
printf '%s\n' "1000000 0 0 ok 0 0" "1050000 1310720 5000 ok 1310720 5000" "1100000 0 0 ok 0 0" > "$C2/raw/throttle.log"
printf '%s\n' "1999900 2000100 0 0" "2039900 2040100 1310720 5000" "2079900 2080100 0 0" > "$C2/raw/throttle-guest.log"
for d in "$C2"/raw/pgbench-cloud/*/r*; do
	printf 'copy_ms 2500\nthrottle_bps 1310720\nthrottle_iops 5000\n' > "$d/copy.txt"
	printf '999.500 [1] LOG:  checkpoint starting: immediate force wait\n' > "$d/postgres.log"
	for t in 1002.000 1004.000 1006.000 1008.000 1009.500; do
		echo "$t [1] LOG:  checkpoint starting: immediate force wait" >> "$d/postgres.log"
	done
done
out=$(python3 "$REPO/bench/report.py" "$C2" 2>&1) && ok "report.py runs with the throttle set after the copy" ||
	notok "report.py runs with the throttle set after the copy" "$out"
grep -q 'throttles it through QEMU.s monitor (QMP `block_set_io_throttle`) for the warm-up and the window' "$C2/results.md" &&
	ok "after copy: the report says when the throttle applies" ||
	notok "after copy: the report says when the throttle applies"
grep -q 'slowdown against the host, \*\*4.0x\*\*, measured in this run: .* ran at 4,000 TPS on the host .* and 1,000.1 TPS in the guest: 1,310,720 B/s (1.25 MiB/s) and 5000 IOPS' "$C2/results.md" &&
	ok "after copy: the measured slowdown and the throttle it gives" ||
	notok "after copy: the measured slowdown and the throttle it gives" "$(grep -o 'slowdown against the host.*IOPS, so' "$C2/results.md")"
grep -q 'throttling.bps-total=6553600' "$C2/results.md" &&
	notok "after copy: the boot-time throttle of machine.txt is not reported" ||
	ok "after copy: the boot-time throttle of machine.txt is not reported"
grep -q "The guest's clock ran at 80.0% of the host's (guest 80.0 s against host 100.0 s" "$C2/results.md" &&
	ok "after copy: the guest's clock against the host's, from the throttle requests" ||
	notok "after copy: the guest's clock against the host's, from the throttle requests"
grep -qF '| stock | 8.0 (7.3-8.7) | 0.2% | 0.71 | 56.8% | 2.5 |' "$C2/results.md" &&
	ok "after copy: device requests and MiB/s per host second against the cap, and the copy time" ||
	notok "after copy: device requests and MiB/s per host second against the cap, and the copy time" "$(grep '^| stock |' "$C2/results.md")"
R=$C2
check "device requests per second between the snapshots (unthrottled table)" 10 \
	"$(csvget 'device requests per second (read + write)' stock)"
grep -q "^Checkpoints: requested by the benchmark every 2 s of the window .* Complete checkpoint cycles per run: stock 5/5/5, wtsmgr 5/5/5, unsafe 5/5/5; goal of at least 5 in every run: \*\*met\*\*" "$C2/results.md" &&
	ok "five cycles a run: the goal is met" ||
	notok "five cycles a run: the goal is met" "$(grep '^Checkpoints' "$C2/results.md")"
check "checkpoints-cloud.csv: every start of every run (the plot's marks)" 46 "$(wc -l < "$C2/checkpoints-cloud.csv")"
grep -q "Check against the measurement: the cloud profile's device (1.25 MiB/s, 5000 IOPS)" "$C2/results.md" &&
	ok "after copy: the model is checked against the throttle set after the copy" ||
	notok "after copy: the model is checked against the throttle set after the copy" "$(grep 'Check against' "$C2/results.md")"
sed -i 's/^source measured/source assumed/' "$C2/raw/pgbench/cloud-throttle.txt"
python3 "$REPO/bench/report.py" "$C2" >/dev/null 2>&1
grep -q '\*\*4.0x\*\*, \*\*assumed\*\*: its measurement failed' "$C2/results.md" &&
	ok "after copy: a failed measurement is reported as an assumption" ||
	notok "after copy: a failed measurement is reported as an assumption"

# The other workloads: inserts (stock 10-12, wtsmgr 30-32 TPS) and the
# read-only control (stock 10-12, wtsmgr 11-13: no regression; on the
# cloud volume wtsmgr 5-7: a regression).
W=$T/workloads
cp -a "$C" "$W"
rm -f "$W"/*.csv "$W"/*.png "$W/results.md"
sed -i 's/BENCH_REPEATS=3/BENCH_REPEATS=3 BENCH_WORKLOADS=tpcb,insert,select/' "$W/machine.txt"
for k in 1 2 3; do
	for c in stock unsafe; do
		gen "$W/raw/pgbench-insert/$c/r$k" $((9 + k)) flat 1000000 100 900000 20000
		gen "$W/raw/pgbench-select/$c/r$k" $((9 + k)) flat 0 0 0 0
		gen "$W/raw/pgbench-select-cloud/$c/r$k" $((9 + k)) flat 0 0 0 0
	done
	gen "$W/raw/pgbench-insert/wtsmgr/r$k" $((29 + k)) flat 100000 0 0 10000
	gen "$W/raw/pgbench-select/wtsmgr/r$k" $((10 + k)) flat 0 0 0 0
	gen "$W/raw/pgbench-select-cloud/wtsmgr/r$k" $((4 + k)) flat 0 0 0 0
done
out=$(python3 "$REPO/bench/report.py" "$W" 2>&1) && ok "report.py runs with three workloads" ||
	notok "report.py runs with three workloads" "$out"
check "insert workload: its own summary (wtsmgr/stock)" 2.82 \
	"$(python3 - "$W/summary-insert.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
print(rows[1][rows[0].index("wtsmgr/stock")])
PY
)"
grep -q '^| WAL bytes per transaction (LSN) | 0 | 0 | 0 | n/a | n/a | n/a |' "$W/results.md" &&
	ok "no ratio against a zero (read-only WAL)" ||
	notok "no ratio against a zero (read-only WAL)" "$(grep '^| WAL bytes per transaction' "$W/results.md")"
grep -q '^## Random-key B-tree inserts (CPU-bound under TCG)' "$W/results.md" &&
	ok "insert workload: its section" || notok "insert workload: its section"
grep -q '^Control: TPS wtsmgr/stock 1.09, \*\*no regression\*\* (the ranges overlap)' "$W/results.md" &&
	ok "read-only control: no regression" || notok "read-only control: no regression" "$(grep Control "$W/results.md")"
grep -q '^Control: TPS wtsmgr/stock 0.55, \*\*a regression\*\*' "$W/results.md" &&
	ok "read-only control on the cloud volume: a regression shown" ||
	notok "read-only control on the cloud volume: a regression shown" "$(grep Control "$W/results.md")"
grep -q '^## Read-only control (pgbench -S) on the modelled cloud volume' "$W/results.md" &&
	ok "read-only control: cloud section" || notok "read-only control: cloud section"
for f in tps-insert.png tps-select.png tps-select-cloud.png runs-insert.csv; do
	[ -s "$W/$f" ] && ok "$f written" || notok "$f written"
done

# The kernel benchmark (raw/kernel/results.txt of bench/guest/kernel.sh):
# three rounds of known figures.
#   xfs qd32: wt 100/110/120 IOPS, direct 1000/1100/1200: 0.10, differs
#   ext4 qd32: wt 500/600/700, direct 550/650/750: 0.92, overlap
#   xfs atomic: 200/210/220 against 400/420/440: 0.50; ext4-bigalloc:
#     O_DIRECT + RWF_ATOMIC refused (unsupported)
#   large: 8 MiB writes, wt 10 IOPS (80 MiB/s), direct 20 (160 MiB/s);
#     wt 5000 µs a write, 4500 of them on the CPU; direct 250, 100
#   qd1: 1000 writes a run, wt 50 ticks of busy CPU at 100 Hz (500 µs per
#     write), direct 40 (400 µs); the process's CPU (ru_us) wt 150 µs a
#     write, direct 100 (1.50), plain buffered 50; latency wt 300 µs,
#     direct 250: 150 µs off the CPU each; wt 200 IOPS, direct 250
#     (ext4/xfs 1.00)
#   reader p99: no writer 10/11/12 µs, write-through writer 100/110/120: 10.00
#   dsync: wt 100 writes, 100 requests, 100 flushes; direct 100, 100, 0
#   folio: xfs 64 KiB folios: stock 4096 bytes per write, 2 MiB: 65536
#     (16.00x); write-through 4096
#   u1k: buffered 2.5 µs, wt 300 µs; QD1 O_DIRECT 250 µs a write: 297.5 > 250
K=$T/kernel
mkdir -p "$K/raw/kernel"
printf 'date=2026-01-01 00:00:00 UTC\ncommand=make bench BENCH=kernel\ncommit=abc1234\naccel=tcg\nqemu_cpu=max,-fsrm,-erms\nkernel_settings=BENCH_KERNEL_REPEATS=3 BENCH_KERNEL_SECONDS=5\n' > "$K/machine.txt"
printf 'kernel=7.3.4-test\nwrite_cache=write_back\nfua=1\natomic_write_unit_min_bytes=4096\natomic_write_unit_max_bytes=65536\nncpu=2\nclocksource=tsc\n' \
	> "$K/raw/kernel/device.txt"
kl() {	# kl REP FS TEST MODE IOPS [KEY=VALUE...]: one run of 1000 writes
	local rep=$1 fs=$2 test=$3 mode=$4 iops=$5
	shift 5
	echo "rep=$rep fs=$fs test=$test mode=$mode qd=1 threads=1 bs=4096 status=ok writes=1000 seconds=5.000 iops=$iops us_per_write=250.0 cpu_busy=10 cpu_sys=5 cpu_hz=100 ncpu=2 ru_us=1 nvcsw=1000 nivcsw=0 dev_write_req=1000 dev_write_sectors=8000 dev_flush=0 $*"
}
for k in 1 2 3; do
	{
		kl $k xfs qd32 wt $((90 + 10 * k)) | sed 's/ru_us=1 /ru_us=4900000 /'
		kl $k xfs qd32 direct $((900 + 100 * k)) | sed 's/ru_us=1 /ru_us=2000000 /'
		kl $k xfs afterwt wt 100
		kl $k xfs afterwt direct $((450 + 50 * k)) | sed 's/cpu_busy=10 /cpu_busy=20 /; s/ru_us=1 /ru_us=4000000 /'
		kl $k ext4 qd32 wt $((400 + 100 * k))
		kl $k ext4 qd32 direct $((450 + 100 * k))
		kl $k xfs atomic wt+atomic $((190 + 10 * k))
		kl $k xfs atomic direct+atomic $((380 + 20 * k))
		kl $k ext4-bigalloc atomic wt+atomic 300
		echo "rep=$k fs=ext4-bigalloc test=atomic mode=direct+atomic status=unsupported (Invalid argument) dev_write_req=0 dev_write_sectors=0 dev_flush=0"
		for fs in xfs ext4; do
			kl $k $fs threads4 wt 300
			kl $k $fs threads4 direct 600
			kl $k $fs large wt 10 | sed 's/ bs=4096 / bs=8388608 /; s/us_per_write=250.0 /us_per_write=5000.0 /; s/ru_us=1 /ru_us=4500000 /'
			kl $k $fs large direct 20 | sed 's/ bs=4096 / bs=8388608 /; s/ru_us=1 /ru_us=100000 /'
			kl $k $fs qd1 wt 200 | sed 's/cpu_busy=10 /cpu_busy=50 /; s/us_per_write=250.0 /us_per_write=300.0 /; s/ru_us=1 /ru_us=150000 /'
			kl $k $fs qd1 direct 250 | sed 's/cpu_busy=10 /cpu_busy=40 /; s/ru_us=1 /ru_us=100000 /'
			kl $k $fs qd1 buffered 20000 | sed 's/ru_us=1 /ru_us=50000 /'
			kl $k $fs reader none 0 "reads=100 read_p50_us=1.00 read_p99_us=$((9 + k)).00 read_p999_us=20.00 read_max_us=50"
			kl $k $fs reader wt 200 "reads=100 read_p50_us=2.00 read_p99_us=$((90 + 10 * k)).00 read_p999_us=400.00 read_max_us=500"
			kl $k $fs dsync wt+dsync 100 | sed 's/writes=1000 /writes=100 /; s/dev_write_req=1000 dev_write_sectors=8000 dev_flush=0/dev_write_req=100 dev_write_sectors=800 dev_flush=100/'
			kl $k $fs dsync direct+dsync 100 | sed 's/writes=1000 /writes=100 /; s/dev_write_req=1000 dev_write_sectors=8000/dev_write_req=100 dev_write_sectors=800/'
			kl $k $fs dsync buffered+dsync 100
			for tk in 64 2048; do
				sectors=$([ $fs = xfs ] && [ $tk = 2048 ] && echo 128000 || echo 8000)
				kl $k $fs folio buffered+dsync 100 "folio_target_kib=$tk folios_before=$tk:100.0" | sed "s/dev_write_sectors=8000/dev_write_sectors=$sectors/"
				echo "rep=$k fs=$fs test=folio-after mode=buffered+dsync folio_target_kib=$tk folios_after=$tk:90.0,4:10.0"
				kl $k $fs folio wt+dsync 100 "folio_target_kib=$tk folios_before=$tk:100.0"
			done
			kl $k $fs u1k buffered 400000 | sed 's/us_per_write=250.0/us_per_write=2.5/'
			kl $k $fs u1k wt 3333 | sed 's/us_per_write=250.0/us_per_write=300.0/'
		done
	} >> "$K/raw/kernel/results.txt"
done
out=$(python3 "$REPO/bench/report.py" "$K" 2>&1) && ok "report.py runs on the kernel benchmark" ||
	notok "report.py runs on the kernel benchmark" "$out"
kmd() {	# kmd DESCRIPTION FIXED-STRING: a line of results.md
	grep -qF -- "$2" "$K/results.md" && ok "$1" || notok "$1" "no line with: $2"
}
kmd "kernel: QD32 ratio of the medians, ranges apart" \
	'| io_uring QD32, one file, 4 KiB: IOPS | xfs | 110 (100-120) | O_DIRECT: 1,100 (1,000-1,200) | 0.10 (**differs**) | >= 0.8 |'
kmd "kernel: overlapping ranges are no difference" \
	'| io_uring QD32, one file, 4 KiB: IOPS | ext4 | 600 (500-700) | O_DIRECT: 650 (550-750) | 0.92 (overlap) | >= 0.8 |'
kmd "kernel: atomic rows on xfs" \
	'| io_uring QD32, one file, 16 KiB RWF_ATOMIC: IOPS | xfs | 210 (200-220) | O_DIRECT + RWF_ATOMIC: 420 (400-440) | 0.50 (**differs**) | >= 0.8 |'
kmd "kernel: a refused path is unsupported, with no ratio" \
	'| ext4 (bigalloc 16 KiB) | 300 | O_DIRECT + RWF_ATOMIC: unsupported (Invalid argument) | n/a | >= 0.8 |'
kmd "kernel: 4 threads, identical runs: one value, ranges apart" \
	'| 4 threads, synchronous pwritev2, one file: IOPS | xfs | 300 | O_DIRECT: 600 | 0.50 (**differs**) | >= 0.8 |'
kmd "kernel: 8 MiB writes in MiB/s (IOPS x bs)" \
	'| 8 MiB synchronous writes (write-through: 8 pieces of 1 MiB in turn): MiB/s | xfs | 80 | O_DIRECT: 160 | 0.50 (**differs**) |  |'
kmd "kernel: CPU per write = the process's CPU (ru_us) / writes" \
	'| CPU per write, QD1 (the writing process'"'"'s CPU µs) | xfs | 150.0 | O_DIRECT: 100.0 | 1.50 (**differs**) | <= 1.2 |'
kmd "kernel: where the CPU goes: copy + O_DIRECT against write-through" \
	'| xfs | 50.0 | 100.0 | 150.0 | 150.0 | 1.00 | 0.0 |'
kmd "kernel: QD1 latency, wt - direct" '| xfs | 4 KiB, QD1 | latency | 300.0 | 250.0 | +50.0 |'
kmd "kernel: QD1 the writer's CPU, wt - direct" '| xfs | 4 KiB, QD1 | the writer'"'"'s CPU | 150.0 | 100.0 | +50.0 |'
kmd "kernel: QD1 off the CPU = latency - CPU" '| ext4 | 4 KiB, QD1 | off the CPU (latency - CPU) | 150.0 | 150.0 | +0.0 |'
kmd "kernel: QD1 sleeps per write, no difference column" '| xfs | 4 KiB, QD1 | sleeps (voluntary context switches) per write | 1.00 | 1.00 |  |'
kmd "kernel: 8 MiB writes off the CPU" '| xfs | 8 MiB | off the CPU (latency - CPU) | 500.0 | 150.0 | +350.0 |'
kmd "kernel: the reader's p99 with a writer against none" \
	'| xfs | 110.0 (100.0-120.0) | no writer: 11.0 (10.0-12.0) | 10.00 (**differs**) | <= 2 |'
kmd "kernel: the reader's p99.9, no goal" \
	'| buffered reader p99.9 latency (µs): with a QD1 write-through writer / no writer | ext4 | 400.0 | no writer: 20.0 | 20.00 (**differs**) |  |'
kmd "kernel: the guest's online CPUs" '2 CPUs online in the guest'
kmd "kernel: the guest's clocksource" 'Guest clocksource: `tsc`.'
grep -q "kept time with" "$K/results.md" && notok "kernel: no clocksource warning with tsc" ||
	ok "kernel: no clocksource warning with tsc"
kmd "kernel: the QEMU CPU model in the machine line" 'with **TCG** (CPU model `max,-fsrm,-erms`), '
kmd "kernel: the submitting thread's busy share and CPU per write, the IOPS ratio they predict" \
	'| xfs | 4 KiB | 0.98 | 4,900.0 | 0.40 | 2,000.0 | 0.41 | 0.10 |'
grep -qF '| ext4 | 4 KiB | 0.00 |' "$K/results.md" && ok "kernel: the submitting thread's row from ru_us=1" ||
	notok "kernel: the submitting thread's row from ru_us=1" "$(grep -F '| ext4 | 4 KiB |' "$K/results.md")"
kmd "kernel: O_DIRECT after write-through against fresh, IOPS" \
	'| xfs | IOPS | 550 (500-600) | 1,100 (1,000-1,200) | 0.50 (**differs**) |'
kmd "kernel: O_DIRECT after write-through against fresh, CPU per write" \
	'| xfs | the process'"'"'s CPU µs per write | 4,000.0 | 2,000.0 | 2.00 (**differs**) |'
grep -qF '| ext4 | IOPS |' "$K/results.md" && notok "kernel: no after-write-through row without its runs" ||
	ok "kernel: no after-write-through row without its runs"
kmd "kernel: RWF_DSYNC requests and flushes per write" \
	'| RWF_DSYNC overwrite, QD1, volatile write cache: device write requests / flushes per write | xfs | 1.00 / 1.00 | O_DIRECT + RWF_DSYNC: 1.00 / 0.00 | | 1 (FUA) / 0 |'
kmd "kernel: the device's write cache is reported" 'Device: write cache **write back**'
grep -q "not 'write back'" "$K/results.md" && notok "kernel: no write-cache warning with write back" ||
	ok "kernel: no write-cache warning with write back"
kmd "kernel: folios held before and after, bytes per write, x of 4096" \
	'| xfs | 2 MiB | 2 MiB 100.0% / 2 MiB 90.0%, 4 KiB 10.0% | 65,536 | 4,096 | 16.00 | 1.00 | 1.00 |'
kmd "kernel: 64 KiB folios" '| ext4 | 64 KiB | 64 KiB 100.0% / 64 KiB 90.0%, 4 KiB 10.0% | 4,096 | 4,096 | 1.00 | 1.00 | 1.00 |'
kmd "kernel: 1 KiB overwrites against the device round trip" \
	'| xfs | 2.50 | 300.00 | 297.50 | 250.0 | **no** |'
kmd "kernel: ext4 / xfs for write-through" \
	'| write-through | io_uring QD32 | 600 (500-700) | 110 (100-120) | 5.45 (**differs**) | >= 0.9 |'
kmd "kernel: ext4 / xfs for O_DIRECT at QD1 (no goal)" '| O_DIRECT | QD1 | 250 | 250 | 1.00 (overlap) |  |'
kmd "kernel: 3 rounds, chance note" 'With 3 runs a side, two configurations that do not differ at all still get ranges apart by chance once in 10 comparisons.'
check "kernel.csv: one line per run (folio-after lines apart) and a header" \
	$(( 1 + $(grep -vc 'test=folio-after' "$K/raw/kernel/results.txt") )) "$(wc -l < "$K/kernel.csv")"
check "kernel.csv: CPU µs per write of a run" 500.00 \
	"$(awk -F, '$2 == "xfs" && $3 == "qd1" && $4 == "wt" {print $13; exit}' "$K/kernel.csv")"
check "kernel-summary.csv: the QD32 ratio and its mark" "0.1000,differs" \
	"$(python3 - "$K/kernel-summary.csv" <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["table"] == "benchmarks" and r["fs"] == "xfs" and r["figure"].startswith("io_uring QD32, one file, 4 KiB"):
        print(r["ratio"] + "," + r["difference"])
PY
)"
[ -s "$K/kernel.md" ] && grep -q '^## Kernel write paths (issue 11)' "$K/kernel.md" && grep -q '^Command: `make bench BENCH=kernel`' "$K/kernel.md" &&
	ok "kernel.md: the command and the kernel section alone" || notok "kernel.md: the command and the kernel section alone"
grep -q '^## .*pgbench\|^## WAL segment' "$K/results.md" && notok "kernel only: no other sections" ||
	ok "kernel only: no other sections"
# A run that failed (wbench exit 2) is shown as failed, not as a figure.
K2=$T/kernel-failed
cp -a "$K" "$K2"
sed -i '/fs=ext4 test=threads4 mode=wt /c\rep=1 fs=ext4 test=threads4 mode=wt status=failed (exit 2) dev_write_req=0 dev_write_sectors=0 dev_flush=0' "$K2/raw/kernel/results.txt"
python3 "$REPO/bench/report.py" "$K2" >/dev/null 2>&1
grep -qF '| 4 threads, synchronous pwritev2, one file: IOPS | ext4 | failed (exit 2) | O_DIRECT: 600 | n/a |' "$K2/results.md" &&
	ok "kernel: a failed path says failed" || notok "kernel: a failed path says failed" "$(grep '4 threads.*ext4' "$K2/results.md")"
# A guest that kept time with jiffies is called out.
K3=$T/kernel-jiffies
cp -a "$K" "$K3"
sed -i 's/^clocksource=.*/clocksource=refined-jiffies/' "$K3/raw/kernel/device.txt"
python3 "$REPO/bench/report.py" "$K3" >/dev/null 2>&1
grep -qF '**The guest kept time with `refined-jiffies`**' "$K3/results.md" &&
	ok "kernel: a jiffies clocksource is called out" || notok "kernel: a jiffies clocksource is called out"
# Without a volatile write cache the report says the flush figures mean nothing.
sed -i 's/^write_cache=.*/write_cache=write_through/' "$K/raw/kernel/device.txt"
python3 "$REPO/bench/report.py" "$K" >/dev/null 2>&1
kmd "kernel: a write-through device cache is called out" "**The device's write cache was 'write through', not 'write back'**"

# The checkpoint benchmark (raw/checkpoint/results.txt of
# bench/guest/checkpoint.sh): three rounds; stock 1000, 1100, 1200 ms,
# sync 4000, 4400, 4800, async 1500, 1600, 1700: medians 1100, 4400,
# 1600; async / stock 1.45 (ranges apart), sync / stock 4.00, async /
# sync 0.36.
CK=$T/checkpoint
mkdir -p "$CK/raw/checkpoint"
printf 'date=2026-01-01 00:00:00 UTC\ncommand=make bench BENCH=checkpoint\naccel=tcg\n' > "$CK/machine.txt"
for k in 1 2 3; do
	echo "config=stock round=$k ms=$((900 + 100 * k)) dirty=100 buffers=100 write_s=0.5 sync_s=0.4 async_writes=0 async_refused=0 async_peak=0 dev_write_req=4 dev_write_sectors=1600 dev_flush=1 ckpt_cpu_ms=10 busy_cpu_ms=20"
	echo "config=sync round=$k ms=$((3600 + 400 * k)) dirty=100 buffers=100 write_s=4.0 sync_s=0.0 async_writes=0 async_refused=0 async_peak=0"
	echo "config=async round=$k ms=$((1400 + 100 * k)) dirty=100 buffers=100 write_s=1.5 sync_s=0.0 async_writes=$((95 + k)) async_refused=$((5 - k)) async_peak=32"
done > "$CK/raw/checkpoint/results.txt"
# The client backends' writes: 100 a round; stock 2, 3, 4 ms (20, 30, 40
# us a write), background 9, 10, 11 ms (90-110), all 4.5, 5, 6 ms
# (45-60): background / stock 3.33 and all / stock 1.67, ranges apart.
for k in 1 2 3; do
	echo "config=backend-stock round=$k ms=500 writes=100 write_ms=$((k + 1)) async_writes=0 async_refused=0"
	echo "config=backend-background round=$k ms=900 writes=100 write_ms=$((k + 8)) async_writes=0 async_refused=0"
done >> "$CK/raw/checkpoint/results.txt"
for w in 4.5 5 6; do
	echo "config=backend-all round=1 ms=700 writes=100 write_ms=$w async_writes=90 async_refused=10"
done >> "$CK/raw/checkpoint/results.txt"
echo "config=warmup round=warmup ms=9000 dirty=100 buffers=100 write_s=8.9 sync_s=0.0 async_writes=0 async_refused=0 async_peak=0 dev_write_req=100 dev_write_sectors=1600 dev_flush=0 ckpt_cpu_ms=50 busy_cpu_ms=60" \
	>> "$CK/raw/checkpoint/results.txt"
out=$(python3 "$REPO/bench/report.py" "$CK" 2>&1) && ok "report.py runs on a checkpoint-only run" ||
	notok "report.py runs on a checkpoint-only run" "$out"
row() { grep -F "| $1 |" "$CK/results.md" | head -n 1; }
check "checkpoint: stock median and range" "1,100 (1,000-1,200)" \
	"$(row 'stock (buffered writes, then fsync)' | awk -F' [|] ' '{print $2}')"
check "checkpoint: asynchronous writes, median and range" "97 (96-98)" \
	"$(row 'wtsmgr, asynchronous atomic writes' | awk -F' [|] ' '{print $6}')"
check "checkpoint: async / stock ratio, ranges apart" "1.45 | differs" \
	"$(row 'async / stock' | awk -F' [|] ' '{print $2 " | " $3}')"
check "checkpoint: sync / stock ratio" "4.00" "$(row 'sync / stock' | awk -F' [|] ' '{print $2}')"
check "checkpoint: async / sync ratio" "0.36" "$(row 'async / sync' | awk -F' [|] ' '{print $2}')"
check "checkpoint: CSV has a line per checkpoint and backend run" 20 "$(wc -l < "$CK/checkpoint.csv")"
check "backend writes: mean latency of stock, median and range" "30.0 (20.0-40.0)" \
	"$(row 'stock (buffered writes)' | awk -F' [|] ' '{print $2}')"
check "backend writes: asynchronous and refused writes of all" "90 | 10" \
	"$(row 'wtsmgr, async_writes = all (backends submit asynchronously)' | awk -F' [|] ' '{print $4 " | " $5}')"
check "backend writes: background / stock, ranges apart" "3.33 | differs | <= 1.5 |" \
	"$(row 'background / stock' | awk -F' [|] ' '{print $2 " | " $3 " | " $4}')"
check "backend writes: all / stock" "1.67 | differs" \
	"$(row 'all / stock' | awk -F' [|] ' '{print $2 " | " $3}')"
grep -q "took 9,000 ms for 100 buffers (600.0 µs of guest CPU per buffer)" "$CK/results.md" &&
	ok "checkpoint: the warm-up is reported apart" || notok "checkpoint: the warm-up is reported apart"
check "checkpoint: the warm-up is not in the stock row" "1,100 (1,000-1,200)" \
	"$(row 'stock (buffered writes, then fsync)' | awk -F' [|] ' '{print $2}')"
# stock: 4 requests of 1600 sectors for 100 buffers: 0.04 a buffer, 200
# KiB each; 10 ms of checkpointer CPU: 100 us a buffer, guest 200
check "checkpoint: device requests per buffer" "0.04" \
	"$(grep -F '| stock (buffered writes, then fsync) |' "$CK/results.md" | sed -n 2p | awk -F' [|] ' '{print $2}')"
check "checkpoint: KiB per request, CPU per buffer" "200.0 | 100.0 | 200.0 |" \
	"$(grep -F '| stock (buffered writes, then fsync) |' "$CK/results.md" | sed -n 2p | awk -F' [|] ' '{print $3 " | " $4 " | " $5}')"

# bench/publish.sh: a kernel-only run replaces only the kernel files and
# the README's kernel part; a pgbench run then leaves those alone.
P=$T/publish
mkdir -p "$P/latest"
echo "old pgbench report" > "$P/latest/results.md"
echo "old,summary" > "$P/latest/summary.csv"
printf '%s\n' "# Title" "<!-- bench:latest:begin -->" "old pgbench table" "<!-- bench:latest:end -->" \
	"### Kernel write paths (issue 11)" "<!-- bench:kernel:begin -->" "old kernel table" "<!-- bench:kernel:end -->" "tail" > "$P/README.md"
out=$(BENCH_LATEST="$P/latest" BENCH_README="$P/README.md" "$REPO/bench/publish.sh" "$K" 2>&1) &&
	ok "publish.sh publishes a kernel-only run" || notok "publish.sh publishes a kernel-only run" "$out"
check "publish (kernel): the pgbench report is kept" "old pgbench report" "$(cat "$P/latest/results.md")"
check "publish (kernel): the pgbench CSV is kept" "old,summary" "$(cat "$P/latest/summary.csv")"
for f in kernel.md kernel.csv kernel-summary.csv kernel-machine.txt; do
	[ -s "$P/latest/$f" ] && ok "publish (kernel): $f" || notok "publish (kernel): $f"
done
grep -qx 'old pgbench table' "$P/README.md" && ok "publish (kernel): the README's pgbench part is kept" ||
	notok "publish (kernel): the README's pgbench part is kept"
grep -q 'old kernel table' "$P/README.md" && notok "publish (kernel): the README's kernel part is replaced" ||
	ok "publish (kernel): the README's kernel part is replaced"
check "publish (kernel): its headings under the README's subsection" "#### Benchmarks" \
	"$(sed -n '/bench:kernel:begin/,/bench:kernel:end/p' "$P/README.md" | grep -m1 '^#')"
check "publish (kernel): the table lands between the markers" 1 \
	"$(sed -n '/bench:kernel:begin/,/bench:kernel:end/p' "$P/README.md" | grep -c '^| io_uring QD32, one file, 4 KiB: IOPS | xfs |')"
out=$(BENCH_LATEST="$P/latest" BENCH_README="$P/README.md" "$REPO/bench/publish.sh" "$C2" 2>&1) &&
	ok "publish.sh publishes a pgbench run" || notok "publish.sh publishes a pgbench run" "$out"
[ -s "$P/latest/kernel.md" ] && [ -s "$P/latest/kernel-summary.csv" ] &&
	ok "publish (pgbench): the kernel files are kept" || notok "publish (pgbench): the kernel files are kept"
grep -q '^| io_uring QD32, one file, 4 KiB: IOPS | xfs |' "$P/README.md" &&
	ok "publish (pgbench): the README's kernel part is kept" || notok "publish (pgbench): the README's kernel part is kept"
grep -q '^### wtsmgr benchmark' "$P/README.md" && ok "publish (pgbench): its report in the README" ||
	notok "publish (pgbench): its report in the README"
check "publish (pgbench): its summary.csv replaces the old one" 1 "$(grep -c 'TPS (pgbench' "$P/latest/summary.csv")"

# A run of the other workloads only (no tpcb, so no summary.csv): its
# report goes between its own markers, as workloads.md, and the pgbench
# and kernel files stay.
W2=$T/workloads-only
cp -a "$W" "$W2"
rm -rf "$W2"/*.csv "$W2"/*.png "$W2/results.md" "$W2/raw/pgbench" "$W2/raw/pgbench-cloud"
sed -i 's/BENCH_WORKLOADS=tpcb,insert,select/BENCH_WORKLOADS=insert,select/' "$W2/machine.txt"
out=$(python3 "$REPO/bench/report.py" "$W2" 2>&1) && [ ! -e "$W2/summary.csv" ] && [ -s "$W2/summary-insert.csv" ] &&
	ok "report.py runs with the other workloads only" || notok "report.py runs with the other workloads only" "$out"
printf '%s\n' "<!-- bench:workloads:begin -->" "old workloads table" "<!-- bench:workloads:end -->" >> "$P/README.md"
out=$(BENCH_LATEST="$P/latest" BENCH_README="$P/README.md" "$REPO/bench/publish.sh" "$W2" 2>&1) &&
	ok "publish.sh publishes a run of the other workloads" || notok "publish.sh publishes a run of the other workloads" "$out"
check "publish (workloads): its report in the README, between its markers" 1 \
	"$(sed -n '/bench:workloads:begin/,/bench:workloads:end/p' "$P/README.md" | grep -c '^#### Random-key B-tree inserts')"
grep -q 'old workloads table' "$P/README.md" && notok "publish (workloads): the old table is replaced" ||
	ok "publish (workloads): the old table is replaced"
grep -q '^### wtsmgr benchmark' "$P/README.md" && [ -s "$P/latest/kernel.md" ] &&
	check "publish (workloads): the pgbench report is kept" 1 "$(grep -c 'TPS (pgbench' "$P/latest/summary.csv")" ||
	notok "publish (workloads): the pgbench and kernel parts are kept"
for f in workloads.md workloads-machine.txt summary-insert.csv tps-insert.png; do
	[ -s "$P/latest/$f" ] && ok "publish (workloads): $f" || notok "publish (workloads): $f"
done

# The checkpoint benchmark alone: its section goes between its own
# markers; then a pgbench run that has checkpoint results too leaves
# them out of its "bench:latest" part.
printf '%s\n' "<!-- bench:checkpoint:begin -->" "old checkpoint table" "<!-- bench:checkpoint:end -->" >> "$P/README.md"
out=$(BENCH_LATEST="$P/latest" BENCH_README="$P/README.md" "$REPO/bench/publish.sh" "$CK" 2>&1) &&
	ok "publish.sh publishes a checkpoint-only run" || notok "publish.sh publishes a checkpoint-only run" "$out"
grep -q 'old checkpoint table' "$P/README.md" && notok "publish (checkpoint): the old table is replaced" ||
	ok "publish (checkpoint): the old table is replaced"
check "publish (checkpoint): its ratios between its markers" 1 \
	"$(sed -n '/bench:checkpoint:begin/,/bench:checkpoint:end/p' "$P/README.md" | grep -c '^| async / stock | 1.45 |')"
check "publish (checkpoint): the backend write table with it" 1 \
	"$(sed -n '/bench:checkpoint:begin/,/bench:checkpoint:end/p' "$P/README.md" | grep -c '^| background / stock | 3.33 |')"
for f in checkpoint.md checkpoint.csv checkpoint-machine.txt; do
	[ -s "$P/latest/$f" ] && ok "publish (checkpoint): $f" || notok "publish (checkpoint): $f"
done
grep -q '^### wtsmgr benchmark' "$P/README.md" && ok "publish (checkpoint): the pgbench part is kept" ||
	notok "publish (checkpoint): the pgbench part is kept"
C3=$T/pgbench-with-checkpoint
cp -a "$C2" "$C3"
cp -a "$CK/raw/checkpoint" "$C3/raw/"
out=$(python3 "$REPO/bench/report.py" "$C3" 2>&1) && grep -q 'CHECKPOINT time' "$C3/results.md" &&
	ok "report.py: a pgbench run with checkpoint results has the section" ||
	notok "report.py: a pgbench run with checkpoint results has the section" "$out"
out=$(BENCH_LATEST="$P/latest" BENCH_README="$P/README.md" "$REPO/bench/publish.sh" "$C3" 2>&1) &&
	ok "publish.sh publishes a pgbench run with checkpoint results" ||
	notok "publish.sh publishes a pgbench run with checkpoint results" "$out"
check "publish (pgbench + checkpoint): no checkpoint section in the bench:latest part" 0 \
	"$(sed -n '/bench:latest:begin/,/bench:latest:end/p' "$P/README.md" | grep -c 'CHECKPOINT time')"
check "publish (pgbench + checkpoint): the section between its own markers" 1 \
	"$(sed -n '/bench:checkpoint:begin/,/bench:checkpoint:end/p' "$P/README.md" | grep -c '^| async / stock | 1.45 |')"
grep -q '^### wtsmgr benchmark' "$P/README.md" && ok "publish (pgbench + checkpoint): its report in the README" ||
	notok "publish (pgbench + checkpoint): its report in the README"

# The writeback benchmark (raw/writeback/results.txt of
# bench/guest/writeback.sh): 1 GiB a run; xfs, many files: 1 context
# 2.0, 2.2, 2.4 s (512.0, 465.5, 426.7 MiB/s), 2 contexts 1.0, 1.1, 1.2 s
# (1,024.0, 930.9, 853.3): 2 / 1 = 2.00, ranges apart; one file: 1.0 s
# with 1 context, 0.9, 1.0, 1.1 with 4: 1.00, overlapping; the warm-up
# run (100 s) and one run that timed out are left out, the latter said.
WB=$T/writeback
mkdir -p "$WB/raw/writeback"
printf 'date=2026-01-01 00:00:00 UTC\ncommand=make bench BENCH=writeback\naccel=tcg\n' > "$WB/machine.txt"
for r in 1 2 3; do
	s1=$(echo "2.0 2.2 2.4" | cut -d' ' -f$r); s2=$(echo "1.0 1.1 1.2" | cut -d' ' -f$r)
	s4=$(echo "1.0 0.9 1.1" | cut -d' ' -f$r)
	echo "rep=$r fs=xfs shape=many contexts=1 bytes=1073741824 secs=$s1 busy_cpus=0.90 cpu_s=2.0 kworker_cpu_s=1.5 kworker_max_share=0.95 ncpu=2 dev_write_req=100 dev_write_sectors=2097152 status=ok"
	echo "rep=$r fs=xfs shape=many contexts=2 bytes=1073741824 secs=$s2 busy_cpus=1.80 cpu_s=2.0 kworker_cpu_s=1.8 kworker_max_share=0.60 dev_write_req=100 dev_write_sectors=2097152 status=ok"
	echo "rep=$r fs=xfs shape=one contexts=1 bytes=1073741824 secs=1.0 busy_cpus=1.00 cpu_s=1.0 kworker_cpu_s=0.9 kworker_max_share=0.90 dev_write_req=100 dev_write_sectors=2097152 status=ok"
	echo "rep=$r fs=xfs shape=one contexts=4 bytes=1073741824 secs=$s4 busy_cpus=1.00 cpu_s=1.0 kworker_cpu_s=0.9 kworker_max_share=0.90 dev_write_req=100 dev_write_sectors=2097152 status=ok"
done > "$WB/raw/writeback/results.txt"
echo "rep=warmup fs=xfs shape=many contexts=1 bytes=1073741824 secs=100.0 busy_cpus=0.1 cpu_s=1 kworker_cpu_s=1 kworker_max_share=0.1 dev_write_req=1 dev_write_sectors=8 status=ok" \
	>> "$WB/raw/writeback/results.txt"
echo "rep=3 fs=xfs shape=many contexts=2 bytes=1073741824 secs=600.000 busy_cpus=0.1 cpu_s=1 kworker_cpu_s=1 kworker_max_share=0.1 dev_write_req=1 dev_write_sectors=8 status=timeout" \
	>> "$WB/raw/writeback/results.txt"
out=$(python3 "$REPO/bench/report.py" "$WB" 2>&1) && ok "report.py runs on a writeback-only run" ||
	notok "report.py runs on a writeback-only run" "$out"
check "writeback: 1 context, many files, MiB/s median and range" "465.5 (426.7-512.0)" \
	"$(grep -F '| xfs | many | 1 |' "$WB/writeback.md" | awk -F' [|] ' '{print $4}')"
check "writeback: 2 contexts, many files (the timed-out run left out)" "930.9 (853.3-1,024.0)" \
	"$(grep -F '| xfs | many | 2 |' "$WB/writeback.md" | awk -F' [|] ' '{print $4}')"
check "writeback: CPU seconds per GiB" "2.00" \
	"$(grep -F '| xfs | many | 1 |' "$WB/writeback.md" | awk -F' [|] ' '{print $7}' | tr -d ' |')"
check "writeback: kernel workers' CPU seconds per GiB" "1.50" \
	"$(grep -F '| xfs | many | 1 |' "$WB/writeback.md" | awk -F' [|] ' '{print $8}' | tr -d ' |')"
check "writeback: the 2 / 1 ratio, ranges apart, against its goal, with the idle-CPU bound (2 / 0.90)" 1 \
	"$(grep -c '^| many: 2 contexts / 1 | xfs | 2.00 | differs | >= 1.6 | 2.22 |' "$WB/writeback.md")"
check "writeback: one file, 4 / 1, overlapping, no bound without ncpu" 1 \
	"$(grep -c '^| one: 4 contexts / 1 | xfs | 1.00 | overlap | no regression | n/a |' "$WB/writeback.md")"
check "writeback: the failed run is said" 1 "$(grep -c '^1 run(s) did not finish' "$WB/writeback.md")"
check "writeback: CSV has a line per run, the warm-up and the failed one too" 15 "$(wc -l < "$WB/writeback.csv")"
printf '%s\n' "<!-- bench:writeback:begin -->" "old writeback table" "<!-- bench:writeback:end -->" >> "$P/README.md"
out=$(BENCH_LATEST="$P/latest" BENCH_README="$P/README.md" "$REPO/bench/publish.sh" "$WB" 2>&1) &&
	ok "publish.sh publishes a writeback-only run" || notok "publish.sh publishes a writeback-only run" "$out"
grep -q 'old writeback table' "$P/README.md" && notok "publish (writeback): the old table is replaced" ||
	ok "publish (writeback): the old table is replaced"
check "publish (writeback): its ratios between its markers" 1 \
	"$(sed -n '/bench:writeback:begin/,/bench:writeback:end/p' "$P/README.md" | grep -c '^| many: 2 contexts / 1 | xfs | 2.00 |')"
for f in writeback.md writeback.csv writeback-machine.txt; do
	[ -s "$P/latest/$f" ] && ok "publish (writeback): $f" || notok "publish (writeback): $f"
done
C4=$T/pgbench-with-writeback
cp -a "$C3" "$C4"
cp -a "$WB/raw/writeback" "$C4/raw/"
out=$(python3 "$REPO/bench/report.py" "$C4" 2>&1) && grep -q 'Parallel writeback (issue 15)' "$C4/results.md" &&
	ok "report.py: a pgbench run with writeback results has the section" ||
	notok "report.py: a pgbench run with writeback results has the section" "$out"
out=$(BENCH_LATEST="$P/latest" BENCH_README="$P/README.md" "$REPO/bench/publish.sh" "$C4" 2>&1) &&
	ok "publish.sh publishes a pgbench run with writeback results" ||
	notok "publish.sh publishes a pgbench run with writeback results" "$out"
check "publish (pgbench + writeback): no writeback section in the bench:latest part" 0 \
	"$(sed -n '/bench:latest:begin/,/bench:latest:end/p' "$P/README.md" | grep -c 'Parallel writeback')"
check "publish (pgbench + writeback): the checkpoint section still between its markers" 1 \
	"$(sed -n '/bench:checkpoint:begin/,/bench:checkpoint:end/p' "$P/README.md" | grep -c '^| async / stock | 1.45 |')"
# ... and one with kernel results too: neither section in bench:latest.
C4=$T/pgbench-with-kernel
cp -a "$C3" "$C4"
cp -a "$K/raw/kernel" "$C4/raw/"
out=$(python3 "$REPO/bench/report.py" "$C4" 2>&1) && [ -s "$C4/kernel.md" ] &&
	ok "report.py: a pgbench run with kernel results writes kernel.md" ||
	notok "report.py: a pgbench run with kernel results writes kernel.md" "$out"
out=$(BENCH_LATEST="$P/latest" BENCH_README="$P/README.md" "$REPO/bench/publish.sh" "$C4" 2>&1) &&
	ok "publish.sh publishes a pgbench run with kernel and checkpoint results" ||
	notok "publish.sh publishes a pgbench run with kernel and checkpoint results" "$out"
check "publish (pgbench + kernel): no kernel section in the bench:latest part" 0 \
	"$(sed -n '/bench:latest:begin/,/bench:latest:end/p' "$P/README.md" | grep -c 'Kernel write paths')"
check "publish (pgbench + kernel): nor a checkpoint section" 0 \
	"$(sed -n '/bench:latest:begin/,/bench:latest:end/p' "$P/README.md" | grep -c 'CHECKPOINT time')"
check "publish (pgbench + kernel): the kernel table between its markers" 1 \
	"$(sed -n '/bench:kernel:begin/,/bench:kernel:end/p' "$P/README.md" | grep -c '^| io_uring QD32, one file, 4 KiB: IOPS | xfs |')"

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
bad "zero repeats" "BENCH_REPEATS must be from 1" BENCH_REPEATS=0
bad "unknown instruction counter" "BENCH_INSN is icount or off" BENCH_INSN=plugin
bad "unknown profile" "unknown profile 'ssd'" BENCH_PROFILES=cpu,ssd
bad "unknown workload" "unknown workload 'tpcc'" BENCH_WORKLOADS=tpcb,tpcc
bad "zero slowdown" "BENCH_CLOUD_SLOWDOWN is 'measured' or a positive number" BENCH_CLOUD_SLOWDOWN=0
bad "slowdown neither measured nor a number" "BENCH_CLOUD_SLOWDOWN is 'measured' or a positive number" BENCH_CLOUD_SLOWDOWN=fast
bad "checkpoint pace not a number" "BENCH_CHECKPOINT_EVERY must be a whole number" BENCH_CHECKPOINT_EVERY=often
bad "kernel repeats zero" "BENCH_KERNEL_REPEATS must be from 1 to 20" BENCH_KERNEL_REPEATS=0
bad "kernel seconds not a number" "BENCH_KERNEL_SECONDS must be a whole number" BENCH_KERNEL_SECONDS=long
bad "checkpoint pace too short" "BENCH_CHECKPOINT_EVERY must be 0 (off) or at least 5" BENCH_CHECKPOINT_EVERY=2
bad "checkpoint table too small" "BENCH_CKPT_MB must be from 8 to 1024" BENCH_CKPT_MB=1
bad "checkpoint rounds not a number" "BENCH_CKPT_ROUNDS must be from 1 to 20" BENCH_CKPT_ROUNDS=many
bad "checkpoint writeback contexts out of range" "BENCH_CKPT_WB_CONTEXTS must be from 1 to 16" BENCH_CKPT_WB_CONTEXTS=17
bad "writeback rounds zero" "BENCH_WB_ROUNDS must be from 1 to 20" BENCH_WB_ROUNDS=0
bad "QEMU CPU model with a space" "is no QEMU CPU model" "BENCH_QEMU_CPU=max -fsrm"
bad "QEMU CPU model under KVM" "applies to TCG only" BENCH_ACCEL=kvm BENCH_QEMU_CPU=max,-erms
# Good values pass every option check: bench.sh then stops at the
# results folder that already holds results, or, not as root, just
# before (the last checks before anything runs).
mkdir -p "$T/done" && touch "$T/done/results.md"
for v in BENCH_CLOUD_SLOWDOWN=12.5 BENCH_CLOUD_SLOWDOWN=measured BENCH_CHECKPOINT_EVERY=0 BENCH_CHECKPOINT_EVERY=11; do
	out=$(env "$v" BENCH_OUT="$T/done" "$REPO/bench/bench.sh" 2>&1) && rc=0 || rc=$?
	[ $rc != 0 ] && echo "$out" | grep -q "already holds results\|must run as root" && ok "$v is accepted" ||
		notok "$v is accepted" "exit $rc: $out"
done
out=$(env BENCH_ACCEL=tcg BENCH_QEMU_CPU=max,-fsrm,-erms BENCH_OUT="$T/done" "$REPO/bench/bench.sh" 2>&1) && rc=0 || rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "already holds results\|must run as root" && ok "BENCH_QEMU_CPU=max,-fsrm,-erms is accepted under TCG" ||
	notok "BENCH_QEMU_CPU=max,-fsrm,-erms is accepted under TCG" "exit $rc: $out"
out=$("$REPO/bench/bench.sh" --scale 5 2>&1) && rc=0 || rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "no arguments" &&
	ok "arguments are refused (settings are variables)" || notok "arguments are refused" "$out"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
