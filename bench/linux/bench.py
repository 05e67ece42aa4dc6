#!/usr/bin/env python3
"""Time to the done marker of Debian's kernels (docs/linux.md): QEMU TCG,
tdpsim --model functional and --model timing, in the same run, on the same
kernel, initramfs and command line; with --replay, a boot trace's replay
against the live timing run it was recorded from.

    bench/linux/bench.py [--build build] [--base BUILD] [--reps 3] [--only NAME]
                         [--no-timing] [--replay]

Each figure is the median of --reps runs from start to the console line
"tdpsim-marker: done" (the process is killed there): its wall time and its
CPU time (user + system, from the kernel's accounting of the killed child).
QEMU's wall time includes the time its guest idles in real time; tdpsim's
virtual time skips idling, so the CPU-time ratio is the one that compares
the work done. The runs of one kernel alternate between the programs, so
load on a shared machine falls on all of them alike. --base BUILD adds
that build's --model functional and --model timing (a before/after in the
same run). --replay records each kernel's timing boot once (`run --model
timing --record`), then times, alternating, the whole live timing run (to
power-off) and `tdpsim replay` of its trace (wall and CPU time of each
whole process), and gives the trace's bytes per access. The
ratios tdpsim / QEMU travel between machines; the seconds do not. It is a
measurement, not a test: ctest never runs it. The kernels come from
scripts/fetch-linux.sh (TDPSIM_CACHE)."""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))

# name, kernel, busybox, command line after console=ttyS0
CONFIGS = [
    ("amd64-4level", "vmlinuz-cloud-amd64", "busybox-amd64", "no5lvl"),
    ("amd64-5level", "vmlinuz-cloud-amd64", "busybox-amd64", ""),
    ("686-2level", "vmlinuz-686", "busybox-i386", "cryptomgr.notests"),
    ("686-pae", "vmlinuz-686-pae", "busybox-i386", "cryptomgr.notests"),
]


def time_to_done(argv):
    """(wall, CPU) seconds from start to the done marker on stdout, or None."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    took = None
    for line in p.stdout:
        if b"tdpsim-marker: done" in line:
            took = time.monotonic() - t0
            break
    p.kill()
    _, _, ru = os.wait4(p.pid, 0)
    p.returncode = -9
    p.stdout.close()
    return None if took is None else (took, ru.ru_utime + ru.ru_stime)


def time_whole(argv):
    """(wall, CPU) seconds of a whole run, or None if it failed."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    return time.monotonic() - t0, ru.ru_utime + ru.ru_stime


def medians(argvs, reps, timer=time_to_done):
    """{name: (median wall, median CPU) or None}, the programs alternating."""
    runs = {name: [] for name in argvs}
    for _ in range(reps):
        for name, argv in argvs.items():
            runs[name].append(timer(argv))
    out = {}
    for name, r in runs.items():
        out[name] = None if any(x is None for x in r) else (
            statistics.median(x[0] for x in r), statistics.median(x[1] for x in r))
    return out


def replay_table(tdpsim, tmp, name, common, reps):
    """Record the timing boot of @common once; time the live run and the
    replay of its trace, alternating; print their medians and the trace's
    bytes per access."""
    trace = os.path.join(tmp, "boot.trc")
    live = [tdpsim, "run"] + common + ["timing"]
    subprocess.run(live + ["--record", trace], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    info = subprocess.run([tdpsim, "trace", "info", trace], capture_output=True, text=True,
                          check=True).stdout
    n = sum(int(x) for x in re.findall(r"^(?:accesses|fetches) = (\d+)", info, re.M))
    size = int(re.search(r"^bytes = (\d+)", info, re.M).group(1))
    res = medians({"live timing": live, "replay": [tdpsim, "replay", trace]}, reps,
                  time_whole)
    os.unlink(trace)
    lv, rp = res["live timing"], res["replay"]
    print()
    print("| kernel | live timing wall s | CPU s | replay wall s | CPU s | live / replay "
          "wall | CPU | trace bytes | bytes per access |")
    print("|---|---|---|---|---|---|---|---|---|")
    if lv is None or rp is None:
        print("| %s | failed |" % name)
        return
    print("| %s | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %d | %.3f |" % (
        name, lv[0], lv[1], rp[0], rp[1], lv[0] / rp[0], lv[1] / rp[1], size,
        size / n if n else 0.0))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--base", help="another build whose --model functional and timing are "
                    "timed too")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-timing", action="store_true", help="skip --model timing")
    ap.add_argument("--replay", action="store_true",
                    help="also time the replay of each timing boot's trace against the live run")
    a = ap.parse_args()
    cache = subprocess.run([os.path.join(SRC, "scripts/fetch-linux.sh"), "--print"],
                           capture_output=True, text=True, check=True).stdout.strip()
    tdpsim = os.path.join(a.build, "tdpsim")
    tmp = tempfile.mkdtemp(prefix="tdpsim-bench-linux-")
    initrd = {}
    replays = []
    print("| kernel | program | wall s | CPU s | wall x QEMU | CPU x QEMU |")
    print("|---|---|---|---|---|---|")
    for name, kernel, busybox, extra in CONFIGS:
        if a.only not in name:
            continue
        k = os.path.join(cache, kernel)
        if busybox not in initrd:
            initrd[busybox] = os.path.join(tmp, busybox + ".cpio.gz")
            subprocess.run(["python3", os.path.join(SRC, "scripts/mkinitramfs.py"),
                            os.path.join(cache, busybox), initrd[busybox]], check=True)
        append = ("console=ttyS0 " + extra).strip()
        common = ["--kernel", k, "--initrd", initrd[busybox], "--append", append,
                  "--mem", "512", "--model"]
        argvs = {"QEMU TCG": ["qemu-system-x86_64", "-cpu", "max", "-m", "512", "-nographic",
                              "-no-reboot", "-kernel", k, "-initrd", initrd[busybox],
                              "-append", append]}
        if a.base:
            argvs["base functional"] = [os.path.join(a.base, "tdpsim"), "run"] + common + [
                "functional"]
        argvs["functional"] = [tdpsim, "run"] + common + ["functional"]
        if not a.no_timing:
            if a.base:
                argvs["base timing"] = [os.path.join(a.base, "tdpsim"), "run"] + common + [
                    "timing"]
            argvs["timing"] = [tdpsim, "run"] + common + ["timing"]
        res = medians(argvs, a.reps)
        qemu = res["QEMU TCG"]
        for prog, v in res.items():
            if v is None:
                print("| %s | %s | - | - | - | - |" % (name, prog))
                continue
            ratio = ["-", "-"] if not qemu else ["%.2f" % (v[i] / qemu[i]) for i in (0, 1)]
            print("| %s | %s | %.1f | %.1f | %s | %s |" % (name, prog, v[0], v[1], ratio[0],
                                                        ratio[1]))
        sys.stdout.flush()
        if a.replay:
            replays.append((name, common))
    for name, common in replays:
        replay_table(tdpsim, tmp, name, common, a.reps)
    for f in initrd.values():
        os.unlink(f)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
