#!/usr/bin/env python3
"""Turn the raw data of one "make bench" run into its report.

Usage: bench/report.py RESULTS_DIR

Reads RESULTS_DIR/raw/ (what the guest wrote: see bench/guest/*.sh) and
RESULTS_DIR/machine.txt, and writes into RESULTS_DIR:
  results.md             the report: tables, settings, machine, plots
  summary.csv            every pgbench figure per configuration, with ratios
  tps_per_second.csv     per-second TPS of every configuration
  checkpoints.csv        checkpoint starts (seconds into the window)
  wal_cumulative.csv     WAL and device bytes since the window's start
  walinit.csv, kernel.csv  the other sub-benchmarks (kernel-summary.csv: every
                         cell of the kernel tables; kernel.md: that section alone)
  tps.png, wal.png       plots (gnuplot)
Only the standard library; gnuplot for the plots.
"""
import bisect
import csv
import glob
import math
import os
import re
import statistics
import subprocess
import sys

ORDER = ["stock", "wtsmgr", "unsafe", "directio"]
LABEL = {
    "stock": "stock",
    "wtsmgr": "wtsmgr",
    "unsafe": "unsafe (FPW off, no protection)",
    "directio": "directio (developer-only)",
}
SECTOR = 512


def read_kv(path):
    """KEY VALUE... lines into a dict (values as strings)."""
    kv = {}
    if not os.path.exists(path):
        return kv
    with open(path) as f:
        for line in f:
            parts = line.split(None, 1)
            if len(parts) == 2:
                kv[parts[0]] = parts[1].strip()
    return kv


def machine(results):
    m = {}
    path = os.path.join(results, "machine.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                m[k] = v
    return m


def percentile(sorted_vals, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_vals:
        return None
    k = max(0, math.ceil(p / 100.0 * len(sorted_vals)) - 1)
    return sorted_vals[k]


def parse_pgbench_logs(d):
    """(completion_time_s, latency_us) of every successful transaction."""
    txs = []
    failed = 0
    for path in glob.glob(os.path.join(d, "pgbench_log.*")):
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) < 6:
                    continue
                if not p[2].isdigit():  # "failed", "skipped"
                    failed += 1
                    continue
                txs.append((int(p[4]) + int(p[5]) / 1e6, int(p[2])))
    txs.sort()
    return txs, failed


def checkpoint_starts(d):
    """Epoch seconds of each 'checkpoint starting' line of the server log."""
    starts = []
    path = os.path.join(d, "postgres.log")
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            for line in f:
                m = re.match(r"^(\d+\.\d+) \[\d+\] LOG:  checkpoint starting: (.*)$", line)
                if m:
                    starts.append((float(m.group(1)), m.group(2).strip()))
    return starts


def waldump_total(d):
    """(records, record_bytes, fpi_bytes, combined_bytes) from pg_waldump --stats."""
    path = os.path.join(d, "waldump.txt")
    if not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"^Total\s+(\d+)\s+(\d+)\s+\[[^]]*\]\s+(\d+)\s+\[[^]]*\]\s+(\d+)", line)
            if m:
                return tuple(int(x) for x in m.groups())
    return None


def insn_marks(results):
    marks = {}
    path = os.path.join(results, "raw", "insn.log")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) == 3 and p[1].isdigit():
                    marks[p[0]] = (int(p[1]), int(p[2]))
    return marks


def run_dirs(base, cfg):
    """The run folders of a configuration: CONFIG/r1, r2, ... (or CONFIG
    itself, from runs before repeats existed), in run order."""
    d = os.path.join(base, cfg)
    if os.path.exists(os.path.join(d, "before.txt")):
        return [(1, d)]
    runs = []
    for p in glob.glob(os.path.join(d, "r*")):
        m = re.match(r"^r(\d+)$", os.path.basename(p))
        if m and os.path.isdir(p):
            runs.append((int(m.group(1)), p))
    return sorted(runs)


def cpu_busy_seconds(before, after):
    """Guest CPU seconds not idle between two snapshots (all CPUs):
    elapsed x CPUs - idle - iowait.  None without the counters."""
    try:
        up0, up1 = float(before["uptime"].split()[0]), float(after["uptime"].split()[0])
        c0 = [int(x) for x in before["cpustat"].split()]
        c1 = [int(x) for x in after["cpustat"].split()]
        ncpu = int(after.get("ncpu", "1"))
    except (KeyError, ValueError, IndexError):
        return None
    idle = (c1[3] - c0[3]) + (c1[4] - c0[4])   # idle, iowait (USER_HZ = 100)
    return max(0.0, (up1 - up0) * ncpu - idle / 100.0)


def analyse_config(results, cfg, duration, marks, d=None, run=1):
    if d is None:
        d = os.path.join(results, "raw", "pgbench", cfg)
    before, after = read_kv(os.path.join(d, "before.txt")), read_kv(os.path.join(d, "after.txt"))
    if not before or not after:
        return None
    txs, failed = parse_pgbench_logs(d)
    if not txs:
        return None
    r = {"cfg": cfg, "run": run}
    t_start = min(t - lat / 1e6 for t, lat in txs)
    secs = int(duration)
    per_sec = [0] * secs
    for t, _ in txs:
        k = int(t - t_start)
        if 0 <= k < secs:
            per_sec[k] += 1
    r["per_sec"] = per_sec
    r["t_start"] = t_start
    n = len(txs)
    r["transactions"] = n
    r["failed"] = failed
    summary = open(os.path.join(d, "pgbench.txt")).read() if os.path.exists(os.path.join(d, "pgbench.txt")) else ""
    m = re.search(r"^tps = ([0-9.]+)", summary, re.M)
    r["tps"] = float(m.group(1)) if m else n / duration
    lats = sorted(lat / 1000.0 for _, lat in txs)
    r["lat_avg"] = sum(lats) / n
    r["lat_p95"] = percentile(lats, 95)
    r["lat_p99"] = percentile(lats, 99)
    mean = statistics.mean(per_sec)
    r["tps_cv"] = statistics.pstdev(per_sec) / mean if mean else None
    r["tps_min_1s"] = min(per_sec)
    r["tps_max_1s"] = max(per_sec)

    wal = int(after["lsn_bytes"]) - int(before["lsn_bytes"])
    r["wal_bytes"] = wal
    r["wal_per_tx"] = wal / n
    r["wal_fpi"] = int(after["wal_fpi"]) - int(before["wal_fpi"])
    r["fpi_per_tx"] = r["wal_fpi"] / n
    r["pgstat_wal_bytes"] = int(after["wal_bytes"]) - int(before["wal_bytes"])
    wd = waldump_total(d)
    if wd:
        r["fpi_bytes"] = wd[2]
        r["fpi_bytes_per_tx"] = wd[2] / n
        r["fpi_share"] = wd[2] / wd[3] if wd[3] else None
        r["waldump_records"] = wd[0]
    ds0 = [int(x) for x in before["devstat"].split()]
    ds1 = [int(x) for x in after["devstat"].split()]
    r["dev_write_req"] = ds1[4] - ds0[4]
    r["dev_write_bytes"] = (ds1[6] - ds0[6]) * SECTOR
    r["dev_flush"] = ds1[15] - ds0[15] if len(ds1) > 15 else None
    r["dev_read_bytes"] = (ds1[2] - ds0[2]) * SECTOR
    r["dev_read_req"] = ds1[0] - ds0[0]
    # What QEMU's block throttling counts: requests and bytes, both ways.
    r["dev_io_per_tx"] = (r["dev_write_req"] + r["dev_read_req"]) / n
    r["dev_io_bytes_per_tx"] = (r["dev_write_bytes"] + r["dev_read_bytes"]) / n
    r["dev_write_req_per_tx"] = r["dev_write_req"] / n
    r["dev_write_bytes_per_tx"] = r["dev_write_bytes"] / n
    r["dev_flush_per_tx"] = r["dev_flush"] / n if r["dev_flush"] is not None else None
    r["ckpt_done"] = int(after["ckpt_done"]) - int(before["ckpt_done"])
    # What the device did per second of the window, both ways: what QEMU's
    # block throttling limits (cloud profile).
    # Over the span between the two snapshots that hold the counters.
    span = duration
    if before.get("time_ms", "").isdigit() and after.get("time_ms", "").isdigit():
        span = max(1e-3, (int(after["time_ms"]) - int(before["time_ms"])) / 1000.0)
    r["dev_iops"] = (r["dev_write_req"] + r["dev_read_req"]) / span
    r["dev_mibs"] = (r["dev_write_bytes"] + r["dev_read_bytes"]) / span / 1048576
    # Relation pages written (pg_stat_io, 8 kB each), by every process.
    # The reading once a checkpoint running at the window's end finished
    # (its pages were dirtied in the window; pg_stat_io has them only then).
    pages_after = after.get("data_page_writes_settled", after.get("data_page_writes"))
    if "data_page_writes" in before and pages_after is not None:
        r["data_page_writes"] = int(pages_after) - int(before["data_page_writes"])
        r["data_pages_per_tx"] = r["data_page_writes"] / n
    # Client backends' mean data write latency (pg_stat_io write_time /
    # writes, track_io_timing): what an eviction costs a backend.  Busy
    # backends report their counts only when they exit: the reading taken
    # once pgbench's backends are gone is the one to use.
    bw_after = after.get("backend_writes_settled", after.get("backend_writes"))
    bt_after = after.get("backend_write_ms_settled", after.get("backend_write_ms"))
    if "backend_writes" in before and "backend_write_ms" in before and bw_after and bt_after:
        bw = int(bw_after) - int(before["backend_writes"])
        if bw > 0:
            r["backend_write_ms"] = (float(bt_after) - float(before["backend_write_ms"])) / bw
    cp = read_kv(os.path.join(d, "copy.txt"))
    if cp.get("copy_ms", "").isdigit():
        r["copy_s"] = int(cp["copy_ms"]) / 1000.0
    if cp.get("throttle_bps", "").isdigit():
        r["throttle"] = (int(cp["throttle_bps"]), int(cp.get("throttle_iops", "0")))

    # Checkpoint cycles: the window starts right after a CHECKPOINT, then
    # one cycle per checkpoint start.  TPS in the first fifth of each
    # complete cycle against the rest of it.
    # The first cycle begins with the CHECKPOINT issued just before the
    # window (a few seconds before its first transaction); only the part
    # of each cycle inside the window is counted.
    t_end = t_start + duration
    all_starts = [t for t, _ in checkpoint_starts(d)]
    starts = [t for t in all_starts if t_start + 1 < t < t_end]
    r["ckpt_starts"] = [t - t_start for t in starts]
    before_window = [t for t in all_starts if t <= t_start + 1]
    bounds = [before_window[-1] if before_window else t_start] + starts
    first_n = first_t = rest_n = rest_t = 0.0
    times = [t for t, _ in txs]
    for a, b in zip(bounds, bounds[1:]):
        cut = a + (b - a) / 5
        lo = max(a, t_start)
        if cut > lo:
            first_n += bisect.bisect_left(times, cut) - bisect.bisect_left(times, lo)
            first_t += cut - lo
        lo = max(cut, t_start)
        rest_n += bisect.bisect_left(times, b) - bisect.bisect_left(times, lo)
        rest_t += b - lo
    r["cycles"] = len(bounds) - 1
    if first_t > 0 and rest_t > 0:
        r["tps_first_fifth"] = first_n / first_t
        r["tps_rest"] = rest_n / rest_t
        r["first_fifth_ratio"] = r["tps_first_fifth"] / r["tps_rest"] if r["tps_rest"] else None

    # Samples: cumulative WAL and device bytes against time.
    r["samples"] = []
    sp = os.path.join(d, "samples.txt")
    if os.path.exists(sp):
        with open(sp) as f:
            rows = [l.split() for l in f if len(l.split()) >= 4]
        if rows:
            w0, s0 = int(rows[0][1]), int(rows[0][3])
            lsn0 = int(before["lsn_bytes"])
            for p in rows:
                r["samples"].append((int(p[0]) / 1000.0 - t_start, int(p[1]) - lsn0,
                                     (int(p[3]) - s0) * SECTOR))

    for k0, k1 in ((f"{cfg}-r{run}-start", f"{cfg}-r{run}-end"), (f"{cfg}-start", f"{cfg}-end")):
        if k0 in marks and k1 in marks:
            r["insns"] = marks[k1][0] - marks[k0][0]
            r["insn_per_tx"] = r["insns"] / n
            break
    r["cpu_busy_s"] = cpu_busy_seconds(before, after)
    c0, c1 = read_kv(os.path.join(d, "cpu-before.txt")), read_kv(os.path.join(d, "cpu-after.txt"))
    if c0 and c1:
        # Right around pgbench: without the snapshots' own psql calls.
        r["cpu_busy_s"] = cpu_busy_seconds(c0, c1)
    ws = read_kv(os.path.join(d, "wtsmgr_stats.txt"))
    if ws.get("atomic_writes", "").isdigit():
        r["wtsmgr_stats"] = {k: int(v) for k, v in ws.items() if v.isdigit()}
        r["atomic_writes_per_tx"] = r["wtsmgr_stats"]["atomic_writes"] / n
    st = os.path.join(d, "wtsmgr_status.txt")
    if os.path.exists(st):
        r["wtsmgr_status"] = open(st).read().splitlines()[0] if os.path.getsize(st) else ""
    return r


def fmt(v, kind):
    if v is None:
        return "n/a"
    if kind == "int":
        return f"{v:,.0f}"
    if kind == "f1":
        return f"{v:,.1f}"
    if kind == "f2":
        return f"{v:,.2f}"
    if kind == "f3":
        return f"{v:.3f}"
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "bytes":
        return f"{v:,.0f}"
    if kind == "mib":
        return f"{v / 1048576:,.1f}"
    return str(v)


# (key, label, format): the rows of the table, in order.  Keys starting
# with "icount_" come from the instruction-count pass.
ROWS = [
    ("tps", "TPS (pgbench, whole window)", "f1"),
    ("tps_cv", "coefficient of variation of per-second TPS", "f3"),
    ("tps_min_1s", "lowest / highest 1-second TPS (over all runs)", "minmax"),
    ("tps_first_fifth", "TPS in the first fifth of checkpoint cycles", "f1"),
    ("tps_rest", "TPS in the rest of the cycles", "f1"),
    ("first_fifth_ratio", "first fifth / rest", "f3"),
    ("lat_avg", "latency average (ms)", "f1"),
    ("lat_p95", "latency p95 (ms)", "f1"),
    ("lat_p99", "latency p99 (ms)", "f1"),
    ("transactions", "transactions", "int"),
    ("wal_per_tx", "WAL bytes per transaction (LSN)", "int"),
    ("wal_bytes", "WAL MiB in the window", "mib"),
    ("fpi_per_tx", "full-page images per transaction (pg_stat_wal)", "f3"),
    ("wal_fpi", "full-page images (pg_stat_wal)", "int"),
    ("fpi_bytes_per_tx", "full-page image bytes per transaction (pg_waldump)", "int"),
    ("fpi_share", "full-page image share of WAL (pg_waldump)", "pct"),
    ("dev_write_bytes_per_tx", "device bytes written per transaction", "int"),
    ("dev_write_req_per_tx", "device write requests per transaction", "f2"),
    ("dev_flush_per_tx", "device cache flushes per transaction", "f2"),
    ("dev_write_bytes", "device MiB written in the window", "mib"),
    ("dev_iops", "device requests per second (read + write)", "f1"),
    ("dev_mibs", "device MiB/s (read + written)", "f2"),
    ("data_pages_per_tx", "data pages written per transaction (pg_stat_io)", "f2"),
    ("backend_write_ms", "client backend data write latency, mean ms (pg_stat_io)", "f3"),
    ("ckpt_done", "checkpoints completed (pg_stat_checkpointer)", "int"),
    ("cycles", "complete checkpoint cycles in the window", "int"),
    ("insn_per_tx", "guest instructions per transaction (plugin)", "int"),
    ("icount_insn_per_tx", "guest instructions per transaction (icount pass)", "int"),
    ("icount_insn_per_dev_write", "guest instructions per device write request (icount pass)", "int"),
    ("icount_insn_per_page", "guest instructions per data page written (icount pass)", "int"),
    ("icount_tps", "TPS in guest time under icount (1 vCPU; model CPU)", "f1"),
    ("atomic_writes_per_tx", "wtsmgr atomic write-through data writes per transaction", "f2"),
]


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def spread(vals):
    """(median, min, max, n) of the values that are not None, or None."""
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return (statistics.median(vals), min(vals), max(vals), len(vals))


def fmt_spread(st, kind):
    """'median (min-max)', or the value alone for one run."""
    if st is None:
        return "n/a"
    med, lo, hi, n = st
    if n == 1 or fmt(lo, kind) == fmt(hi, kind):
        return fmt(med, kind)
    return f"{fmt(med, kind)} ({fmt(lo, kind)}-{fmt(hi, kind)})"


def compare(sa, sb):
    """The ratio of the medians of two spreads and whether it is a
    difference: (ratio or None, 'differs' | 'overlap' | '1 run')."""
    if sa is None or sb is None:
        return None, ""
    rv = ratio(sa[0], sb[0])
    if sa[3] < 2 or sb[3] < 2:
        return rv, "1 run"
    if sa[2] < sb[1] or sb[2] < sa[1]:
        return rv, "differs"
    return rv, "overlap"


def chance_note(n):
    """How often two sets of n runs from the same distribution have
    ranges apart by chance: 2 n! n! / (2n)!."""
    if n < 2:
        return ""
    p = 2 * math.factorial(n) ** 2 / math.factorial(2 * n)
    return (f"With {n} runs a side, two configurations that do not differ at all still get "
            f"ranges apart by chance once in {1 / p:.0f} comparisons. ")


def ratio_pairs(cfgs):
    """The ratio columns: the headline wtsmgr/unsafe first, then each
    configuration against stock."""
    pairs = []
    if "wtsmgr" in cfgs and "unsafe" in cfgs:
        pairs.append(("wtsmgr", "unsafe"))
    if "stock" in cfgs:
        pairs += [(c, "stock") for c in ("wtsmgr", "unsafe", "directio") if c in cfgs]
    return pairs


def icount_figures(results, cfgs, m, sub="pgbench"):
    """Per configuration, the instruction-count pass's figures (one run
    each), and the calibration sentence."""
    base = os.path.join(results, "raw-insn", sub)
    out = {}
    mm = re.search(r"shift=(\d+) duration=(\d+)", m.get("icount", ""))
    if not mm or not os.path.isdir(base):
        return out, ""
    shift, dur = int(mm.group(1)), float(mm.group(2))
    ns_per_insn = float(2 ** shift)
    for c in cfgs:
        for run, d in run_dirs(base, c):
            r = analyse_config(results, c, dur, {}, d, run)
            if not r or r.get("cpu_busy_s") is None:
                continue
            insns = r["cpu_busy_s"] * 1e9 / ns_per_insn
            out.setdefault(c, []).append({
                "icount_insn_per_tx": insns / r["transactions"],
                "icount_insn_per_dev_write": insns / r["dev_write_req"] if r["dev_write_req"] else None,
                "icount_insn_per_page": insns / r["data_page_writes"] if r.get("data_page_writes") else None,
                "icount_tps": r["transactions"] / dur,
            })
    note = ""
    cb = os.path.join(results, "raw-insn", "pgbench")
    b0 = read_kv(os.path.join(cb, "icount-calib-before.txt"))
    b1 = read_kv(os.path.join(cb, "icount-calib-after.txt"))
    loop = read_kv(os.path.join(cb, "icount-calibration.txt")).get("loop_insns")
    busy = cpu_busy_seconds(b0, b1) if b0 and b1 else None
    if loop and busy is not None:
        got = busy * 1e9 / ns_per_insn
        note = (f" Calibration: a loop of {int(loop):,} instructions counted as {got:,.0f} "
                f"({100 * (got / int(loop) - 1):+.1f}%, which includes starting the process; the "
                "guest's CPU counters tick at 10 ms).")
    return out, note


def table(results, cfgs, runs, failed, values, sfx, w):
    """The table of medians and ranges with the ratio columns, its CSV
    (summary{sfx}.csv, runs{sfx}.csv) and the headline sentences."""
    done = [c for c in cfgs if runs[c]]
    nruns = {c: len(runs[c]) for c in done}
    w("Runs per configuration: " + ", ".join(f"{c} {nruns[c]}" for c in done)
      + ". Each cell is the **median (lowest-highest)** over the runs. A ratio is that of the medians; "
      "it is marked **differs** only when the two ranges do not overlap, **overlap** when they do "
      "(no difference shown by these runs), **1 run** when a side has a single run. "
      + chance_note(min(nruns.values()))
      + "Headline: **wtsmgr/unsafe** (protection should cost nothing against the unprotected ceiling).\n")
    pairs = ratio_pairs(cfgs)
    hdr = ["figure"] + [LABEL[c] for c in cfgs] + [f"{a}/{b}" for a, b in pairs]
    w("| " + " | ".join(hdr) + " |")
    w("|" + "---|" * len(hdr))
    csv_hdr = ["figure"]
    for c in cfgs:
        csv_hdr += [c, f"{c}_min", f"{c}_max", f"{c}_runs"]
    for a, b in pairs:
        csv_hdr += [f"{a}/{b}", f"{a}/{b} difference"]
    csv_rows = [csv_hdr]
    headline = {}
    for key, label, kind in ROWS:
        cells, raw = [], []
        for c in cfgs:
            if not runs[c]:
                cells.append("FAILED" if c in failed else "n/a")
                raw += ["", "", "", "0"]
                continue
            if kind == "minmax":
                lo = min(r["tps_min_1s"] for r in runs[c])
                hi = max(r["tps_max_1s"] for r in runs[c])
                cells.append(f"{lo} / {hi}")
                raw += [f"{lo}/{hi}", "", "", str(nruns[c])]
                continue
            st = spread(values(c, key))
            cells.append(fmt_spread(st, kind))
            raw += ["", "", "", "0"] if st is None else \
                [f"{x:.6g}" if isinstance(x, float) else str(x) for x in st]
        rats, raw_rats = [], []
        for a, b in pairs:
            if kind == "minmax" or not runs.get(a) or not runs.get(b):
                rats.append("")
                raw_rats += ["", ""]
                continue
            sb = spread(values(b, key))
            rv, mark = compare(spread(values(a, key)), sb)
            # A denominator that shows as zero (a few bytes of WAL in a
            # read-only run) gives no meaningful ratio.
            if sb is not None and re.fullmatch(r"[0.,%]+", fmt(sb[0], kind)):
                rv = None
            if rv is None:
                rats.append("n/a")
                raw_rats += ["", ""]
                continue
            rats.append(f"{rv:.2f} ({'**differs**' if mark == 'differs' else mark})")
            raw_rats += [f"{rv:.2f}", mark]
            if key == "tps":
                headline[(a, b)] = (rv, mark)
        if all(v == "n/a" for v in cells):
            continue
        w("| " + " | ".join([label] + cells + rats) + " |")
        csv_rows.append([label] + raw + raw_rats)
    with open(os.path.join(results, f"summary{sfx}.csv"), "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(csv_rows)
    # Every run's figures, for whoever wants to look further.
    with open(os.path.join(results, f"runs{sfx}.csv"), "w", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        keys = [k for k, _, kind in ROWS if kind != "minmax" and not k.startswith("icount_")]
        wr.writerow(["config", "run"] + keys)
        for c in done:
            for r in runs[c]:
                wr.writerow([c, r["run"]] + ["" if r.get(k) is None else
                                             (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k]) for k in keys])
    w("")
    for (a, b), (rv, mark) in headline.items():
        word = {"differs": "a difference (the ranges do not overlap)",
                "overlap": "no difference these runs can show (the ranges overlap)",
                "1 run": "a single run on a side: no spread to judge by"}[mark]
        w(f"- TPS {a}/{b}: **{rv:.2f}**, {word}.")
    w("")
    return headline


def series_outputs(results, done, runs, duration, sfx):
    """Per-second TPS (median and range), checkpoints and cumulative WAL
    as CSV, and the plots."""
    # CSVs and plots.
    secs = int(duration)
    with open(os.path.join(results, f"tps_per_second{sfx}.csv"), "w", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(["second"] + [x for c in done for x in (c, f"{c}_min", f"{c}_max")])
        for k in range(secs):
            row = [k]
            for c in done:
                v = [r["per_sec"][k] for r in runs[c]]
                row += [f"{statistics.median(v):g}", min(v), max(v)]
            wr.writerow(row)
    with open(os.path.join(results, f"checkpoints{sfx}.csv"), "w", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(["config", "run", "second"])
        for c in done:
            for r in runs[c]:
                for t in r["ckpt_starts"]:
                    wr.writerow([c, r["run"], f"{t:.3f}"])
    with open(os.path.join(results, f"wal_cumulative{sfx}.csv"), "w", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(["config", "run", "second", "wal_bytes", "device_write_bytes"])
        for c in done:
            for r in runs[c]:
                for t, wb, db in r["samples"]:
                    wr.writerow([c, r["run"], f"{t:.3f}", wb, db])
    plots(results, done, runs, duration, sfx)


def failures(results, failed, w, prefix=""):
    for c in failed:
        reason = ""
        log = os.path.join(results, "console.log")
        if os.path.exists(log):
            for line in open(log, errors="replace"):
                if "FAILED" in line and c in line and prefix in line:
                    reason = line.strip()
        w(f"**{c}: no result.** {reason}\n")


WORKLOAD_TITLE = {
    "tpcb": "pgbench",
    "insert": "Random-key B-tree inserts",
    "select": "Read-only control (pgbench -S)",
}
WORKLOAD_TEXT = {
    "insert": "One row with a random UUID key (`gen_random_uuid()`) per transaction into a table "
              "loaded with BENCH_INSERT_ROWS rows whose primary-key index is larger than "
              "shared_buffers: every insert dirties a random leaf, so with full_page_writes on "
              "nearly every transaction logs a full-page image after each checkpoint.",
    "select": "pgbench's select-only script on the same database: no writes, so wtsmgr must show "
              "no regression (a wtsmgr/stock TPS ratio within the spread of 1.0).",
}


def control_verdict(values, w):
    """The read-only control: wtsmgr against stock."""
    rv, mark = compare(spread(values("wtsmgr", "tps")), spread(values("stock", "tps")))
    if rv is None:
        return
    if mark == "differs" and rv < 1:
        verdict = "**a regression**: the ranges do not overlap"
    elif mark == "1 run":
        verdict = "a single run on a side: not judged"
    else:
        verdict = "**no regression** (" + ("the ranges overlap" if mark == "overlap" else "faster") + ")"
    w(f"Control: TPS wtsmgr/stock {rv:.2f}, {verdict}.\n")


def workload_section(results, m, cfgs, runs, failed, values, duration, w, lines, sfx, wl):
    w(f"## {WORKLOAD_TITLE[wl]} (CPU-bound under TCG)\n")
    w(WORKLOAD_TEXT[wl] + "\n")
    failures(results, failed, w, wl)
    done = [c for c in cfgs if runs[c]]
    if not done:
        return lines
    table(results, cfgs, runs, failed, values, sfx, w)
    if wl == "select":
        control_verdict(values, w)
    checkpoint_note(m, cfgs, runs, w)
    w(f"Window {duration:.0f} s per run; the other settings as in the pgbench section.\n")
    w(f"![TPS per second, {WORKLOAD_TITLE[wl]}](tps{sfx}.png)\n")
    series_outputs(results, done, runs, duration, sfx)
    return lines


def cloud_throttle(results, m):
    """The cloud profile's throttle: what the guest computed and had the
    host set after each copy (raw/pgbench/cloud-throttle.txt), or, from
    runs before that, what was set at boot (machine.txt)."""
    t = read_kv(os.path.join(results, "raw", "pgbench", "cloud-throttle.txt"))
    if t.get("bps", "").isdigit() and t.get("iops_throttle", "").isdigit():
        t["after_copy"] = True
        return t
    cl = kv_line(m.get("cloud", ""))
    if cl.get("bps") and cl.get("iops_throttle"):
        cl["after_copy"] = False
        cl["source"] = "assumed"
        return cl
    return {}


def checkpoint_note(m, cfgs, runs, w):
    """How the checkpoints came, and the goal of 5 complete cycles a run."""
    done = [c for c in cfgs if runs.get(c)]
    if not done:
        return
    every = m.get("checkpoint_every", "0")
    how = (f"requested by the benchmark every {every} s of the window (PostgreSQL's "
           "checkpoint_timeout cannot be under 30 s; a requested checkpoint is a fast one in "
           "PostgreSQL 18)" if every.isdigit() and int(every) > 0
           else "PostgreSQL's own (checkpoint_timeout)")
    cyc = {c: sorted(r["cycles"] for r in runs[c]) for c in done}
    least = min(v[0] for v in cyc.values())
    w(f"Checkpoints: {how}. Complete checkpoint cycles per run: "
      + ", ".join(f"{c} {'/'.join(str(x) for x in cyc[c])}" for c in done)
      + f"; goal of at least 5 in every run: **{'met' if least >= 5 else 'not met'}**. "
      "The TPS plot marks each checkpoint start (dashed).\n")


def cloud_section(results, m, cfgs, runs, failed, values, duration, w, lines, sfx, wl="tpcb"):
    if wl != "tpcb":
        w(f"## {WORKLOAD_TITLE[wl]} on the modelled cloud volume\n")
        w(WORKLOAD_TEXT[wl] + " The throttled device as below.\n")
    else:
        w("## pgbench on a modelled cloud volume (I/O-bound profile)\n")
    cl = cloud_throttle(results, m) if wl == "tpcb" else {}
    g = read_kv(os.path.join(results, "raw", "pgbench", "cpu-speed.txt")).get("guest_ms")
    h = m.get("host_gzip_ms")
    measured = (f"{int(g) / int(h):.1f}x (guest {int(g):,} ms, host {int(h):,} ms)"
                if g and h and g.isdigit() and h.isdigit() and int(h) > 0 else "not measured")
    if cl and cl["after_copy"]:
        src = cl.get("source")
        if src == "measured":
            how = (f"measured in this run: the same short pgbench on a database in memory "
                   f"(`bench/guest/cpucal.sh`: fsync off, no transaction waits for a disk) ran at "
                   f"{float(cl.get('host_tps')):,.0f} TPS on the host (in the guest root as a chroot) "
                   f"and {float(cl.get('guest_tps')):,.1f} TPS in the guest")
        elif src == "fixed":
            how = "fixed for this run (BENCH_CLOUD_SLOWDOWN), not measured"
        else:
            how = (f"**assumed**: its measurement failed (host {cl.get('host_tps') or '?'}, guest "
                   f"{cl.get('guest_tps') or '?'} TPS)")
        bps = int(cl["bps"])
        w(f"The same runs, interleaved with the others, on a second NVMe device (same atomic-write "
          f"parameters). Each run's copy of the database goes onto it unthrottled; then the host "
          f"throttles it through QEMU's monitor (QMP `block_set_io_throttle`) for the warm-up and "
          f"the window, and lifts the throttle afterwards. The throttle models a provisioned volume "
          f"of {cl.get('mibs')} MiB/s and {cl.get('iops')} IOPS scaled down by the guest's CPU "
          f"slowdown against the host, **{float(cl.get('slowdown')):.1f}x**, {how}: "
          f"{bps:,} B/s ({bps / 1048576:.2f} MiB/s) and {cl.get('iops_throttle')} IOPS, so that CPU "
          f"and I/O are in the balance of a real 2-vCPU server on such a volume. A single-threaded "
          f"gzip test (the same binary in the guest and on the host, fastest of three) gives "
          f"{measured}, a lower bound: TCG runs so simple a program relatively faster than "
          "PostgreSQL.\n")
    elif cl:
        w(f"The same runs, interleaved with the others, on a second NVMe device (same atomic-write "
          f"parameters) throttled with QEMU block throttling: a provisioned volume of "
          f"{cl.get('mibs')} MiB/s and {cl.get('iops')} IOPS (a gp3-like baseline) scaled down by "
          f"{cl.get('slowdown')}, the guest's CPU slowdown against the host assumed for the run, "
          f"gives `throttling.bps-total={cl.get('bps')}` ({int(cl.get('bps', 0)) / 1048576:.2f} MiB/s) "
          f"and `throttling.iops-total={cl.get('iops_throttle')}`, so that CPU and I/O are in the "
          "balance of a real 2-vCPU server on such a volume. The slowdown assumed comes from "
          "pgbench itself (about 20x: the guest's TPS against the same PostgreSQL natively on the "
          f"host); measured in this run with a single-threaded gzip test (the same binary in the "
          f"guest and, as a chroot, on the host; fastest of three): {measured}. A CPU test that "
          "simple runs faster under TCG than PostgreSQL does, so it is a lower bound of the "
          "slowdown.\n")
    failures(results, failed, w, "cloud")
    done = [c for c in cfgs if runs[c]]
    if not done:
        return lines
    headline = table(results, cfgs, runs, failed, values, sfx, w)
    rv, mark = headline.get(("wtsmgr", "stock"), (None, ""))
    if wl == "select":
        control_verdict(values, w)
    elif rv is not None:
        met = rv >= 1.5 and mark == "differs"
        w(f"Goal (issue 14; Freund: about 1.7x): wtsmgr/stock TPS >= 1.5 with ranges apart: "
          f"**{'met' if met else 'not met'}** ({rv:.2f}, {mark}).")
        cw, cs = spread(values("wtsmgr", "tps_cv")), spread(values("stock", "tps_cv"))
        if cw and cs and cs[0]:
            q = cw[0] / cs[0]
            w(f"Goal: coefficient of variation of per-second TPS of wtsmgr at most 1/5 of stock's: "
              f"**{'met' if q <= 0.2 else 'not met'}** (median {cw[0]:.3f} against {cs[0]:.3f}: {q:.2f}).")
        w("")
    throttle_check(cfgs, runs, cl, w, results)
    checkpoint_note(m, cfgs, runs, w)
    w(f"Window {duration:.0f} s per run; the other settings as above.\n")
    w(f"![TPS per second, cloud volume](tps{sfx}.png)\n")
    series_outputs(results, done, runs, duration, sfx)
    return lines


def guest_clock_rate(results):
    """Guest seconds per host second, from the throttle requests: the
    guest logs its clock around each (throttle-guest.log), the host the
    moment it applied it (throttle.log).  (rate, guest s, host s) or None."""
    raw = os.path.join(results, "raw")
    try:
        host = [int(l.split()[0]) for l in open(os.path.join(raw, "throttle.log")) if l.split()]
        guest = [(int(l.split()[0]) + int(l.split()[1])) / 2
                 for l in open(os.path.join(raw, "throttle-guest.log")) if len(l.split()) >= 2]
    except (OSError, ValueError):
        return None
    if len(host) != len(guest) or len(host) < 2 or host[-1] - host[0] < 30000:
        return None
    g, h = (guest[-1] - guest[0]) / 1000.0, (host[-1] - host[0]) / 1000.0
    return g / h, g, h


def throttle_check(cfgs, runs, cl, w, results=None):
    """Was the run throttled, and the copy not: the device's requests and
    bytes per second in the windows against the cap, and the copy time.
    The throttle counts host seconds; the guest's clock may not."""
    done = [c for c in cfgs if runs.get(c)]
    caps = {r["throttle"] for c in done for r in runs[c] if r.get("throttle")}
    if not done or not caps:
        return
    bps, iops = sorted(caps)[0]
    clk = guest_clock_rate(results) if results else None
    k = clk[0] if clk else 1.0
    if clk:
        w(f"The guest's clock ran at {100 * clk[0]:.1f}% of the host's (guest {clk[1]:,.1f} s "
          f"against host {clk[2]:,.1f} s between the first and the last throttle request; "
          "TPS and latency are in guest time). The throttle counts host seconds, so the rates "
          "below are per host second.\n")
    else:
        w("The guest's clock could not be compared with the host's: the rates below are per "
          "guest second.\n")
    w("The throttle during the windows: the device's requests and bytes per second (read and "
      "write, median of the runs) against the cap:\n")
    w("| configuration | requests/s | of the IOPS cap | MiB/s | of the bandwidth cap | copy before the throttle (s) |")
    w("|---|---|---|---|---|---|")
    for c in done:
        io = spread([r.get("dev_iops") * k for r in runs[c] if r.get("dev_iops") is not None])
        mb = spread([r.get("dev_mibs") * k for r in runs[c] if r.get("dev_mibs") is not None])
        cp = spread([r.get("copy_s") for r in runs[c]])
        w(f"| {LABEL[c]} | {fmt_spread(io, 'f1')} | "
          f"{'no cap' if not iops else fmt(io[0] / iops, 'pct')} | {fmt_spread(mb, 'f2')} | "
          f"{'no cap' if not bps else fmt(mb[0] * 1048576 / bps, 'pct')} | {fmt_spread(cp, 'f1')} |")
    if len(caps) > 1:
        w(f"\nThe runs had different throttles: {sorted(caps)}.")
    w("")


RESULTS = []    # the results folder being reported
SECTIONS = {}   # (profile, workload) -> (runs, icount figures), for the projection

# Reference devices of the capacity model: (name, MiB/s, IOPS).
DEVICES = [
    ("local NVMe SSD", 2000, 200000),
    ("provisioned cloud volume (gp3-like baseline)", 125, 3000),
    ("throughput-optimised cloud volume", 500, 500),
]
REF_CPU_IPS = 2 * 3e9   # 2 vCPUs at about 3e9 instructions per second each


def projection_section(m):
    """The capacity model: TPS ceilings from the per-transaction costs,
    and its check against the throttled measurement."""
    cpu = SECTIONS.get(("cpu", "tpcb"))
    if not cpu:
        return []
    runs, icount = cpu
    cfgs = [c for c in ORDER if runs.get(c)]
    if not cfgs:
        return []

    def med(src, key):
        st = spread([r.get(key) for r in src])
        return st[0] if st else None
    lines = ["## Capacity projection (a model, not a measurement)\n",
             "From the measured costs per transaction (medians of the unthrottled runs; instructions "
             "from the icount pass), the TPS a configuration could reach on a few reference devices "
             "if nothing else limited it:\n",
             "    TPS ceiling = min( CPU: 6e9 instructions/s / instructions per transaction,",
             "                       bandwidth: device bytes/s / device bytes (read + written) per transaction,",
             "                       IOPS: device IOPS / device requests (read + write) per transaction )\n",
             "The CPU is 2 vCPUs at about 3e9 instructions per second each. Not modelled: lock and "
             "commit-flush latency (group commit), checkpoint bursts, the cost of a write by its size, "
             "caching; a ceiling is an upper bound.\n"]
    hdr = ["device"] + [LABEL[c] for c in cfgs]
    if "wtsmgr" in cfgs and "stock" in cfgs:
        hdr.append("wtsmgr/stock")
    lines += ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    insn = {c: med(icount.get(c, []), "icount_insn_per_tx") for c in cfgs}
    byts = {c: med(runs[c], "dev_io_bytes_per_tx") for c in cfgs}
    ios = {c: med(runs[c], "dev_io_per_tx") for c in cfgs}

    def ceiling(c, mibs, iops, cpu_tps=None):
        parts = []
        if cpu_tps is not None:
            parts.append((cpu_tps, "CPU"))
        elif insn[c]:
            parts.append((REF_CPU_IPS / insn[c], "CPU"))
        if byts[c]:
            parts.append((mibs * 1048576 / byts[c], "bandwidth"))
        if ios[c]:
            parts.append((iops / ios[c], "IOPS"))
        return min(parts) if parts else (None, "")
    for name, mibs, iops in DEVICES:
        row = [f"{name}: {mibs} MiB/s, {iops:,} IOPS"]
        ceil = {}
        for c in cfgs:
            v, by = ceiling(c, mibs, iops)
            ceil[c] = v
            row.append("n/a" if v is None else f"{v:,.0f} ({by})")
        if len(hdr) > len(row):
            r = ratio(ceil.get("wtsmgr"), ceil.get("stock"))
            row.append("n/a" if r is None else f"{r:.2f}")
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    # The check: the throttled device of the cloud profile, with the
    # guest's own CPU ceiling (its unthrottled TPS).
    cloud = SECTIONS.get(("cloud", "tpcb"))
    cl = cloud_throttle(RESULTS[0], m) if RESULTS else {}
    if cloud and cl.get("bps") and cl.get("iops_throttle"):
        cruns = cloud[0]
        bps, tio = int(cl["bps"]), int(cl["iops_throttle"])
        lines += [f"Check against the measurement: the cloud profile's device ({bps / 1048576:.2f} MiB/s, "
                  f"{tio} IOPS), with the guest's CPU ceiling taken as its unthrottled TPS:\n",
                  "| configuration | model TPS (limit) | measured TPS (median, range) | measured / model |",
                  "|---|---|---|---|"]
        for c in cfgs:
            if not cruns.get(c):
                continue
            v, by = ceiling(c, bps / 1048576, tio, med(runs[c], "tps"))
            st = spread([r.get("tps") for r in cruns[c]])
            q = ratio(st[0] if st else None, v)
            lines.append(f"| {LABEL[c]} | {fmt(v, 'f1')} ({by}) | {fmt_spread(st, 'f1')} | "
                         f"{'n/a' if q is None else f'{q:.2f}'} |")
        lines.append("")
    return lines


def pgbench_section(results, m, settings, out, profile="cpu", wl="tpcb"):
    sub = "pgbench" + ("" if wl == "tpcb" else "-" + wl) + ("" if profile == "cpu" else "-cloud")
    sfx = sub[len("pgbench"):]
    base = os.path.join(results, "raw", sub)
    if not os.path.isdir(base):
        return []
    duration = float(re.search(r"BENCH_DURATION=(\d+)", m.get("settings", "BENCH_DURATION=0")).group(1))
    listed = re.search(r"BENCH_CONFIGS=(\S+)", m.get("settings", "")).group(1).split(",")
    cfgs = [c for c in ORDER if c in listed]
    marks = insn_marks(results)
    runs = {}
    for c in cfgs:
        runs[c] = [r for r in (analyse_config(results, c, duration, marks, d, k)
                               for k, d in run_dirs(base, c)) if r]
    icount, calib_note = icount_figures(results, cfgs, m, sub) if profile == "cpu" else ({}, "")
    SECTIONS[(profile, wl)] = (runs, icount)
    done = [c for c in cfgs if runs[c]]
    failed = [c for c in cfgs if not runs[c]]

    def values(c, key):
        src = icount.get(c, []) if key.startswith("icount_") else runs[c]
        return [r.get(key) for r in src]

    lines = []
    w = lines.append
    if profile == "cloud":
        return cloud_section(results, m, cfgs, runs, failed, values, duration, w, lines, sfx, wl)
    if wl != "tpcb":
        return workload_section(results, m, cfgs, runs, failed, values, duration, w, lines, sfx, wl)
    w("## pgbench: stock against wtsmgr (CPU-bound under TCG)\n")
    w("The same pgbench (TPC-B-like) workload against the same freshly initialised database "
      "(xfs on the atomic NVMe device), several runs per configuration, interleaved:\n")
    w("- **stock**: wtsmgr not loaded, `full_page_writes = on` (what users run today);")
    w("- **wtsmgr**: `shared_preload_libraries = 'wtsmgr'`, `wtsmgr.mode = atomic`; its safety check "
      "must turn `full_page_writes` off (the run fails otherwise);")
    w("- **unsafe**: stock with `full_page_writes = off`: the ceiling, **without torn-page protection: unsafe**;")
    w("- **directio** (when run): `debug_io_direct = data`, `full_page_writes = on`: a **developer-only** setting.\n")
    failures(results, failed, w)
    if not done:
        return lines
    table(results, cfgs, runs, failed, values, sfx, w)
    checkpoint_note(m, cfgs, runs, w)
    order = [c for c in (["wtsmgr"] + [x for x in cfgs if x != "wtsmgr"]) if c in cfgs]
    w(f"Window {duration:.0f} s per run after a warm-up and a CHECKPOINT, each run on a fresh copy "
      f"of the same database; order of the runs: {', '.join(order)} in the first round, each "
      "later round starting one configuration later (so that none always runs in the same "
      "position). Clients, scale and "
      f"the other options: `{m.get('settings', '')}`.")
    w("Common PostgreSQL settings (every configuration; each adds only the lines above):\n")
    w("```")
    w(settings.strip())
    w("```\n")
    if icount:
        mm = re.search(r"shift=(\d+) duration=(\d+)", m.get("icount", ""))
        w(f"Guest instructions: counted with QEMU `-icount shift={mm.group(1)}` in a second boot "
          f"(one vCPU, single-threaded TCG), each configuration once, a {mm.group(2)} s window in "
          f"guest time: guest time then advances {2 ** int(mm.group(1))} ns per executed "
          "instruction, so the guest's busy CPU time (elapsed - idle - iowait, /proc/stat) is an "
          "instruction count, whatever the host's speed or load. Instructions count the whole "
          "guest (kernel, PostgreSQL, pgbench, the once-a-second sampler).{} The TPS of that "
          "pass is in guest time: a model CPU of one vCPU doing {:.0f} million instructions per "
          "second, not wall-clock.".format(calib_note, 1e3 / 2 ** int(mm.group(1))))
    else:
        w(f"Guest instructions (plugin): {m.get('instructions', '')}." +
          ("" if "icount" in m else " No icount pass in this run (BENCH_INSN=off, KVM, or no pgbench)."))
    if "idle-start" in marks and "idle-end" in marks:
        (i0, n0), (i1, n1) = marks["idle-start"], marks["idle-end"]
        w(f" Idle baseline (PostgreSQL stopped): {(i1 - i0) / ((n1 - n0) / 1e9):,.0f} instructions/s for the whole guest.")
    if "calib-start" in marks and "calib-end" in marks:
        cal = read_kv(os.path.join(base, "calibration.txt")).get("loop_insns")
        got = marks["calib-end"][0] - marks["calib-start"][0]
        if cal:
            w(f" Calibration: a loop of {int(cal):,} instructions counted as {got:,} (includes the "
              "process start and the guest's background).")
    if "icount" in m and not icount:
        w(" The instruction-count pass left no result (see console-insn.log).")
    w("")
    w("Notes: TPS and latency are wall-clock figures under the emulator "
      f"({m.get('accel', '?')}); under TCG the CPU is about 20x slower than native, so the guest is "
      "CPU-bound and their ratios are indicative only. WAL, full-page-image, device and instruction "
      "figures per transaction do not depend on the emulation speed. Device figures are `/sys/block` "
      "counters of the data device over the window; write-zeroes commands (WAL segment "
      "initialisation by wtsmgr) count as written bytes there although no data is transferred.\n")
    for c in done:
        r = runs[c][-1]
        if r.get("wtsmgr_status"):
            w(f"wtsmgr status during its last run (wtsmgr_status): `{r['wtsmgr_status']}`\n")
        if r.get("wtsmgr_stats"):
            st = r["wtsmgr_stats"]
            w("wtsmgr write path over its last window (wtsmgr_stats): "
              + ", ".join(f"{k} {v:,}" for k, v in st.items()) + "\n")
    w("![TPS per second](tps.png)\n")
    w("![Cumulative WAL](wal.png)\n")

    series_outputs(results, done, runs, duration, sfx)
    return lines


def gnuplot(script):
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (OSError, subprocess.CalledProcessError) as e:
        err = getattr(e, "stderr", "") or ""
        print(f"report.py: gnuplot failed: {e}\n{err}", file=sys.stderr)


COLOURS = {"stock": "#d62728", "wtsmgr": "#1f77b4", "unsafe": "#2ca02c", "directio": "#9467bd"}


def plots(results, done, runs, duration, sfx=""):
    n = len(done)
    top = max(max(r["per_sec"]) for c in done for r in runs[c])
    s = [f"set terminal pngcairo size 1000,{260 * n + 60} font 'sans,10'",
         f"set output '{results}/tps{sfx}.png'",
         "set datafile separator ','",
         f"set multiplot layout {n},1 title 'TPS per second: median of the runs, band = lowest to "
         "highest run (dashed: checkpoint starts)'",
         # One y scale for every panel, so that they compare at a glance.
         f"set xrange [0:{duration}]",
         f"set yrange [0:{top * 1.1:.0f}]",
         "set grid ytics",
         "set ylabel 'TPS'"]
    for i, c in enumerate(done):
        s.append("unset arrow")
        for t in sorted({round(t, 1) for r in runs[c] for t in r["ckpt_starts"]}):
            s.append(f"set arrow from {t:.2f}, graph 0 to {t:.2f}, graph 1 nohead dt 2 lc rgb '#cc0000'")
        s.append("set xlabel 'seconds into the window'" if i == n - 1 else "unset xlabel")
        col = 2 + 3 * i
        k = len(runs[c])
        s.append(f"plot '{results}/tps_per_second{sfx}.csv' using 1:{col + 1}:{col + 2} every ::1 "
                 f"with filledcurves fs transparent solid 0.25 noborder lc rgb '{COLOURS.get(c, '#1f77b4')}' "
                 f"title 'range of {k} run{'s' if k > 1 else ''}', "
                 f"'' using 1:{col} every ::1 with lines lw 1.5 lc rgb '{COLOURS.get(c, '#1f77b4')}' "
                 f"title '{LABEL[c]} (median)'")
    s.append("unset multiplot")
    gnuplot("\n".join(s) + "\n")
    if not any(r["samples"] for c in done for r in runs[c]):
        return
    s = ["set terminal pngcairo size 1000,500 font 'sans,10'",
         f"set output '{results}/wal{sfx}.png'",
         "set datafile separator ','",
         "set title 'Cumulative WAL written during the window (one line per run)'",
         "set xlabel 'seconds into the window'", "set ylabel 'WAL (MiB)'",
         "set grid", "set key left top", f"set xrange [0:{duration}]"]
    parts = []
    for c in done:
        for j, r in enumerate(runs[c]):
            if r["samples"]:
                title = f"title '{LABEL[c]}'" if j == 0 else "notitle"
                parts.append(f"'{results}/wal_cumulative{sfx}.csv' using "
                             f"(strcol(1) eq '{c}' && $2 == {r['run']} ? $3 : 1/0):($4/1048576) "
                             f"every ::1 with lines lw 2 lc rgb '{COLOURS.get(c, '#1f77b4')}' {title}")
    s.append("plot " + ", \\\n  ".join(parts))
    gnuplot("\n".join(s) + "\n")


def kv_line(line):
    return dict(p.split("=", 1) for p in line.split() if "=" in p)


def walinit_section(results):
    path = os.path.join(results, "raw", "walinit", "results.txt")
    if not os.path.exists(path):
        return []
    rows = [kv_line(l) for l in open(path) if l.strip()]
    lines = ["## WAL segment creation: write-zeroes against zero-fill\n",
             "16 MiB segments created one after the other, each followed by fsync, on a fresh "
             "filesystem on the NVMe device: `zero` writes 16 MiB of zeroes (PostgreSQL's "
             "wal_init_zero), `wz` uses fallocate(FALLOC_FL_WRITE_ZEROES) (wtsmgr.wal_write_zeroes). "
             "Anchor: about 3x faster file creation with write-zeroes (Zhang Yi's series).\n",
             "| filesystem | zero-fill ms/segment | write-zeroes ms/segment | speed-up | zero-fill device MiB/segment | write-zeroes device MiB/segment | write requests/segment (zero, wz) |",
             "|---|---|---|---|---|---|---|"]
    out = [["fs", "mode", "status", "segments", "ms_per_segment", "ms_max",
            "dev_write_req", "dev_write_bytes", "dev_flush"]]
    by = {}
    for r in rows:
        by[(r.get("fs"), r.get("mode"))] = r
        out.append([r.get("fs"), r.get("mode"), r.get("status"), r.get("segments", ""),
                    r.get("ms_per_segment", ""), r.get("ms_max", ""), r.get("dev_write_req", ""),
                    int(r.get("dev_write_sectors", 0)) * SECTOR, r.get("dev_flush", "")])
    for fs in ("ext4", "xfs"):
        z, wz = by.get((fs, "zero")), by.get((fs, "wz"))
        if not z:
            continue

        def per_seg(r, key, scale=1.0):
            if not r or r.get("status") != "ok":
                return None
            return int(r[key]) * scale / int(r["segments"])
        zms = float(z["ms_per_segment"]) if z.get("status") == "ok" else None
        wms = float(wz["ms_per_segment"]) if wz and wz.get("status") == "ok" else None
        sp = f"{zms / wms:.2f}x" if zms and wms else "n/a"
        wtxt = fmt(wms, "f1") if wms else ("unsupported" if wz and wz.get("status", "").startswith("unsupported") else "n/a")
        zb, wb = per_seg(z, "dev_write_sectors", SECTOR / 1048576), per_seg(wz, "dev_write_sectors", SECTOR / 1048576)
        zr, wr = per_seg(z, "dev_write_req"), per_seg(wz, "dev_write_req")
        lines.append(f"| {fs} | {fmt(zms, 'f1')} | {wtxt} | {sp} | {fmt(zb, 'f2')} | {fmt(wb, 'f2')} | "
                     f"{fmt(zr, 'f1')}, {fmt(wr, 'f1')} |")
    with open(os.path.join(results, "walinit.csv"), "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(out)
    lines.append("\nDevice MiB for write-zeroes count the zeroed range (the block layer accounts "
                 "WRITE ZEROES as writes); the device receives no data for it.\n")
    return lines


def by_config_spread(by, cfg, key):
    """Median and range of one figure (a results.txt key) over the lines
    of one configuration of the checkpoint benchmark."""
    return spread([float(r[key]) for r in by.get(cfg, []) if r.get(key) not in (None, "")])


CKPT_LABEL = {"stock": "stock (buffered writes, then fsync)",
              "stock-wb": "stock, several writeback contexts on the device (issue 15)",
              "sync": "wtsmgr, synchronous atomic writes",
              "async": "wtsmgr, asynchronous atomic writes"}


def checkpoint_section(results):
    """Issue 13's checkpoint figure (bench/guest/checkpoint.sh): the time of
    a CHECKPOINT writing the same dirty buffers per configuration, median
    (range) over the rounds, and the ratios of the medians."""
    path = os.path.join(results, "raw", "checkpoint", "results.txt")
    if not os.path.exists(path):
        return []
    rows = [kv_line(l) for l in open(path) if l.strip()]
    by = {}
    for r in rows:
        by.setdefault(r.get("config"), []).append(r)
    keys = ["config", "round", "ms", "dirty", "buffers", "write_s", "sync_s", "async_writes",
            "async_refused", "async_peak", "dev_write_req", "dev_write_sectors", "dev_flush",
            "ckpt_cpu_ms", "busy_cpu_ms", "writes", "write_ms"]
    out = [keys] + [[r.get(k, "") for k in keys] for r in rows]
    with open(os.path.join(results, "checkpoint.csv"), "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(out)

    def col(cfg, key):
        return by_config_spread(by, cfg, key)

    def per_buffer(cfg, key, scale=1.0):
        return spread([float(r[key]) * scale / float(r["buffers"]) for r in by.get(cfg, [])
                       if r.get(key) not in (None, "") and float(r.get("buffers", 0)) > 0])

    def per_request(cfg):
        return spread([float(r["dev_write_sectors"]) * SECTOR / 1024 / float(r["dev_write_req"])
                       for r in by.get(cfg, []) if float(r.get("dev_write_req", 0) or 0) > 0])
    lines = ["## CHECKPOINT time: asynchronous against synchronous atomic writes\n",
             "The same table's pages (all dirty, from one UPDATE) written by one CHECKPOINT, on xfs "
             "on the NVMe device; configurations interleaved, each round starting one later. "
             "Median (lowest-highest) over the rounds.\n",
             "| configuration | CHECKPOINT ms | buffers written | write phase s | sync phase s | "
             "asynchronous writes | refused inline (written synchronously) | most in flight |",
             "|---|---|---|---|---|---|---|---|"]
    present = [c for c in CKPT_LABEL if c in by]
    for cfg in present:
        lines.append(f"| {CKPT_LABEL[cfg]} | {fmt_spread(col(cfg, 'ms'), 'int')} | "
                     f"{fmt_spread(col(cfg, 'buffers'), 'int')} | {fmt_spread(col(cfg, 'write_s'), 'f2')} | "
                     f"{fmt_spread(col(cfg, 'sync_s'), 'f2')} | {fmt_spread(col(cfg, 'async_writes'), 'int')} | "
                     f"{fmt_spread(col(cfg, 'async_refused'), 'int')} | {fmt_spread(col(cfg, 'async_peak'), 'int')} |")
    if any(r.get("dev_write_req") for r in rows):
        lines += ["", "Where the time goes: the device's write requests per buffer and their size, and CPU "
                  "time per buffer written, of the checkpointer alone and of the whole guest (kernel "
                  "workers included: writeback, I/O completions).\n",
                  "| configuration | device write requests per buffer | KiB per request | "
                  "checkpointer CPU µs per buffer | guest CPU µs per buffer |",
                  "|---|---|---|---|---|"]
        for cfg in present:
            lines.append(f"| {CKPT_LABEL[cfg]} | {fmt_spread(per_buffer(cfg, 'dev_write_req'), 'f2')} | "
                         f"{fmt_spread(per_request(cfg), 'f1')} | "
                         f"{fmt_spread(per_buffer(cfg, 'ckpt_cpu_ms', 1000), 'f1')} | "
                         f"{fmt_spread(per_buffer(cfg, 'busy_cpu_ms', 1000), 'f1')} |")
    warm = by.get("warmup")
    if warm:
        w = warm[0]
        lines += ["", f"Not in the table: the warm-up checkpoint before the rounds, the first atomic "
                  f"(synchronous) pass over the pages as the initial load's buffered writes laid them "
                  f"out, took {fmt(float(w['ms']), 'int')} ms for {fmt(float(w['buffers']), 'int')} "
                  f"buffers ({fmt(float(w.get('busy_cpu_ms', 0) or 0) * 1000 / max(float(w['buffers']), 1), 'f1')} "
                  f"µs of guest CPU per buffer)."]
    lines += ["", "| ratio of CHECKPOINT times | median ratio | ranges | goal |", "|---|---|---|---|"]
    for a, b, goal in (("async", "stock", "<= 1.1"), ("sync", "stock", "measured"),
                       ("async", "sync", "< 1"), ("stock-wb", "stock", "measured")):
        if a in by and b in by:
            rv, how = compare(col(a, "ms"), col(b, "ms"))
            lines.append(f"| {a} / {b} | {fmt(rv, 'f2')} | {how} | {goal} |")
    lines += backend_write_lines(by)
    lines.append("")
    return lines


BACKEND_LABEL = {"backend-stock": "stock (buffered writes)",
                 "backend-background": "wtsmgr, async_writes = background (default: backends write synchronously)",
                 "backend-all": "wtsmgr, async_writes = all (backends submit asynchronously)"}


def backend_write_lines(by):
    """The client backends' mean data write latency (the checkpoint
    benchmark's backend-* lines): pg_stat_io write_time / writes of one
    backend writing its own victims, per configuration, and the ratios to
    stock."""
    present = [c for c in BACKEND_LABEL if c in by]
    if not present:
        return []

    def mean_us(cfg):
        return spread([float(r["write_ms"]) * 1000 / float(r["writes"]) for r in by[cfg]
                       if float(r.get("writes", 0) or 0) > 0])

    def col(cfg, key):
        return by_config_spread(by, cfg, key)
    lines = ["", "### Client backends' data write latency\n",
             "One client backend writes its own victims: 16 MB of shared buffers, no background "
             "writer, an UPDATE of a quarter of the same table's rows. pg_stat_io's write_time / "
             "writes of client backends (`track_io_timing`), read after the session exited; "
             "pg_stat_io keeps no distribution, so this is a mean, not a p99. Median "
             "(lowest-highest) over the rounds.\n",
             "| configuration | mean µs per data write | data writes | asynchronous writes | "
             "refused inline | UPDATE ms |", "|---|---|---|---|---|---|"]
    for cfg in present:
        lines.append(f"| {BACKEND_LABEL[cfg]} | {fmt_spread(mean_us(cfg), 'f1')} | "
                     f"{fmt_spread(col(cfg, 'writes'), 'int')} | {fmt_spread(col(cfg, 'async_writes'), 'int')} | "
                     f"{fmt_spread(col(cfg, 'async_refused'), 'int')} | {fmt_spread(col(cfg, 'ms'), 'int')} |")
    lines += ["", "| ratio of mean write latency | median ratio | ranges | goal |", "|---|---|---|---|"]
    for a in ("backend-background", "backend-all"):
        if a in by and "backend-stock" in by:
            rv, how = compare(mean_us(a), mean_us("backend-stock"))
            lines.append(f"| {a[len('backend-'):]} / stock | {fmt(rv, 'f2')} | {how} | <= 1.5 |")
    return lines


# The kernel benchmark (bench/guest/kernel.sh): issue 11's two tables.
KFS_LABEL = {"xfs": "xfs", "ext4": "ext4", "ext4-bigalloc": "ext4 (bigalloc 16 KiB)"}
KPATH_LABEL = {"wt": "write-through", "direct": "O_DIRECT", "none": "no writer",
               "wt+atomic": "write-through + RWF_ATOMIC", "direct+atomic": "O_DIRECT + RWF_ATOMIC",
               "wt+dsync": "write-through + RWF_DSYNC", "direct+dsync": "O_DIRECT + RWF_DSYNC",
               "buffered+dsync": "buffered + RWF_DSYNC (stock)", "buffered": "plain buffered"}


def kmetric(r, key):
    """One figure of one kernel run (a results.txt line), or None."""
    if r.get("status") != "ok":
        return None
    w = int(r.get("writes", 0) or 0)
    try:
        if key == "iops":
            return float(r["iops"])
        if key == "us":
            return float(r["us_per_write"])
        if key == "mibs":        # MiB/s
            return float(r["iops"]) * int(r["bs"]) / 1048576
        if key == "p99":
            return float(r["read_p99_us"])
        if key == "p50":
            return float(r["read_p50_us"])
        if key == "p999":
            return float(r["read_p999_us"])
        if w == 0:
            return None
        if key == "cpu_us":      # guest CPU time (all CPUs) per write
            return int(r["cpu_busy"]) / int(r["cpu_hz"]) * 1e6 / w
        if key == "sub_us":      # the writing process's own CPU per write
            return int(r["ru_us"]) / w
        if key == "off_us":      # a synchronous writer's time off the CPU per write
            return float(r["us_per_write"]) - int(r["ru_us"]) / w
        if key == "nvcsw":       # the writer's sleeps per write
            return int(r["nvcsw"]) / w
        if key == "sub_busy":    # the writing process's CPU, in CPUs
            return int(r["ru_us"]) / (float(r["seconds"]) * 1e6)
        if key == "req":
            return int(r["dev_write_req"]) / w
        if key == "flush":
            return int(r["dev_flush"]) / w
        if key == "bytes":
            return int(r["dev_write_sectors"]) * SECTOR / w
    except (KeyError, ValueError, ZeroDivisionError):
        return None
    return None


class KRuns:
    """The runs of the kernel benchmark by (fs, test, mode)."""

    def __init__(self, rows):
        self.by = {}
        for r in rows:
            self.by.setdefault((r.get("fs"), r.get("test"), r.get("mode")), []).append(r)

    def has(self, fs, test, mode):
        return (fs, test, mode) in self.by

    def spread(self, fs, test, mode, key):
        return spread([kmetric(r, key) for r in self.by.get((fs, test, mode), [])])

    def unsupported(self, fs, test, mode):
        """'unsupported (reason)' or 'failed (exit N)' when no run of this
        path has a result."""
        rs = self.by.get((fs, test, mode), [])
        if rs and all(r.get("status") != "ok" for r in rs):
            return f"{rs[0].get('status', 'failed')} ({rs[0].get('reason') or '?'})"
        return None

    def cell(self, fs, test, mode, key, kind):
        why = self.unsupported(fs, test, mode)
        if why:
            return why
        return fmt_spread(self.spread(fs, test, mode, key), kind)


def kratio_cell(sa, sb, kind="f2"):
    rv, mark = compare(sa, sb)
    if rv is None:
        return "n/a", rv, mark
    if mark == "differs":
        return f"{fmt(rv, kind)} (**differs**)", rv, mark
    return f"{fmt(rv, kind)} ({mark})", rv, mark


def kernel_rows(results):
    path = os.path.join(results, "raw", "kernel", "results.txt")
    if not os.path.exists(path):
        return None
    rows = []
    for line in open(path):
        if not line.strip():
            continue
        r = kv_line(line)
        m = re.search(r"status=(unsupported|failed) \(([^)]*)\)", line)
        if m:
            r["status"] = m.group(1)
            r["reason"] = m.group(2)
        rows.append(r)
    return rows


# Table 1 (issue 11, "Benchmarks"): (figure, test, key, path, reference,
# format, goal, file systems).
KBENCH = [
    ("io_uring QD32, one file, 4 KiB: IOPS", "qd32", "iops", "wt", "direct", "int", ">= 0.8",
     ("xfs", "ext4")),
    ("io_uring QD32, one file, 16 KiB RWF_ATOMIC: IOPS", "atomic", "iops", "wt+atomic",
     "direct+atomic", "int", ">= 0.8", ("xfs", "ext4-bigalloc")),
    ("4 threads, synchronous pwritev2, one file: IOPS", "threads4", "iops", "wt", "direct", "int",
     ">= 0.8", ("xfs", "ext4")),
    ("QD1 synchronous: IOPS", "qd1", "iops", "wt", "direct", "int", ">= 0.9", ("xfs", "ext4")),
    ("8 MiB synchronous writes (write-through: 8 pieces of 1 MiB in turn): MiB/s", "large",
     "mibs", "wt", "direct", "int", "", ("xfs", "ext4")),
    ("CPU per write, QD1 (the writing process's CPU µs)", "qd1", "sub_us", "wt", "direct", "f1",
     "<= 1.2", ("xfs", "ext4")),
    ("CPU per write, io_uring QD32 (the writing process's CPU µs)", "qd32", "sub_us", "wt", "direct",
     "f1", "<= 1.2", ("xfs", "ext4")),
    ("buffered reader p99 latency (µs): with a QD1 write-through writer / no writer", "reader",
     "p99", "wt", "none", "f1", "<= 2", ("xfs", "ext4")),
    ("buffered reader p99.9 latency (µs): with a QD1 write-through writer / no writer", "reader",
     "p999", "wt", "none", "f1", "", ("xfs", "ext4")),
]


def kernel_section(results, m=None):
    rows = kernel_rows(results)
    if rows is None:
        return []
    if not any("test" in r for r in rows):
        return kernel_section_single(results, rows)
    m = m or {}
    K = KRuns(rows)
    dev = {}
    dp = os.path.join(results, "raw", "kernel", "device.txt")
    if os.path.exists(dp):
        dev = dict(l.rstrip("\n").split("=", 1) for l in open(dp) if "=" in l)
    reps = sorted({int(r["rep"]) for r in rows if r.get("rep", "").isdigit()})
    n = len(reps)
    ks = m.get("kernel_settings", "")
    secs = re.search(r"BENCH_KERNEL_SECONDS=(\d+)", ks)
    summary = [["table", "figure", "fs", "path", "path_median", "path_min", "path_max", "path_runs",
                "reference", "ref_median", "ref_min", "ref_max", "ref_runs", "ratio", "difference",
                "goal"]]

    def srow(table, figure, fs, a, sa, b, sb, rv, mark, goal):
        def parts(st):
            return ["", "", "", 0] if st is None else [f"{st[0]:.6g}", f"{st[1]:.6g}", f"{st[2]:.6g}", st[3]]
        summary.append([table, figure, fs, a] + parts(sa) + [b] + parts(sb) +
                       ["" if rv is None else f"{rv:.4f}", mark, goal])

    wc = dev.get("write_cache", "?").replace("_", " ")
    lines = ["## Kernel write paths (issue 11)\n",
             f"4 KiB random overwrites of a file of written extents unless stated, on the NVMe "
             f"device (one file system at a time; xfs, ext4 with 4 KiB blocks, ext4 with bigalloc "
             f"16 KiB clusters for the atomic rows), guest kernel {dev.get('kernel', '?')}. "
             f"Every pair is measured side by side in the same boot, in {n} round{'s' if n != 1 else ''}, interleaved "
             f"(fresh file systems each round; the order of the file systems and of the two paths "
             f"of a pair rotates). Each figure is the **median (lowest-highest)** of the rounds; "
             f"a ratio is the ratio of the medians, **differs** only when the two ranges do not "
             f"overlap. " + chance_note(n) +
             (f"Timed runs last {secs.group(1)} s. " if secs else "") +
             "Goals are issue 11's, printed for comparison.\n"]
    lines += ["### Benchmarks\n",
              "| figure | file system | write-through | reference | ratio | goal |",
              "|---|---|---|---|---|---|"]
    for fig, test, key, a, b, kind, goal, fses in KBENCH:
        for fs in fses:
            if not (K.has(fs, test, a) or K.has(fs, test, b)):
                continue
            sa, sb = K.spread(fs, test, a, key), K.spread(fs, test, b, key)
            rc, rv, mark = kratio_cell(sa, sb)
            ref = KPATH_LABEL.get(b, b)
            lines.append(f"| {fig} | {KFS_LABEL.get(fs, fs)} | {K.cell(fs, test, a, key, kind)} | "
                         f"{ref}: {K.cell(fs, test, b, key, kind)} | {rc} | {goal} |")
            srow("benchmarks", fig, fs, a, sa, b, sb, rv, mark, goal)
    for fs in ("xfs", "ext4"):
        if not K.has(fs, "dsync", "wt+dsync"):
            continue
        cells = []
        for p in ("wt+dsync", "direct+dsync"):
            why = K.unsupported(fs, "dsync", p)
            cells.append(why if why else
                         f"{fmt_spread(K.spread(fs, 'dsync', p, 'req'), 'f2')} / "
                         f"{fmt_spread(K.spread(fs, 'dsync', p, 'flush'), 'f2')}")
            for key in ("req", "flush"):
                srow("benchmarks", f"RWF_DSYNC overwrite QD1: device {'write requests' if key == 'req' else 'flushes'} per write",
                     fs, p, K.spread(fs, "dsync", p, key), "", None, None, "",
                     "1 (FUA)" if key == "req" else "0")
        lines.append(f"| RWF_DSYNC overwrite, QD1, volatile write cache: device write requests / "
                     f"flushes per write | {KFS_LABEL[fs]} | {cells[0]} | O_DIRECT + RWF_DSYNC: "
                     f"{cells[1]} | | 1 (FUA) / 0 |")
    lines.append("")
    lines.append(f"Device: write cache **{wc}** (`/sys/block/*/queue/write_cache`), FUA "
                 f"{'supported' if dev.get('fua') == '1' else 'not supported' if dev.get('fua') == '0' else '?'}, "
                 f"atomic write unit {dev.get('atomic_write_unit_min_bytes', '?')}-"
                 f"{dev.get('atomic_write_unit_max_bytes', '?')} bytes; {dev.get('ncpu', '?')} "
                 f"CPU{'s' if dev.get('ncpu') != '1' else ''} online in the guest"
                 f"{'; transparent huge pages ' + repr(dev['thp']) if dev.get('thp') else ''}. "
                 "CPU per write is the writing process's CPU time (user + system, `getrusage`: "
                 "the scheduler's exact run time, its io_uring workers included) over the run "
                 "divided by the writes; under TCG it is emulated CPU time, so only the ratio "
                 "means something. Not the guest's busy time from `/proc/stat` (still in "
                 "`kernel.csv`): the guest kernel samples that at each timer tick, which misses "
                 "much of a writer that runs for a fraction of a tick between device waits "
                 "(at QD1 it showed half to three quarters of the writer's own CPU, although it "
                 "counts every CPU). The reader reads random 4 KiB blocks of "
                 "the same file (cached first) through the page cache for the whole run, one "
                 "every 100 µs (paced, so that its reads sample the writer's lock windows "
                 "evenly). "
                 "The RWF_DSYNC row's reference O_DIRECT + RWF_DSYNC shows what a FUA write "
                 "looks like on this device. Write requests are the device's write I/Os "
                 "(`/sys/block/*/stat`): an empty write that only carries a cache flush (what "
                 "fdatasync sends) counts there as well, so a data write followed by a flush "
                 "shows 2 / 1 and a FUA write 1 / 0.\n")
    if wc != "write back":
        lines.append(f"**The device's write cache was '{wc}', not 'write back'**: its flush "
                     "figures do not show what a volatile cache costs.\n")
    cs = dev.get("clocksource", "")
    if cs:
        lines.append(f"Guest clocksource: `{cs}`.\n")
    if "jiffies" in cs:
        lines.append(f"**The guest kept time with `{cs}`**, whose clock moves in whole timer "
                     "ticks: the reader's latencies are multiples of a tick, and run times are "
                     "tick samples (vm/run.sh gives a TCG guest the host's TSC frequency to avoid "
                     "this; the host's TSC did not tick at a constant rate).\n")

    # Where write-through's CPU goes: its two halves measured alone.
    if any(K.has(fs, "qd1", "buffered") for fs in ("xfs", "ext4")):
        lines += ["### Where a write-through write's CPU goes\n",
                  "A write-through write is a buffered write (the copy into the page cache) "
                  "plus a direct write of the same blocks from it. The writing process's CPU "
                  "µs per 4 KiB overwrite at QD1, same rounds as above: plain buffered writes alone (no "
                  "fdatasync, so no writeback in the run: the copy's cost), O_DIRECT alone, "
                  "their sum (what the design costs at least), and write-through; the last "
                  "column is what the write-through engine adds on top of its two halves.\n",
                  "| file system | plain buffered (copy only) | O_DIRECT | sum | write-through | write-through / sum | engine's own µs (write-through - sum) |",
                  "|---|---|---|---|---|---|---|"]
        for fs in ("xfs", "ext4"):
            sb = K.spread(fs, "qd1", "buffered", "sub_us")
            sd = K.spread(fs, "qd1", "direct", "sub_us")
            sw = K.spread(fs, "qd1", "wt", "sub_us")
            if not (sb and sd and sw):
                continue
            tot = sb[0] + sd[0]
            lines.append(f"| {KFS_LABEL.get(fs, fs)} | {fmt_spread(sb, 'f1')} | "
                         f"{fmt_spread(sd, 'f1')} | {tot:.1f} | {fmt_spread(sw, 'f1')} | "
                         f"{sw[0] / tot:.2f} | {sw[0] - tot:.1f} |")
            srow("cpu", "CPU per write QD1: plain buffered copy", fs, "buffered", sb,
                 "", None, None, "", "")
        lines.append("")

    # QD1: the writer's CPU against its latency.
    q1 = [(fs, t) for t in ("qd1", "large") for fs in ("xfs", "ext4")
          if K.spread(fs, t, "wt", "off_us") and K.spread(fs, t, "direct", "off_us")]
    if q1:
        lines += ["### Synchronous writers: where the latency goes\n",
                  "A synchronous writer (one `pwritev2` at a time) is either running (its CPU "
                  "time, exact, from `getrusage`) or asleep waiting for the device and its wakeup "
                  "(the rest of each write's time). If write-through's extra latency is its extra "
                  "CPU, the two paths spend the same time off the CPU. 4 KiB writes at QD1, and "
                  "8 MiB writes, which write-through sends as 8 pieces of 1 MiB one after the "
                  "other (copy, device write, next piece): the time off the CPU is the most that "
                  "overlapping a piece's copy with the previous piece's device write could save. "
                  "Same runs as above; the last column is the difference of the medians.\n",
                  "| file system | writes | µs per write | write-through | O_DIRECT | write-through - O_DIRECT |",
                  "|---|---|---|---|---|---|"]
        for fs, t in q1:
            for key, name in (("us", "latency"), ("sub_us", "the writer's CPU"),
                              ("off_us", "off the CPU (latency - CPU)"),
                              ("nvcsw", "sleeps (voluntary context switches) per write")):
                sa, sb = K.spread(fs, t, "wt", key), K.spread(fs, t, "direct", key)
                if not (sa and sb):
                    continue
                kind = "f2" if key == "nvcsw" else "f1"
                diff = "" if key == "nvcsw" else f"{sa[0] - sb[0]:+.1f}"
                lines.append(f"| {KFS_LABEL.get(fs, fs)} | {'4 KiB, QD1' if t == 'qd1' else '8 MiB'} | "
                             f"{name} | {fmt_spread(sa, kind)} | {fmt_spread(sb, kind)} | {diff} |")
                rv, mark = compare(sa, sb)
                srow("sync-latency", f"{t} {name}", fs, "wt", sa, "direct", sb, rv, mark, "")
        lines.append("")

    # io_uring QD32: is the one submitting thread the limit?
    sub = [(fs, t, a, b) for fs, t, a, b in (("xfs", "qd32", "wt", "direct"),
                                             ("ext4", "qd32", "wt", "direct"),
                                             ("xfs", "atomic", "wt+atomic", "direct+atomic"),
                                             ("ext4-bigalloc", "atomic", "wt+atomic", "direct+atomic"))
           if K.spread(fs, t, a, "sub_us") and K.spread(fs, t, b, "sub_us")]
    if sub:
        lines += ["### io_uring QD32: the submitting thread\n",
                  "At QD32 one thread submits every write; io_uring issues a write-through "
                  "overwrite inline, so that thread also copies the data into the page cache and "
                  "starts the device write. The writing process's CPU time (user + system, "
                  "`getrusage`) over the run: that thread's, and that of io_uring's workers, which "
                  "issue the writes that would wait and belong to the process (so busy can pass 1), "
                  "and interrupts that hit them. **busy** is the share of one CPU used, **µs per "
                  "write** the CPU per write. A thread busy all the time cannot write faster than "
                  "1 / (its µs per write); if write-through's thread is busy all the time, the "
                  "ratio of the two paths' µs per write predicts their IOPS ratio. Same runs as "
                  "above.\n",
                  "| file system | writes | write-through: busy | µs per write | O_DIRECT: busy | µs per write | "
                  "predicted IOPS ratio (O_DIRECT µs / write-through µs) | measured IOPS ratio |",
                  "|---|---|---|---|---|---|---|---|"]
        for fs, t, a, b in sub:
            wa, wb = K.spread(fs, t, a, "sub_us"), K.spread(fs, t, b, "sub_us")
            ia, ib = K.spread(fs, t, a, "iops"), K.spread(fs, t, b, "iops")
            lines.append(f"| {KFS_LABEL.get(fs, fs)} | {'16 KiB RWF_ATOMIC' if 'atomic' in a else '4 KiB'} | "
                         f"{K.cell(fs, t, a, 'sub_busy', 'f2')} | {fmt_spread(wa, 'f1')} | "
                         f"{K.cell(fs, t, b, 'sub_busy', 'f2')} | {fmt_spread(wb, 'f1')} | "
                         f"{fmt(ratio(wb[0], wa[0]), 'f2')} | "
                         f"{fmt(None if not (ia and ib) else ratio(ia[0], ib[0]), 'f2')} |")
            srow("submitter", "io_uring QD32: submitting thread's CPU µs per write", fs, a, wa,
                 b, wb, ratio(wb[0], wa[0]), compare(wa, wb)[1], "")
        lines.append("")

    # O_DIRECT on a file right after write-through writes to it.
    after = [fs for fs in ("xfs", "ext4") if K.has(fs, "afterwt", "direct") and K.has(fs, "qd32", "direct")]
    if after:
        lines += ["### O_DIRECT after write-through\n",
                  "io_uring QD32 O_DIRECT overwrites of the file right after 1 s of write-through "
                  "writes to it (its clean page cache dropped with `fadvise(DONTNEED)`, the inode "
                  "kept in memory), against the O_DIRECT runs of the table above (caches dropped, "
                  "inode evicted). Writers wait for writeback, and xfs bounces direct I/O, only "
                  "while the file has write-through writes under way (stable writes, kernel patch "
                  "0027); the ratio should be 1.\n",
                  "| file system | figure | after write-through | fresh | ratio |", "|---|---|---|---|---|"]
        for fs in after:
            for key, name, kind in (("iops", "IOPS", "int"), ("sub_us", "the process's CPU µs per write", "f1")):
                sa, sb = K.spread(fs, "afterwt", "direct", key), K.spread(fs, "qd32", "direct", key)
                rc, rv, mark = kratio_cell(sa, sb)
                lines.append(f"| {fs} | {name} | {K.cell(fs, 'afterwt', 'direct', key, kind)} | "
                             f"{K.cell(fs, 'qd32', 'direct', key, kind)} | {rc} |")
                srow("afterwt", f"O_DIRECT QD32 after write-through / fresh: {name}", fs, "direct",
                     sa, "direct", sb, rv, mark, "1")
        lines.append("")

    # Table 2: the seeds.
    lines += ["### The seeds' write-path costs\n",
              "**Sync writes in large folios** (Wilcox's note): a file cached in folios of 64 KiB "
              "or 2 MiB (whole-file buffered writes of that size, then fsync; the sizes the page "
              "cache really holds, from `/proc/self/pagemap` and `/proc/kpageflags`, share of the "
              "file's bytes), then 4 KiB RWF_DSYNC overwrites at random offsets: device bytes "
              "written per write, the stock buffered path against write-through. Goal 1.00x "
              "(4,096 bytes) on both.\n",
              "| file system | folios asked | folios held (before / after the stock run) | stock O_DSYNC: bytes per write | write-through + RWF_DSYNC: bytes per write | stock / 4096 | write-through / 4096 | goal |",
              "|---|---|---|---|---|---|---|---|"]
    frows = [r for r in rows if r.get("test") == "folio"]
    fafter = {(r.get("fs"), r.get("folio_target_kib"), r.get("mode"), r.get("rep")): r.get("folios_after")
              for r in rows if r.get("test") == "folio-after"}

    def folio_text(v):
        if not v or v == "none":
            return "none cached"
        if v == "error":
            return "not read (folios failed)"
        return ", ".join(f"{int(k) // 1024 if int(k) >= 1024 else int(k)} {'MiB' if int(k) >= 1024 else 'KiB'} {p}%"
                         for k, p in (x.split(":") for x in v.split(",")))
    for fs in ("xfs", "ext4"):
        for tk in ("64", "2048"):
            sel = [r for r in frows if r.get("fs") == fs and r.get("folio_target_kib") == tk]
            if not sel:
                continue
            st = [r for r in sel if r.get("mode") == "buffered+dsync"]
            held = sorted({folio_text(r.get("folios_before")) for r in st}) or ["?"]
            after = sorted({folio_text(fafter.get((fs, tk, "buffered+dsync", r.get("rep")))) for r in st}) or ["?"]
            sp_s = spread([kmetric(r, "bytes") for r in st])
            sp_w = spread([kmetric(r, "bytes") for r in sel if r.get("mode") == "wt+dsync"])
            ws = [r for r in sel if r.get("mode") == "wt+dsync"]
            wcell = (f"{ws[0].get('status')} ({ws[0].get('reason')})" if ws and all(r.get("status") != "ok" for r in ws)
                     else fmt_spread(sp_w, "int"))
            asked = "64 KiB" if tk == "64" else "2 MiB"
            lines.append(f"| {fs} | {asked} | {' / '.join(['; '.join(held), '; '.join(after)])} | "
                         f"{fmt_spread(sp_s, 'int')} | {wcell} | "
                         f"{fmt(None if sp_s is None else sp_s[0] / 4096, 'f2')} | "
                         f"{fmt(None if sp_w is None else sp_w[0] / 4096, 'f2')} | 1.00 |")
            srow("seeds", f"O_DSYNC 4 KiB into {asked} folios: device bytes per write", fs,
                 "buffered+dsync", sp_s, "wt+dsync", sp_w, ratio(sp_s and sp_s[0], sp_w and sp_w[0]),
                 "", "1.00x of 4096")
    lines.append("")
    # 1 KiB overwrites.
    lines += ["**Small partial writes to large folios** (Jia Zhu's regression): 1 KiB overwrites "
              "at random 1 KiB offsets of the file cached in 2 MiB folios, for a fixed time: µs per "
              "call (plain buffered: no sync; write-through: each call waits for the device). Goal: "
              "no path of ours slower than plain buffered by more than the device round trip it "
              "adds (here: one QD1 O_DIRECT 4 KiB write on the same file system, median). Under "
              "TCG every µs is emulated time: compare within the table.\n",
              "| file system | plain buffered µs/call | write-through µs/call | write-through - buffered | device round trip (QD1 O_DIRECT µs/write) | within the goal |",
              "|---|---|---|---|---|---|"]
    for fs in ("xfs", "ext4"):
        if not K.has(fs, "u1k", "buffered"):
            continue
        sb = K.spread(fs, "u1k", "buffered", "us")
        sw = K.spread(fs, "u1k", "wt", "us")
        rt = K.spread(fs, "qd1", "direct", "us")
        diff = None if sb is None or sw is None else sw[0] - sb[0]
        within = "n/a" if diff is None or rt is None else ("yes" if diff <= rt[0] else "**no**")
        lines.append(f"| {fs} | {K.cell(fs, 'u1k', 'buffered', 'us', 'f2')} | "
                     f"{K.cell(fs, 'u1k', 'wt', 'us', 'f2')} | {fmt(diff, 'f2')} | "
                     f"{fmt_spread(rt, 'f1')} | {within} |")
        srow("seeds", "1 KiB overwrite of a cached file: µs per call", fs, "wt", sw, "buffered", sb,
             ratio(sw and sw[0], sb and sb[0]), compare(sw, sb)[1], "wt - buffered <= QD1 O_DIRECT round trip")
    lines.append("")
    # ext4 against xfs.
    lines += ["**ext4's 4 KiB direct-path cost** (Krisman): ext4 / xfs IOPS, the same runs as the "
              "table above. Goal: ext4 write-through >= 0.9x xfs write-through.\n",
              "| write path | queue | ext4 IOPS | xfs IOPS | ext4 / xfs | goal |",
              "|---|---|---|---|---|---|"]
    for p, test, q in (("direct", "qd1", "QD1"), ("direct", "qd32", "io_uring QD32"),
                       ("wt", "qd1", "QD1"), ("wt", "qd32", "io_uring QD32")):
        if not (K.has("ext4", test, p) and K.has("xfs", test, p)):
            continue
        se, sx = K.spread("ext4", test, p, "iops"), K.spread("xfs", test, p, "iops")
        rc, rv, mark = kratio_cell(se, sx)
        goal = ">= 0.9" if p == "wt" else ""
        lines.append(f"| {KPATH_LABEL[p]} | {q} | {K.cell('ext4', test, p, 'iops', 'int')} | "
                     f"{K.cell('xfs', test, p, 'iops', 'int')} | {rc} | {goal} |")
        srow("seeds", f"ext4 / xfs IOPS, {KPATH_LABEL[p]}, {q}", "ext4/xfs", "ext4", se, "xfs", sx,
             rv, mark, goal)
    lines.append("")
    lines.append("Every run: `kernel.csv` (one line per run and round); every cell: "
                 "`kernel-summary.csv`.\n")

    out = [["rep", "fs", "test", "mode", "qd", "threads", "bs", "status", "writes", "seconds",
            "iops", "us_per_write", "cpu_us_per_write", "dev_write_req_per_write",
            "dev_bytes_per_write", "dev_flush_per_write", "read_p50_us", "read_p99_us",
            "folio_target_kib", "folios_before", "process_cpu_us_per_write", "nvcsw_per_write"]]
    for r in rows:
        if r.get("test") == "folio-after":
            continue

        def g(key, f):
            v = kmetric(r, key)
            return "" if v is None else f.format(v)
        out.append([r.get("rep", ""), r.get("fs", ""), r.get("test", ""), r.get("mode", ""),
                    r.get("qd", ""), r.get("threads", ""), r.get("bs", ""),
                    r.get("status", "") + (f" ({r['reason']})" if r.get("reason") else ""),
                    r.get("writes", ""), r.get("seconds", ""), r.get("iops", ""),
                    r.get("us_per_write", ""), g("cpu_us", "{:.2f}"), g("req", "{:.4f}"),
                    g("bytes", "{:.1f}"), g("flush", "{:.4f}"), r.get("read_p50_us", ""),
                    r.get("read_p99_us", ""), r.get("folio_target_kib", ""),
                    r.get("folios_before", ""), g("sub_us", "{:.2f}"), g("nvcsw", "{:.3f}")])
    with open(os.path.join(results, "kernel.csv"), "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(out)
    with open(os.path.join(results, "kernel-summary.csv"), "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(summary)
    return lines


def kernel_section_single(results, rows):
    """The older kernel benchmark (one run per path and queue depth)."""
    for r in rows:
        r.setdefault("fs", "xfs")      # runs before the ext4 column existed
    names = {"wt": "write-through (RWF_WRITETHROUGH)", "wt-atomic": "write-through + RWF_ATOMIC",
             "direct": "O_DIRECT", "fdatasync": "buffered + fdatasync", "buffered": "buffered (one fdatasync at the end)"}
    lines = ["## Kernel: 4 KiB random overwrites\n",
             "A file on each file system on the NVMe device, overwritten at random 4 KiB offsets for a "
             "fixed time per run; QD1 with pwritev2, QD32 with io_uring. Device figures per "
             "application write.\n",
             "| file system | write path | QD | IOPS | IOPS / O_DIRECT | device write requests per write | device bytes per write | flushes per write |",
             "|---|---|---|---|---|---|---|---|"]
    out = [["fs", "mode", "qd", "status", "writes", "seconds", "iops", "ratio_to_direct",
            "dev_write_req_per_write", "dev_bytes_per_write", "dev_flush_per_write"]]
    direct = {(r["fs"], r.get("qd")): float(r["iops"]) for r in rows
              if r.get("mode") == "direct" and r.get("status") == "ok"}
    iops_of = {}
    for r in rows:
        qd = r.get("qd", "")
        fs = r["fs"]
        if r.get("status") != "ok":
            # "mode=wt-atomic status=unsupported (...)": the QD is not printed
            lines.append(f"| {fs} | {names.get(r.get('mode'), r.get('mode'))} | {qd or '?'} | unsupported | | | | |")
            out.append([fs, r.get("mode"), qd, "unsupported"] + [""] * 7)
            continue
        writes = int(r["writes"])
        iops = float(r["iops"])
        iops_of[(fs, r["mode"], qd)] = iops
        rd = iops / direct[(fs, qd)] if (fs, qd) in direct else None
        req = int(r["dev_write_req"]) / writes
        byt = int(r["dev_write_sectors"]) * SECTOR / writes
        fl = int(r["dev_flush"]) / writes
        lines.append(f"| {fs} | {names.get(r['mode'], r['mode'])} | {qd} | {iops:,.0f} | {fmt(rd, 'f2')} | "
                     f"{req:.2f} | {byt:,.0f} | {fl:.2f} |")
        out.append([fs, r["mode"], qd, "ok", writes, r["seconds"], r["iops"],
                    "" if rd is None else f"{rd:.4f}", f"{req:.4f}", f"{byt:.1f}", f"{fl:.4f}"])
    with open(os.path.join(results, "kernel.csv"), "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(out)
    pairs = sorted({(m, q) for (fs, m, q) in iops_of if fs == "ext4" and ("xfs", m, q) in iops_of},
                   key=lambda p: (int(p[1]), list(names).index(p[0]) if p[0] in names else 99))
    if pairs:
        lines += ["", "ext4 against xfs (IOPS ratio, same run):\n",
                  "| write path | QD | ext4 / xfs |", "|---|---|---|"]
        for m, q in pairs:
            lines.append(f"| {names.get(m, m)} | {q} | {iops_of[('ext4', m, q)] / iops_of[('xfs', m, q)]:.2f} |")
    lines.append("")
    return lines


def host_load(results):
    """A sentence on what else ran on the host during the run."""
    path = os.path.join(results, "host-load.txt")
    if not os.path.exists(path):
        return ""
    rows = [l.split() for l in open(path) if len(l.split()) == 3]
    if not rows:
        return ""
    loads = sorted(float(r[1]) for r in rows)
    # Our own QEMU is one of the QEMU processes counted.
    others = [max(0, int(r[2]) - 1) for r in rows]
    busy = sum(1 for o in others if o > 0)
    text = (f"Host during the run (sampled every 5 s): 1-minute load average median "
            f"{loads[len(loads) // 2]:.1f}, max {loads[-1]:.1f}; ")
    if busy:
        return text + (f"other QEMU virtual machines were running in {busy} of {len(rows)} samples "
                       f"({100 * busy / len(rows):.0f}%), max {max(others)} at once. Wall-clock "
                       "figures (TPS, latency, ms per segment, IOPS) suffer from that; "
                       "per-transaction and per-write counts do not.")
    return text + f"no other QEMU virtual machine ran in any of the {len(rows)} samples."


def writeback_section(results):
    """Issue 15's figures (bench/guest/writeback.sh): background writeback
    throughput with 1, 2 and 4 writeback contexts, per file system, median
    (range) over the rounds, with the guest's CPU, and the ratios to one
    context."""
    path = os.path.join(results, "raw", "writeback", "results.txt")
    if not os.path.exists(path):
        return []
    rows = [kv_line(l) for l in open(path) if l.strip()]
    rows = [r for r in rows if r.get("status") == "ok" and float(r.get("secs", 0) or 0) > 0
            and r.get("rep") != "warmup"]
    failed = sum(1 for l in open(path) if l.strip() and "status=ok" not in l)
    keys = ["rep", "fs", "shape", "contexts", "bytes", "secs", "busy_cpus", "cpu_s",
            "kworker_cpu_s", "kworker_max_share", "ncpu", "dev_write_req", "dev_write_sectors",
            "status"]
    out = [keys] + [[kv_line(l).get(k, "") for k in keys] for l in open(path) if l.strip()]
    with open(os.path.join(results, "writeback.csv"), "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(out)
    if not rows:
        return ["## Parallel writeback (issue 15)\n", f"No run finished ({failed} failed).", ""]

    def sel(fs, shape, n):
        return [r for r in rows if r["fs"] == fs and r["shape"] == shape and r["contexts"] == n]

    def mibs(r):
        return float(r["bytes"]) / 1048576 / float(r["secs"])

    def col(fs, shape, n, f):
        return spread([f(r) for r in sel(fs, shape, n)])
    fses = [f for f in ("xfs", "ext4") if any(r["fs"] == f for r in rows)]
    ctxs = sorted({r["contexts"] for r in rows}, key=int)
    r0 = rows[0]
    gib = float(r0["bytes"]) / 1073741824
    lines = ["## Parallel writeback (issue 15)\n",
             f"{fmt(gib, 'f2')} GiB written into the page cache in 4 KiB random writes (so in 4 KiB "
             "folios) with writeback held off, then background writeback let go and timed until "
             "Dirty + Writeback is under 2 MiB; a fresh file system per run, on the NVMe device; "
             "the number of writeback contexts (`/sys/class/bdi/<bdi>/writeback_contexts`) "
             "interleaved, each round starting with another. *many*: 16 files written by 4 "
             "processes; *one*: one file (one inode is always in one context: the no-regression "
             "row). Busy CPUs: the guest's non-idle CPU time over the interval divided by its "
             "length (2 vCPUs; nothing else runs); busiest worker: the largest share of the "
             "interval one kernel worker thread was on a CPU; kernel workers: the CPU time of "
             "every kworker thread (the flushers and the file systems' completion workers; "
             "interrupts are not in it). Median (lowest-highest) over the rounds.\n",
             "| file system | files | contexts | writeback MiB/s | busy CPUs | busiest worker | "
             "guest CPU s per GiB | kernel workers' CPU s per GiB |",
             "|---|---|---|---|---|---|---|---|"]
    for fs in fses:
        for shape in ("many", "one"):
            for n in ctxs:
                if not sel(fs, shape, n):
                    continue
                lines.append(f"| {fs} | {shape} | {n} | {fmt_spread(col(fs, shape, n, mibs), 'f1')} | "
                             f"{fmt_spread(col(fs, shape, n, lambda r: float(r['busy_cpus'])), 'f2')} | "
                             f"{fmt_spread(col(fs, shape, n, lambda r: float(r['kworker_max_share'])), 'f2')} | "
                             f"{fmt_spread(col(fs, shape, n, lambda r: float(r['cpu_s']) / (float(r['bytes']) / 1073741824)), 'f2')} | "
                             f"{fmt_spread(col(fs, shape, n, lambda r: float(r['kworker_cpu_s']) / (float(r['bytes']) / 1073741824)), 'f2')} |")
    lines += ["", "The last column bounds what more contexts can give when the work per byte stays the "
              "same: the guest's CPUs divided by the CPUs one context already keeps busy (median).\n",
              "| ratio of writeback throughput | file system | median ratio | ranges | goal | "
              "bound from the CPUs left idle by one context |", "|---|---|---|---|---|---|"]
    for fs in fses:
        for shape in ("many", "one"):
            for n in ctxs[1:]:
                if not sel(fs, shape, n) or not sel(fs, shape, "1"):
                    continue
                rv, how = compare(col(fs, shape, n, mibs), col(fs, shape, "1", mibs))
                goal = (">= 1.6" if n == "2" else "measured") if shape == "many" else "no regression"
                busy1 = col(fs, shape, "1", lambda r: float(r["busy_cpus"]))
                ncpu = spread([float(r["ncpu"]) for r in sel(fs, shape, "1") if r.get("ncpu")])
                bound = ratio(ncpu[0], busy1[0]) if ncpu and busy1 else None
                lines.append(f"| {shape}: {n} contexts / 1 | {fs} | {fmt(rv, 'f2')} | {how} | {goal} | "
                             f"{fmt(bound, 'f2') if bound else 'n/a'} |")
    if failed:
        lines += ["", f"{failed} run(s) did not finish (status in writeback.csv) and are left out."]
    lines.append("")
    return lines


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: bench/report.py RESULTS_DIR")
    results = os.path.abspath(sys.argv[1])
    RESULTS[:] = [results]
    m = machine(results)
    sp = os.path.join(results, "pg-settings.txt")
    settings = open(sp).read() if os.path.exists(sp) else ""
    lines = ["# wtsmgr benchmark\n",
             f"Command: `{m.get('command', '?')}` ({m.get('date', '?')}, commit {m.get('commit', '?')})\n",
             f"Machine: {m.get('host_cpu', '?')}, {m.get('host_cores', '?')} cores, "
             f"{m.get('host_memory', '?')}, host kernel {m.get('host_kernel', '?')}; "
             f"guest under QEMU {m.get('qemu', '?')} with **{m.get('accel', '?').upper()}**"
             f"{' (CPU model `' + m['qemu_cpu'] + '`)' if m.get('qemu_cpu') else ''}, "
             f"{m.get('guest', '?')}, kernel {m.get('guest_kernel', '?')}, "
             f"PostgreSQL {m.get('postgresql', '?')}.\n"]
    hl = host_load(results)
    if hl:
        lines.append(hl + "\n")
    wls = re.search(r"BENCH_WORKLOADS=(\S+)", m.get("settings", ""))
    wls = wls.group(1).split(",") if wls else ["tpcb"]
    for profile in ("cpu", "cloud"):
        for wl in [x for x in ("tpcb", "insert", "select") if x in wls]:
            lines += pgbench_section(results, m, settings, lines, profile, wl)
    lines += projection_section(m)
    lines += walinit_section(results)
    clines = checkpoint_section(results)
    lines += clines
    if clines:
        # The checkpoint section alone, with the run's header: what
        # bench/publish.sh publishes for a checkpoint-only run.
        with open(os.path.join(results, "checkpoint.md"), "w") as f:
            f.write("\n".join(lines[1:4 if hl else 3] + clines) + "\n")
    klines = kernel_section(results, m)
    lines += klines
    if klines:
        # The kernel section alone, with the run's header: what
        # bench/publish.sh publishes for a kernel-only run.
        with open(os.path.join(results, "kernel.md"), "w") as f:
            f.write("\n".join(lines[1:4 if hl else 3] + klines) + "\n")
    wlines = writeback_section(results)
    lines += wlines
    if wlines:
        # The writeback section alone, with the run's header: what
        # bench/publish.sh publishes for a writeback-only run.
        with open(os.path.join(results, "writeback.md"), "w") as f:
            f.write("\n".join(lines[1:4 if hl else 3] + wlines) + "\n")
    with open(os.path.join(results, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
