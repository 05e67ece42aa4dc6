#!/usr/bin/env python3
"""Time to the done marker of Debian's kernels (docs/linux.md): QEMU TCG,
tdpsim --model functional and --model timing, in the same run, on the same
kernel, initramfs and command line.

    bench/linux/bench.py [--build build] [--reps 3] [--only NAME] [--no-timing]

Each figure is the median of --reps process wall times from start to the
console line "tdpsim-marker: done" (the run is then left to power off).
The ratios tdpsim / QEMU travel between machines; the seconds do not. It is
a measurement, not a test: ctest never runs it. The kernels come from
scripts/fetch-linux.sh (TDPSIM_CACHE)."""

import argparse
import os
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
    """Seconds from start to the done marker on stdout, or None."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    took = None
    for line in p.stdout:
        if b"tdpsim-marker: done" in line:
            took = time.monotonic() - t0
            break
    p.kill()
    p.wait()
    return took


def median(f, reps):
    runs = [f() for _ in range(reps)]
    if any(r is None for r in runs):
        return None
    return statistics.median(runs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-timing", action="store_true", help="skip --model timing")
    a = ap.parse_args()
    cache = subprocess.run([os.path.join(SRC, "scripts/fetch-linux.sh"), "--print"],
                           capture_output=True, text=True, check=True).stdout.strip()
    tdpsim = os.path.join(a.build, "tdpsim")
    tmp = tempfile.mkdtemp(prefix="tdpsim-bench-linux-")
    initrd = {}
    print("| kernel | QEMU TCG s | functional s | x QEMU | timing s | x QEMU |")
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
        common = ["--kernel", k, "--initrd", initrd[busybox], "--append", append]
        qemu = median(lambda: time_to_done(
            ["qemu-system-x86_64", "-cpu", "max", "-m", "512", "-nographic", "-no-reboot",
             "-kernel", k, "-initrd", initrd[busybox], "-append", append]), a.reps)
        run = [tdpsim, "run"] + common + ["--mem", "512", "--model"]
        func = median(lambda: time_to_done(run + ["functional"]), a.reps)
        timing = None if a.no_timing else median(lambda: time_to_done(run + ["timing"]),
                                                 a.reps)

        def cell(v):
            return "-" if v is None else "%.1f" % v

        def ratio(v):
            return "-" if v is None or not qemu else "%.1f" % (v / qemu)
        print("| %s | %s | %s | %s | %s | %s |" % (name, cell(qemu), cell(func), ratio(func),
                                                   cell(timing), ratio(timing)))
        sys.stdout.flush()
    for f in initrd.values():
        os.unlink(f)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
