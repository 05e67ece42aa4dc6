#!/usr/bin/env python3
"""Write a small ChampSim trace: xz-compressed 64-byte `input_instr` records
(docs/champsim.md), from a description whose counts follow from first
principles, for tdpsim's tests and for trying `tdpsim replay --format champsim`.

Record i (0-based) of N:
  ip                 code_base + (16 * i) mod (code_pages * 4096)
  source_memory[0]   data_base + (64 * i) mod (data_pages * 4096)
  destination_memory[0], when i % write_every == 0:
                     write_base + (64 * (i // write_every)) mod (write_pages * 4096)
  is_branch          1 every branch_every records (taken on every other one)
  registers          fixed small numbers (tdpsim ignores them)
Every other slot is 0 (unused).

So a trace has N fetches, N reads, ceil(N / write_every) writes, and touches
min(code_pages, ceil(16 N / 4096)) code pages, min(data_pages, ceil(64 N / 4096))
data pages and min(write_pages, ceil(64 W / 4096)) write pages (W writes).

  scripts/champsim-trace.py out.champsim.xz --records 100000 --code-pages 4 \
      --data-pages 64 --write-pages 8 --write-every 4
"""
import argparse
import lzma
import struct
import sys

REC = struct.Struct("<QBB2B4B2Q4Q")
assert REC.size == 64


def records(a):
    for i in range(a.records):
        ip = a.code_base + (16 * i) % (a.code_pages * 4096)
        src = [a.data_base + (64 * i) % (a.data_pages * 4096), 0, 0, 0]
        dst = [0, 0]
        if i % a.write_every == 0:
            dst[0] = a.write_base + (64 * (i // a.write_every)) % (a.write_pages * 4096)
        is_branch = 1 if a.branch_every and i % a.branch_every == a.branch_every - 1 else 0
        taken = 1 if is_branch and (i // a.branch_every) % 2 == 0 else 0
        yield REC.pack(ip, is_branch, taken, 1, 0, 2, 3, 0, 0, *dst, *src)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out", help="the .xz file to write ('-' for stdout)")
    p.add_argument("--records", type=int, default=10000)
    p.add_argument("--code-pages", type=int, default=2)
    p.add_argument("--data-pages", type=int, default=16)
    p.add_argument("--write-pages", type=int, default=4)
    p.add_argument("--write-every", type=int, default=4)
    p.add_argument("--branch-every", type=int, default=8)
    p.add_argument("--code-base", type=lambda s: int(s, 0), default=0x400000)
    p.add_argument("--data-base", type=lambda s: int(s, 0), default=0x10000000)
    p.add_argument("--write-base", type=lambda s: int(s, 0), default=0x20000000)
    a = p.parse_args()
    if min(a.records, a.code_pages, a.data_pages, a.write_pages, a.write_every) < 1:
        p.error("counts must be 1 or more")
    data = lzma.compress(b"".join(records(a)), format=lzma.FORMAT_XZ)
    if a.out == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(a.out, "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
