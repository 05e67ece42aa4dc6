#!/usr/bin/env python3
"""Trace benchmarks (issue 10, item 10): medians of --reps runs, ratios
measured in the same run, on this machine.

  replay vs bare decode   replay throughput (accesses/s) / `trace info --decode`'s
  replay vs live          live timing run time / replay time of its trace
  record overhead         live run with --record / without
  bytes per access        per trace (pagetest modes, a host dimension, a TD)
  replay peak RSS         on a trace of N bench passes and of 10 N

Each figure is a process's wall time (os.wait4), so start-up is included on
both sides of every ratio. Usage:

  bench/trace/bench.py [--build build] [--reps 3] [--passes 100]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time


def run(argv):
    """Wall seconds, peak RSS (KiB), stdout of one process."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.stdout.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 1):
        sys.exit(f"bench: {' '.join(argv)}: exit {p.returncode}")
    return time.monotonic() - t0, ru.ru_maxrss, out.decode()


def median(argv, reps):
    runs = [run(argv) for _ in range(reps)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def info(tdpsim, trace):
    out = run([tdpsim, "trace", "info", trace])[2]
    acc = int(re.search(r"^accesses = (\d+)", out, re.M).group(1))
    fet = int(re.search(r"^fetches = (\d+)", out, re.M).group(1))
    size = int(re.search(r"^bytes = (\d+)", out, re.M).group(1))
    return acc + fet, size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--passes", type=int, default=100)
    a = ap.parse_args()
    tdpsim = os.path.join(a.build, "tdpsim")
    tmp = tempfile.mkdtemp(prefix="tdpsim-bench-")
    trace = os.path.join(tmp, "bench.trc")
    append = f"mode=4level bench={a.passes}"

    live, _, _ = median([tdpsim, "run", "--append", append], a.reps)
    rec, _, _ = median([tdpsim, "run", "--append", append, "--record", trace], a.reps)
    rep, rss1, _ = median([tdpsim, "replay", trace], a.reps)
    dec, _, _ = median([tdpsim, "trace", "info", "--decode", trace], a.reps)
    acc, size = info(tdpsim, trace)
    print(f"guest: pagetest {append} ({acc} accesses, trace {size} bytes)")
    print(f"live timing run          {live:8.3f} s")
    print(f"live run with --record   {rec:8.3f} s   record overhead {rec / live:.2f}x")
    print(f"replay                   {rep:8.3f} s   {acc / rep / 1e6:.1f} M accesses/s; "
          f"{live / rep:.2f}x faster than live")
    print(f"bare decode              {dec:8.3f} s   {acc / dec / 1e6:.1f} M accesses/s; "
          f"replay = {dec / rep:.2f}x of the decode's throughput")

    long_trace = os.path.join(tmp, "long.trc")
    run([tdpsim, "run", "--append", f"mode=4level bench={10 * a.passes}",
         "--record", long_trace])
    _, rss10, _ = median([tdpsim, "replay", long_trace], 1)
    acc10, _ = info(tdpsim, long_trace)
    print(f"replay peak RSS          {rss1} KiB ({acc} accesses), {rss10} KiB "
          f"({acc10} accesses, 10x passes): {rss10 / rss1:.2f}x")

    print("\nbytes per access (pagetest traces)")
    cases = [("2level", []), ("2level-pse", []), ("pae", []), ("4level", []), ("5level", []),
             ("4level", ["--host", "ept4"]), ("4level tdx", ["--gpaw", "48"])]
    for mode, extra in cases:
        t = os.path.join(tmp, "m.trc")
        run([tdpsim, "run", "--append", f"mode={mode}", "--record", t] + extra)
        acc, size = info(tdpsim, t)
        print(f"  mode={mode:<11} {' '.join(extra):<10} {size:7d} bytes  {acc:8d} accesses  "
              f"{size / acc:.4f} B/access")
        os.unlink(t)
    for f in (trace, long_trace):
        os.unlink(f)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
