#!/usr/bin/env python3
"""Turn a crash campaign's raw results into results.md and crash.png.

Usage: report.py OUTDIR
Reads OUTDIR/raw/crash-kernel/summary.tsv and
OUTDIR/raw/crash-postgres/summary.tsv (either may be missing), writes
OUTDIR/results.md and, when gnuplot is there, OUTDIR/crash.png (the
share of crash points with a finding, per configuration).
Exit status 0 when the campaign holds (no finding for a protected
configuration, findings for every control), 1 when it does not, 2 when
there is nothing to report.
"""
import csv
import os
import subprocess
import sys

CONTROLS_KERNEL = ("wt", "buffered")   # non-atomic write modes


def read(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def pct(a, b):
    return "%.1f%%" % (100.0 * a / b) if b else "-"


def main():
    if len(sys.argv) != 2:
        print("usage: report.py OUTDIR", file=sys.stderr)
        return 2
    out = sys.argv[1]
    kern = read(os.path.join(out, "raw", "crash-kernel", "summary.tsv"))
    pg = read(os.path.join(out, "raw", "crash-postgres", "summary.tsv"))
    if not kern and not pg:
        print("report.py: no summary.tsv under %s/raw" % out, file=sys.stderr)
        return 2
    ok = True
    md = ["# Power-cut crash campaign", ""]
    info = os.path.join(out, "info.txt")
    if os.path.exists(info):
        md += ["```", open(info).read().strip(), "```", ""]
    plot = []
    if kern:
        md += ["## Kernel level: is a write ever torn?", "",
               "Each crash point rebuilds the device from the dm-log-writes log "
               "under the power-cut model and checks every slot of the file: a slot "
               "is torn when its sectors come from more than one write.", "",
               "| fs | configuration | crash points | torn | share | errors | "
               "points with a partly applied write | atomic / other log entries on the file | writes | check | verdict |",
               "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in kern:
            n, t, e = int(r["crash_points"]), int(r["torn_points"]), int(r["errors"])
            control = r["config"].split("-")[0] in CONTROLS_KERNEL
            if control:
                good = n > 0 and e == 0 and t > 0
                verdict = "control: tears found" if good else "control BLIND: no tear"
            else:
                good = n > 0 and e == 0 and t == 0
                verdict = "never torn" if good else "TORN"
            ok &= good
            md.append("| %s | %s | %d | %d | %s | %d | %s | %s / %s | %s | %s | %s |" % (
                r["fs"], r["config"], n, t, pct(t, n), e, r["points_with_partial_writes"],
                r["atomic_entries"], r["other_entries"], r["writes"], r.get("check", "mount"),
                verdict))
            plot.append(("%s %s (%d/%d)" % (r["fs"], r["config"], t, n), 100.0 * t / n if n else 0))
        seeds = sorted({r["seed"] for r in kern})
        md += ["", "Seed(s): %s. A failing point is rebuilt with `replay run --point ENTRY "
               "--seed SEED --start-mark start LOG TARGET`." % ", ".join(seeds), ""]
    if pg:
        md += ["## PostgreSQL: recovery after a power cut", "",
               "Each crash point rebuilds the device, PostgreSQL recovers, and the "
               "result is checked: every commit the client saw acknowledged before "
               "the crash point is there, pgbench's balances add up, pg_amcheck "
               "--heapallindexed and pg_checksums find nothing. The control (stock "
               "PostgreSQL with full_page_writes off) must fail at some points; in "
               "make check's short campaign it stops at its first failure.", "",
               "| fs | configuration | crash points | failed points | failed recoveries | "
               "lost commits | invariant | amcheck | checksums | commits | transactions | verdict |",
               "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in pg:
            n, f = int(r["crash_points"]), int(r["failed_points"])
            if r["config"] == "unsafe":
                good = n > 0 and f > 0
                verdict = "control: failures found" if good else "control BLIND"
            else:
                good = n > 0 and f == 0
                verdict = "clean" if good else "FAILED"
            ok &= good
            md.append("| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["fs"], r["config"], n, f, r["recovery_failures"], r["lost_commits"],
                r["invariant_failures"], r["amcheck_failures"], r["checksum_failures"],
                r["commits"], r["transactions"], verdict))
            plot.append(("pg %s %s (%d/%d)" % (r["fs"], r["config"], f, n), 100.0 * f / n if n else 0))
        md.append("")
    md += ["## What the model covers", "",
           "- Covered: a power cut at any logged write. Everything before the last "
           "completed flush is on the device (a FUA write once it completed); every "
           "later completed write is independently lost, written, or, unless it carried "
           "REQ_ATOMIC, written in part (a random subset of its 4 KiB blocks).",
           "- Covered: anything that reaches the device without REQ_ATOMIC (writeback of "
           "a page that an atomic write left dirty, a split atomic write) is torn like "
           "any other write: the oracle would see it.",
           "- Not covered: a device that loses or reorders writes across a completed "
           "flush, or that tears an atomic write (the NVMe's AWUPF is taken on trust); "
           "a power cut in the middle of a write that had not completed (the model "
           "treats it as not written); media errors; the page cache of other processes.",
           "- The PostgreSQL control may miss a torn page whose two halves did not both "
           "change; it is the atomic configurations' zero that matters, and the control "
           "shows that the check can see tears at all.", ""]
    open(os.path.join(out, "results.md"), "w").write("\n".join(md))
    if plot:
        dat = os.path.join(out, "crash.dat")
        with open(dat, "w") as f:
            for name, v in plot:
                f.write('"%s" %.2f\n' % (name, v))
        gp = ("set terminal pngcairo size 1000,%d font ',9'\n"
              "set output '%s'\nset style fill solid 0.7\nset boxwidth 0.7\n"
              "set xrange [0:100]\nset yrange [-1:%d]\nset xlabel 'crash points with a finding (%%)'\n"
              "set title 'Power-cut campaign: torn writes (kernel) and failed checks (PostgreSQL)'\n"
              "unset key\nset grid x\n"
              "plot '%s' using ($2*0.5):0:($2*0.5):(0.35):yticlabels(1) with boxxyerror\n"
              % (120 + 28 * len(plot), os.path.join(out, "crash.png"), len(plot), dat))
        try:
            subprocess.run(["gnuplot"], input=gp, text=True, check=True,
                           capture_output=True)
        except (OSError, subprocess.CalledProcessError) as e:
            print("report.py: no plot (%s)" % e, file=sys.stderr)
    print("\n".join(md))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
