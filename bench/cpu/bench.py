#!/usr/bin/env python3
"""Guest MIPS of pagetest's memory loop (bench=N): tdpsim against bare Unicorn.

  (a) tdpsim run --model functional   vs  Unicorn, own MMU (UC_TLB_CPU), no hooks
  (b) tdpsim run --model timing       vs  Unicorn, own MMU, an empty memory hook
  (c) qemu-system-x86_64 (TCG), for context

Each configuration runs the kernel with bench=N and with bench=1; the
difference of the two wall times is the loop's time (boot and set-up cancel).
The loop's instruction count is measured once with uc_baseline --count
(a UC_HOOK_CODE counter) at 10 and 20 passes and extrapolated (the loop is
linear in its passes; both print numbers of the same width). Rounds interleave the configurations, so each ratio
comes from the same session; reported figures are medians over the rounds.
Every run must print the same checksum line as the others for the same N.

With --also NAME=DIR, the tdpsim of another build tree (an older commit,
say) runs in the same rounds as NAME-functional and NAME-timing, so that
before/after figures come from one session.

usage: bench/cpu/bench.py [--build DIR] [--rounds R] [--passes N]
                          [--passes-hooked M] [--stride S] [--mode MODE]
                          [--also NAME=DIR]...
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def sh(argv, timeout=600):
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return time.perf_counter() - t0, p


def checksum(out):
    m = re.search(r"^bench: .*$", out, re.M)
    return m.group(0) if m else None


def build_driver(build):
    src = os.path.join(HERE, "uc_baseline.c")
    out_dir = os.path.join(build, "bench-cpu")
    exe = os.path.join(out_dir, "uc_baseline")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        os.makedirs(out_dir, exist_ok=True)
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "unicorn"],
                               capture_output=True, text=True, check=True).stdout.split()
        subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-o", exe, src] + flags, check=True)
    return exe


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--passes", type=int, default=1000)
    ap.add_argument("--passes-hooked", type=int, default=100)
    ap.add_argument("--stride", type=int, default=64)
    ap.add_argument("--mode", default="4level", choices=["4level", "5level"])
    ap.add_argument("--also", action="append", default=[], metavar="NAME=DIR",
                    help="also time the tdpsim of build tree DIR, as NAME-functional/-timing")
    a = ap.parse_args()

    tdpsim = os.path.join(a.build, "tdpsim")
    kernel = os.path.join(a.build, "guests", "pagetest")
    image = os.path.join(a.build, "guests", "obj", "pagetest64.bin")
    elf = os.path.join(a.build, "guests", "obj", "pagetest64.elf")
    for f in (tdpsim, kernel, image, elf):
        if not os.path.exists(f):
            sys.exit(f"bench.py: {f} missing: build first (cmake --build {a.build})")
    uc = build_driver(a.build)
    nm = subprocess.run(["nm", elf], capture_output=True, text=True, check=True).stdout
    entry = "0x" + re.search(r"^([0-9a-f]+) T main64$", nm, re.M).group(1)
    qemu = shutil.which("qemu-system-x86_64")

    def append(n):
        return f"mode={a.mode} bench={n} stride={a.stride}"

    # Loop instructions per pass, measured.
    counts = []
    for n in (10, 20):
        _, p = sh([uc, image, entry, append(n), "--count"])
        counts.append(int(re.search(r"(\d+) instructions", p.stderr).group(1)))
    per_pass = (counts[1] - counts[0]) / 10

    configs = {
        "tdpsim-functional": lambda n: [tdpsim, "run", "--kernel", kernel, "--append", append(n),
                                        "--model", "functional"],
        "unicorn-nohook": lambda n: [uc, image, entry, append(n)],
        "tdpsim-timing": lambda n: [tdpsim, "run", "--kernel", kernel, "--append", append(n),
                                    "--model", "timing"],
        "unicorn-memhook": lambda n: [uc, image, entry, append(n), "--mem-hook"],
    }
    passes = {"tdpsim-functional": a.passes, "unicorn-nohook": a.passes,
              "tdpsim-timing": a.passes_hooked, "unicorn-memhook": a.passes_hooked}
    for spec in a.also:
        name, _, d = spec.partition("=")
        exe = os.path.join(d, "tdpsim")
        if not name or not os.path.exists(exe):
            sys.exit(f"bench.py: --also {spec}: expected NAME=DIR with DIR/tdpsim")
        for model, np in (("functional", a.passes), ("timing", a.passes_hooked)):
            configs[f"{name}-{model}"] = (lambda e, m: lambda n: [
                e, "run", "--kernel", kernel, "--append", append(n), "--model", m])(exe, model)
            passes[f"{name}-{model}"] = np
    if qemu:
        configs["qemu-tcg"] = lambda n: [qemu, "-kernel", kernel, "-append", append(n),
                                         "-no-reboot", "-nodefaults", "-vga", "none",
                                         "-display", "none", "-monitor", "none", "-serial",
                                         "stdio", "-device",
                                         "isa-debug-exit,iobase=0xf4,iosize=0x04",
                                         "-cpu", "max", "-m", "128", "-accel", "tcg"]
        passes["qemu-tcg"] = a.passes

    times = {k: [] for k in configs}
    broken = {}
    sums = {}
    for r in range(a.rounds):
        for name, argv in configs.items():
            if name in broken:
                continue
            d = []
            for n in (passes[name], 1):
                t, p = sh(argv(n))
                line = checksum(p.stdout)
                if p.returncode != 1 or not line:
                    err = (p.stderr.strip().splitlines() or ["?"])[-1]
                    broken[name] = f"exit {p.returncode}: {err}"
                    break
                if sums.setdefault(n, line) != line:
                    sys.exit(f"bench.py: {name} printed '{line}', others '{sums[n]}'")
                d.append(t)
            if name not in broken:
                times[name].append(d[0] - d[1])
        print(f"round {r + 1}/{a.rounds} done", file=sys.stderr)

    mips = {}
    print(f"pagetest {append('N')}: {per_pass:.0f} instructions per pass "
          f"(measured), {a.rounds} rounds, medians")
    print(f"{'configuration':20} {'passes':>7} {'loop s':>8} {'MIPS':>8}")
    for name in configs:
        if name in broken:
            print(f"{name:20} {'':>7} unavailable ({broken[name]})")
            continue
        med = statistics.median(times[name])
        mips[name] = per_pass * (passes[name] - 1) / med / 1e6
        print(f"{name:20} {passes[name]:7d} {med:8.3f} {mips[name]:8.1f}")
    for label, x, y, target in (("(a) functional / no-hook Unicorn", "tdpsim-functional",
                                 "unicorn-nohook", 0.9),
                                ("(b) timing / memory-hook Unicorn", "tdpsim-timing",
                                 "unicorn-memhook", 0.5)):
        if x in mips and y in mips:
            ratio = mips[x] / mips[y]
            print(f"{label}: {ratio:.2f}x (target >= {target}x)")
        else:
            print(f"{label}: unavailable")
    for spec in a.also:
        name = spec.partition("=")[0]
        for model, base in (("functional", "unicorn-nohook"), ("timing", "unicorn-memhook")):
            if f"{name}-{model}" in mips and base in mips:
                print(f"{name}-{model} / {base}: {mips[f'{name}-{model}'] / mips[base]:.2f}x")
    if "qemu-tcg" in mips and "unicorn-nohook" in mips:
        print(f"(c) qemu-system TCG: {mips['qemu-tcg']:.1f} MIPS "
              f"({mips['qemu-tcg'] / mips['unicorn-nohook']:.2f}x bare Unicorn)")


if __name__ == "__main__":
    main()
