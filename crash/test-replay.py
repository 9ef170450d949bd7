#!/usr/bin/env python3
"""Host tests of crash/progs/replay on synthetic dm-log-writes logs.

Each test writes a log in the kernel's format (see crash/progs/logwrites.h)
whose write entries fill 4-block slots with their own entry number, runs
replay on a target file with this script as the --exec check, and checks
the power-cut model: atomic entries are never applied in part, non-atomic
ones are, nothing after the crash point appears, nothing before the last
flush is lost, and a seed plus an entry number rebuild one image exactly.

Usage: test-replay.py REPLAY_BINARY
Prints "ok N - ..." lines and "N passed, N failed"; exit 1 on failure.
(Run with --check MODE LOGMETA as the --exec command of replay.)
"""
import hashlib
import json
import os
import re
import random
import struct
import subprocess
import sys
import tempfile

SS = 4096
BLOCKS = 4          # blocks per slot
SLOTS = 8
MAGIC = 0x6a736677736872
FLUSH, FUA, DISCARD, MARK, META, ATOMIC = (1 << i for i in range(6))


def block(entry, slot, b, sub=None):
    """A block of write `entry` to `slot`: every 512 bytes name the entry."""
    out = b""
    for s in range(SS // 512):
        out += struct.pack("<QQQ", entry, slot, b * 8 + s).ljust(512, b"\x5a")
    return out


def write_log(path, entries):
    """entries: dicts with sector, nr, flags, data (bytes) or mark (str)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<QQQI", MAGIC, 1, len(entries), SS).ljust(SS, b"\0"))
        for e in entries:
            mark = e.get("mark", "").encode()
            hdr = struct.pack("<QQQQ", e.get("sector", 0), e.get("nr", 0),
                              e["flags"], len(mark)) + mark
            f.write(hdr.ljust(SS, b"\0"))
            if not e["flags"] & (MARK | DISCARD):
                f.write(e.get("data", b""))


def make_log(path, atomic, batches=16, per_batch=4, seed=1, fua_every=0):
    """A prefill of every slot, a start mark, then batches of slot writes,
    each batch closed by a flush.  Returns the metadata the check needs."""
    rng = random.Random(seed)
    entries, meta = [], []
    def wr(slot, flags):
        n = len(entries)
        data = b"".join(block(n, slot, b) for b in range(BLOCKS))
        entries.append(dict(sector=slot * BLOCKS, nr=BLOCKS, flags=flags, data=data))
        meta.append(dict(kind="w", slot=slot, flags=flags))
    for s in range(SLOTS):
        wr(s, 0)
    entries.append(dict(flags=FLUSH)); meta.append(dict(kind="f", flags=FLUSH))
    entries.append(dict(flags=MARK, mark="start")); meta.append(dict(kind="m", flags=MARK))
    for bi in range(batches):
        for i in range(per_batch):
            fl = ATOMIC if atomic else 0
            if fua_every and (bi * per_batch + i) % fua_every == 0:
                fl |= FUA
            wr(rng.randrange(SLOTS), fl)
        entries.append(dict(flags=FLUSH)); meta.append(dict(kind="f", flags=FLUSH))
    write_log(path, entries)
    return meta


def check(mode, metapath):
    """The --exec check: 0 consistent, 1 a finding, 2 an error."""
    meta = json.load(open(metapath))
    point = int(os.environ["CRASH_POINT"])
    target = os.environ["CRASH_TARGET"]
    img = open(target, "rb").read()
    if mode == "sha":
        with open(metapath + ".sha", "a") as f:
            f.write("%d %s\n" % (point, hashlib.sha256(img).hexdigest()))
        return 0
    last_flush = max(i for i in range(point + 1) if meta[i]["kind"] == "f")
    bad = 0
    sub_torn = False
    for s in range(SLOTS):
        ids = []
        for b in range(BLOCKS):
            off = (s * BLOCKS + b) * SS
            subs = {struct.unpack_from("<Q", img, off + k * 512)[0] for k in range(8)}
            if len(subs) > 1:
                sub_torn = True
            ids.append(struct.unpack_from("<Q", img, off)[0])
        writes = [i for i, m in enumerate(meta) if m["kind"] == "w" and m["slot"] == s]
        durable = [i for i in writes if i < last_flush or
                   (meta[i]["flags"] & FUA and i <= point)]
        floor = max(durable) if durable else -1
        for i in ids:
            if i > point or i not in writes:
                print("slot %d holds entry %d, which is not a write to it before the point" % (s, i))
                return 2
            if i < floor:
                print("slot %d lost durable entry %d (holds %d)" % (s, floor, i))
                return 2
        if mode == "torn" and len(set(ids)) > 1:
            bad += 1
    if mode == "sub":
        return 1 if sub_torn else 0
    return 1 if bad else 0


class T:
    n = passed = failed = 0

    @classmethod
    def ok(cls, cond, desc, detail=""):
        cls.n += 1
        if cond:
            cls.passed += 1
            print("ok %d - %s" % (cls.n, desc))
        else:
            cls.failed += 1
            print("not ok %d - %s" % (cls.n, desc))
            for l in str(detail).splitlines()[-15:]:
                print("#   " + l)


def replay(binary, *args):
    p = subprocess.run([binary] + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def results(path):
    rows = [l.rstrip("\n").split("\t") for l in open(path)][1:]
    return [dict(entry=int(r[1]), torn=int(r[6]), status=int(r[8])) for r in rows]


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    binary = sys.argv[1]
    me = os.path.abspath(__file__)
    d = tempfile.mkdtemp(prefix="replay-test.")
    target = os.path.join(d, "target")

    def run_case(name, atomic, mode, *extra, fua_every=0):
        log = os.path.join(d, name + ".log")
        meta = make_log(log, atomic, fua_every=fua_every)
        mp = os.path.join(d, name + ".json")
        json.dump(meta, open(mp, "w"))
        open(target, "wb").write(b"\0" * SLOTS * BLOCKS * SS)
        res = os.path.join(d, name + ".tsv")
        rc, out = replay(binary, "run", "--start-mark", "start", "--results", res,
                         "--exec", "%s %s --check %s %s" % (sys.executable, me, mode, mp),
                         *extra, log, target)
        return rc, out, log, mp, res

    # 1. atomic entries are never torn, at every entry of the log
    rc, out, _, _, res = run_case("atomic", True, "torn", "--points", "100000", "--seed", "7")
    rows = results(res)
    T.ok(rc == 0 and rows and all(r["status"] == 0 for r in rows),
         "atomic log: no torn slot at any of %d crash points" % len(rows), out)
    T.ok(all(r["torn"] == 0 for r in rows), "atomic log: no entry applied in part", out)

    # 2. the same log without the atomic flag tears (the oracle can see)
    rc, out, log, mp, res = run_case("plain", False, "torn", "--points", "100000", "--seed", "7")
    rows = results(res)
    torn = [r for r in rows if r["status"] == 1]
    T.ok(rc == 1 and len(torn) >= len(rows) // 5,
         "plain log: torn slots at %d of %d crash points (>= 20%%)" % (len(torn), len(rows)), out)
    T.ok(all(r["status"] in (0, 1) for r in rows),
         "plain log: no write after the crash point appears, no write before the last flush is lost",
         out)
    T.ok("repeat with: replay run --point" in out, "a failure prints how to repeat it", out)

    # 3. --point N --seed S rebuilds exactly the image of the full run
    p = torn[len(torn) // 2]["entry"] if torn else 50
    open(mp + ".sha", "w").close()
    open(target, "wb").write(b"\0" * SLOTS * BLOCKS * SS)
    replay(binary, "run", "--start-mark", "start", "--points", "100000", "--seed", "7",
           "--exec", "%s %s --check sha %s" % (sys.executable, me, mp), log, target)
    full = dict(l.split() for l in open(mp + ".sha"))
    open(mp + ".sha", "w").close()
    rc, out = replay(binary, "run", "--start-mark", "start", "--point", str(p), "--seed", "7",
                     "--exec", "%s %s --check sha %s" % (sys.executable, me, mp), log, target)
    one = dict(l.split() for l in open(mp + ".sha"))
    T.ok(rc == 0 and one.get(str(p)) == full.get(str(p)) and full.get(str(p)),
         "--point %d --seed 7 rebuilds the same image as the full run" % p, out)
    rc, out = replay(binary, "run", "--start-mark", "start", "--points", "100000", "--seed", "8",
                     "--exec", "%s %s --check sha %s" % (sys.executable, me, mp), log, target)
    other = dict(l.split() for l in open(mp + ".sha"))
    T.ok(any(other.get(k) != v for k, v in full.items()), "another seed makes other images", out)

    # 4. 512-byte granularity tears inside a block; the default does not
    rc, out, *_ = run_case("sub", False, "sub", "--points", "100000", "--seed", "3",
                           "--granularity", "512")
    T.ok(rc == 1, "--granularity 512 tears inside 4 KiB blocks", out)
    rc, out, *_ = run_case("sub4k", False, "sub", "--points", "100000", "--seed", "3")
    T.ok(rc == 0, "the default granularity (the log's sector size) keeps blocks whole", out)

    # 5. FUA entries after the last flush are applied whole, always
    rc, out, _, _, res = run_case("fua", False, "durable", "--points", "100000", "--seed", "5",
                                  fua_every=3)
    T.ok(rc == 0, "FUA writes after the last flush are never lost or torn", out)

    # 6. --batch-end puts every crash point right before a flush
    rc, out, log2, mp2, res = run_case("batch", False, "torn", "--points", "10", "--seed", "4",
                                       "--batch-end")
    meta = json.load(open(mp2))
    rows = results(res)
    T.ok(rows and all(meta[r["entry"] + 1]["kind"] == "f" for r in rows),
         "--batch-end: every crash point is the last entry before a flush", out)

    rc, out, *_ = run_case("stop", False, "torn", "--points", "100000", "--seed", "7",
                           "--stop-after", "2")
    T.ok(rc == 1 and ", 2 failed," in out and "100000" not in out,
         "--stop-after 2 stops at the second failed crash point", out)

    # 6b. a discard reads back as zeroes; in a target file it is a hole
    dlog = os.path.join(d, "discard.log")
    ents = [dict(sector=s * BLOCKS, nr=BLOCKS, flags=0,
                 data=b"".join(block(s, s, b) for b in range(BLOCKS))) for s in range(SLOTS)]
    ents += [dict(flags=FLUSH), dict(flags=MARK, mark="start"),
             dict(sector=2 * BLOCKS, nr=BLOCKS, flags=DISCARD), dict(flags=FLUSH),
             dict(sector=3 * BLOCKS, nr=BLOCKS, flags=0,
                  data=b"".join(block(99, 3, b) for b in range(BLOCKS))), dict(flags=FLUSH)]
    write_log(dlog, ents)
    open(target, "wb").write(b"\0" * SLOTS * BLOCKS * SS)
    probe = os.path.join(d, "discard.out")
    rc, out = replay(binary, "run", "--start-mark", "start", "--point", str(len(ents) - 1),
                     "--exec", "od -v -An -tx1 -j %d -N %d \"$CRASH_TARGET\" | sort -u >%s; "
                     "od -v -An -tx1 -j %d -N 512 \"$CRASH_TARGET\" | sort -u | wc -l >>%s; "
                     "stat -c %%b \"$CRASH_TARGET\" >>%s"
                     % (2 * BLOCKS * SS, BLOCKS * SS, probe, 1 * BLOCKS * SS, probe, probe),
                     dlog, target)
    lines = open(probe).read().split("\n") if os.path.exists(probe) else []
    zero = " 00" * 16
    T.ok(rc == 0 and len(lines) >= 3 and lines[0].strip() == zero.strip() and int(lines[1]) > 1,
         "a durable discard reads back as zeroes, its neighbours keep their data", out + repr(lines))
    T.ok(len(lines) >= 3 and int(lines[2]) * 512 <= (SLOTS - 1) * BLOCKS * SS,
         "a discard in a target file leaves a hole (the image stays sparse)", repr(lines))

    # 7. errors: each is a clear message and exit 2
    bad = os.path.join(d, "bad.log")
    open(bad, "wb").write(b"\0" * SS * 2)
    rc, out = replay(binary, "info", bad)
    T.ok(rc == 2 and "not a dm-log-writes log" in out, "a file that is no log: exit 2, said so", out)
    rc, out = replay(binary, "run", "--start-mark", "nosuch", log, target)
    T.ok(rc == 2 and "no mark 'nosuch'" in out, "an unknown start mark: exit 2, said so", out)
    rc, out = replay(binary, "run", "--point", "3", "--start-mark", "start", log, target)
    T.ok(rc == 2 and "not an entry after the start" in out, "a crash point before the start: exit 2", out)
    rc, out = replay(binary, "run", "--granularity", "1000", log, target)
    T.ok(rc == 2 and "power of two" in out, "a bad granularity: exit 2", out)
    trunc = os.path.join(d, "trunc.log")
    open(trunc, "wb").write(open(log, "rb").read()[: SS * 40])
    rc, out = replay(binary, "info", trunc)
    T.ok(rc == 2 and "past the end of the log" in out, "a truncated log: exit 2, said so", out)
    rc, out = replay(binary, "run", "--start-mark", "start", "--points", "5", "--exec", "exit 3",
                     log, target)
    T.ok(rc == 2 and "5 crash points, 0 consistent, 0 failed, 5 errors" in out,
         "a check that errors (exit 3) is counted as an error, not a finding", out)
    rc, out = replay(binary, "info", log)
    T.ok(rc == 0 and "mark start" in out and "flush 17" in out, "info lists marks and flushes", out)
    # the log's used length: what a copy of the log must keep
    m = re.search(r"^log bytes (\d+)$", out, re.M)
    T.ok(m is not None, "info prints the log's used length", out)
    used = int(m.group(1)) if m else 0
    with open(log, "rb") as f:
        whole = f.read()
    for cut, want in ((used, 0), (used - 512, 2)):
        part = os.path.join(d, "cut-%d.log" % cut)
        with open(part, "wb") as f:
            f.write(whole[:cut])
        rc2, out2 = replay(binary, "info", part)
        T.ok(rc2 == want and (want != 0 or out2 == out),
             "a copy of the log's first %s bytes reads %s" %
             ("used" if want == 0 else "used - 512", "the same" if want == 0 else "as truncated"),
             out2)

    # 8. the report: verdicts and exit status from the summaries
    report = os.path.join(os.path.dirname(me), "report.py")
    def rep(kern_rows, pg_rows):
        o = tempfile.mkdtemp(dir=d)
        for part, rows, head in (
                ("crash-kernel", kern_rows, "fs config crash_points torn_points errors "
                 "points_with_partial_writes atomic_entries other_entries writes check seed"),
                ("crash-postgres", pg_rows, "fs config crash_points failed_points "
                 "recovery_failures lost_commits invariant_failures amcheck_failures "
                 "checksum_failures commits transactions seed")):
            if rows is None:
                continue
            os.makedirs(os.path.join(o, "raw", part))
            with open(os.path.join(o, "raw", part, "summary.tsv"), "w") as f:
                f.write("\t".join(head.split()) + "\n")
                for r in rows:
                    f.write("\t".join(r.split()) + "\n")
        p = subprocess.run([sys.executable, report, o], capture_output=True, text=True)
        md = open(os.path.join(o, "results.md")).read() if p.returncode != 2 else ""
        return p.returncode, md, p.stdout + p.stderr
    good_k = ["xfs atomic-16k 100 0 0 0 300 0 300 mount 1", "xfs wt-16k 100 40 0 45 0 300 300 mount 1"]
    good_p = ["xfs wtsmgr 5 0 0 0 0 0 0 90 3000 1", "xfs unsafe 3 1 1 0 0 0 0 90 3000 1",
              "xfs stock 5 0 0 0 0 0 0 90 3000 1"]
    rc, md, out = rep(good_k, good_p)
    T.ok(rc == 0 and "| xfs | atomic-16k | 100 | 0 | 0.0% |" in md and "never torn" in md
         and "control: failures found" in md, "report: a good campaign, both tables, exit 0", out)
    rc, md, out = rep(["xfs atomic-16k 100 2 0 2 300 0 300 mount 1"] + good_k[1:], good_p)
    T.ok(rc == 1 and "TORN" in md, "report: a torn atomic write is a failure", out)
    rc, md, out = rep(good_k[:1] + ["xfs wt-16k 100 0 0 45 0 300 300 mount 1"], None)
    T.ok(rc == 1 and "BLIND" in md, "report: a control that finds nothing is a failure", out)
    rc, md, out = rep(None, good_p[:1] + ["xfs unsafe 16 0 0 0 0 0 0 90 3000 1"] + good_p[2:])
    T.ok(rc == 1 and "control BLIND" in md, "report: a blind PostgreSQL control is a failure", out)
    rc, md, out = rep(None, None)
    T.ok(rc == 2 and "no summary.tsv" in out, "report: nothing to report, exit 2", out)

    subprocess.run(["rm", "-rf", d])
    print("%d passed, %d failed" % (T.passed, T.failed))
    sys.exit(1 if T.failed else 0)


if __name__ == "__main__":
    main()
