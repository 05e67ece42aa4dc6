#!/usr/bin/env python3
"""`tdpsim compare --html` in headless Chromium, checked on the screenshot.

The report (three strategies on a PAE guest, 3 processes, with seed 000's
root table) is rendered by Debian's chromium with a fresh profile and no
network services; the PNG is decoded here (zlib, no imaging library) and
checked against what the page must show:
- every strategy's bar colour covers a real area (the charts are drawn;
  kvm-5.15's and kvm-6.1's fast-switch bars are empty, pae-root-pages' full,
  so its green exceeds the others' by a margin);
- dark text pixels in quantity, spread over the page height (tables and
  labels are drawn, not a blank or an error page);
- the root table's red (special) and yellow (promoted) cell backgrounds.
Usage: test_compare_html.py TDPSIM_BIN
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def decode_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB/RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        fail("unexpected PNG format depth %d type %d interlace %d" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ft == 0:
            pass
        elif ft == 2:
            line = bytearray((x + q) & 255 for x, q in zip(line, prev))
        else:
            unfilter(line, prev, ft, bpp)
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def unfilter(line, prev, ft, bpp):
    """PNG filters Sub (1), Average (3) and Paeth (4), in place."""
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if ft == 1:
            line[i] = (line[i] + a) & 255
        elif ft == 3:
            line[i] = (line[i] + ((a + b) >> 1)) & 255
        elif ft == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 255


def near(p, rgb, tol=12):
    return all(abs(p[i] - rgb[i]) <= tol for i in range(3))


def main():
    tdpsim = sys.argv[1]
    browser = shutil.which("chromium")
    if not browser:
        fail("chromium is not installed (scripts/setup.sh installs it)")
    tmp = tempfile.mkdtemp(prefix="tdpsim-html-")
    try:
        report = os.path.join(tmp, "report.html")
        shot = os.path.join(tmp, "shot.png")
        r = subprocess.run([tdpsim, "compare", "--strategy", "kvm-5.15", "--strategy", "kvm-6.1",
                            "--strategy", "pae-root-pages", "--guest", "pae", "--processes", "3",
                            "--switch-every", "100", "--accesses", "20000", "--pages", "200",
                            "--html", report], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            fail("tdpsim compare --html: %s" % r.stderr)
        html = open(report, encoding="utf-8").read()
        for bad in ("http://", "https://", "<script", "src="):
            if bad in html.replace('xmlns="http://www.w3.org/2000/svg"', ""):
                fail("the report is not self-contained: it has %r" % bad)
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run",
                        "--user-data-dir=" + os.path.join(tmp, "profile"),
                        "--hide-scrollbars", "--window-size=1100,1900",
                        "--screenshot=" + shot, "file://" + report],
                       capture_output=True, timeout=120)
        if not os.path.exists(shot):
            fail("chromium wrote no screenshot")
        w, h, rows = decode_png(shot)
        colours = {"kvm-5.15": (0x1f, 0x77, 0xb4), "kvm-6.1": (0xd6, 0x27, 0x28),
                   "pae-root-pages": (0x2c, 0xa0, 0x2c)}
        count = {k: 0 for k in colours}
        special = promoted = 0
        dark_rows = set()
        dark = 0
        for y in range(h):
            for p in rows[y]:
                for k, c in colours.items():
                    if near(p, c):
                        count[k] += 1
                if near(p, (0xff, 0xd9, 0xd9), 4):
                    special += 1
                elif near(p, (0xff, 0xf2, 0xc0), 4):
                    promoted += 1
                elif max(p) < 80:
                    dark += 1
                    dark_rows.add(y // 100)
        print("screenshot %dx%d: bars %s, text pixels %d in %d bands, special %d, promoted %d"
              % (w, h, count, dark, len(dark_rows), special, promoted))
        for k, n in count.items():
            if n < 2000:
                fail("the bars of %s are not drawn (%d pixels)" % (k, n))
        # pae-root-pages' fast-switch bar is full, the others' empty; the
        # other charts are alike for the three.
        # The first chart is the fast-switch hit rate: pae-root-pages' bar
        # is full, kvm-5.15's and kvm-6.1's are empty (rate 0).
        y0 = next(y for y in range(h) if any(near(p, colours["kvm-5.15"]) for p in rows[y]))
        band = {k: sum(1 for y in range(y0, min(h, y0 + 120)) for p in rows[y][:w // 2]
                       if near(p, c)) for k, c in colours.items()}
        print("fast-switch chart: %s" % band)
        if band["pae-root-pages"] < 2000 or band["kvm-5.15"] > 200 or band["kvm-6.1"] > 200:
            fail("the fast-switch chart does not show pae-root-pages alone hitting")
        if dark < 20000 or len(dark_rows) < h // 100 // 2:
            fail("too little text: the tables are not drawn")
        if special < 5000 or promoted < 2000:
            fail("the root table's special/promoted cells are not drawn")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
