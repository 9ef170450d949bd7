#!/usr/bin/env python3
"""Take QD1 writes apart in time, from bench/guest/qd1-trace.sh's traces.

Usage: bench/qd1-trace.py DIR [--writes-csv FILE]

DIR holds FS-MODE.trace files (ftrace text, global clock, with the
syscall, block, sched, irq and kprobe events the guest script enables).
Each pwritev2 of the wbench process is one write; for each the script
finds, in order, the device request's issue and completion, the
writer's first switch out, the wakeup after the completion and the
switch back in, and prints, per file system and path, the median and
90th percentile of these segments (µs):

  submit     pwritev2 entry -> device request issued (the CPU before
             the device: for write-through the copy into the page cache,
             the folio work and the direct I/O submission)
  device     request issued -> request completed (the device, including
             the interrupt's delivery)
  wake       request completed -> the writer runs again
  after      the writer runs again -> pwritev2 returns (completion work
             in the writer: the direct I/O completion, for write-through
             the folios leaving writeback)
  total      pwritev2 entry -> return
  on-cpu     time the writer was running during the call
  switches   times the writer went off the CPU during the call

and, for write-through, the kprobe landmarks in between when present
(iomap_writethrough entry, __iomap_dio_rw entry and return,
iomap_writethrough return).  Writes that are not of this shape (no
request, several requests) are counted and left out.
"""
import os
import re
import statistics
import sys

LINE = re.compile(r'^\s*(?P<task>.+?)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+\S+\s+'
                  r'(?P<ts>\d+\.\d+):\s+(?P<ev>[^:]+?):\s?(?P<rest>.*)$')
# sys_pwritev2(...) and "sys_pwritev2 -> 0x1000" are printed without the
# "event:" form
SYS = re.compile(r'^\s*(?P<task>.+?)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+\S+\s+'
                 r'(?P<ts>\d+\.\d+):\s+sys_pwritev2(?P<ret> -> )?')

SEGMENTS = ['submit', 'device', 'wake', 'after', 'total', 'on-cpu']
MARKS = [('wt_enter', 'entry -> iomap_writethrough'),
         ('dio_enter', 'entry -> __iomap_dio_rw'),
         ('dio_ret', '__iomap_dio_rw returns -> exit'),
         ('wt_ret', 'iomap_writethrough returns -> exit')]
MARK_NAMES = {k for k, _ in MARKS}


def parse(path):
    """Yield one dict per pwritev2 of the traced writer."""
    writer = None
    cur = None
    with open(path, errors='replace') as f:
        for line in f:
            if line.startswith('#'):
                continue
            m = SYS.match(line)
            if m and m.group('task').strip().endswith('wbench'):
                pid = int(m.group('pid'))
                ts = float(m.group('ts'))
                writer = writer or pid
                if pid != writer:
                    continue
                if not m.group('ret'):
                    cur = {'t0': ts, 'issues': 0, 'switches': 0,
                           'oncpu': 0.0, 'running_since': ts}
                elif cur is not None:
                    cur['exit'] = ts
                    cur['oncpu'] += ts - cur['running_since']
                    yield cur
                    cur = None
                continue
            m = LINE.match(line)
            if not m or cur is None:
                continue
            ev = m.group('ev').strip()
            rest = m.group('rest')
            ts = float(m.group('ts'))
            pid = int(m.group('pid'))
            if ev == 'block_rq_issue' and ' W' in rest[:20]:
                cur['issues'] += 1
                cur.setdefault('issue', ts)
            elif ev == 'block_rq_complete' and ' W' in rest[:20]:
                cur.setdefault('complete', ts)
            elif ev == 'sched_switch':
                if f'prev_pid={writer} ' in rest:
                    cur['switches'] += 1
                    cur['oncpu'] += ts - cur['running_since']
                    cur['running_since'] = None
                    cur.setdefault('out', ts)
                elif f'next_pid={writer} ' in rest:
                    cur['running_since'] = ts
                    if 'complete' in cur:
                        cur.setdefault('in', ts)
            elif ev in ('sched_wakeup', 'sched_waking'):
                if f'pid={writer} ' in rest and 'complete' in cur:
                    cur.setdefault(ev, ts)
            elif pid == writer and ev in MARK_NAMES:
                cur.setdefault(ev, ts)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def summarize(path):
    rows = {s: [] for s in SEGMENTS}
    marks = {k: [] for k, _ in MARKS}
    switches = []
    n = skipped = 0
    for w in parse(path):
        n += 1
        if w['issues'] != 1 or 'complete' not in w:
            skipped += 1
            continue
        us = 1e6
        run_again = w.get('in', w['complete'])
        rows['submit'].append((w['issue'] - w['t0']) * us)
        rows['device'].append((w['complete'] - w['issue']) * us)
        rows['wake'].append((run_again - w['complete']) * us)
        rows['after'].append((w['exit'] - run_again) * us)
        rows['total'].append((w['exit'] - w['t0']) * us)
        rows['on-cpu'].append(w['oncpu'] * us)
        switches.append(w['switches'])
        for k, _ in MARKS:
            if k in w:
                t = w[k]
                marks[k].append(((t - w['t0']) if k.endswith('enter')
                                 else (w['exit'] - t)) * us)
    return n, skipped, rows, marks, switches


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit(__doc__)
    d = sys.argv[1]
    files = sorted(f for f in os.listdir(d) if f.endswith('.trace'))
    if not files:
        sys.exit(f'qd1-trace.py: no .trace files in {d}')
    print('| run | writes (used) | ' + ' | '.join(
        f'{s} µs p50 (p90)' for s in SEGMENTS) + ' | switches out per write |')
    print('|---|---|' + '---|' * len(SEGMENTS) + '---|')
    details = []
    for f in files:
        n, skipped, rows, marks, switches = summarize(os.path.join(d, f))
        name = f[:-len('.trace')]
        if n - skipped == 0:
            print(f'| {name} | {n} (0) |' + ' |' * (len(SEGMENTS) + 1))
            continue
        cells = [f'{statistics.median(rows[s]):.1f} ({pct(rows[s], 90):.1f})'
                 for s in SEGMENTS]
        print(f'| {name} | {n} ({n - skipped}) | ' + ' | '.join(cells) +
              f' | {statistics.mean(switches):.2f} |')
        for k, label in MARKS:
            if marks[k]:
                details.append(f'{name}: {label}: p50 {statistics.median(marks[k]):.1f} µs')
    if details:
        print()
        for line in details:
            print('- ' + line)


if __name__ == '__main__':
    main()
