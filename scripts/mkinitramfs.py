#!/usr/bin/env python3
"""Build the Linux boot workload's initramfs from Debian's busybox-static.

    scripts/mkinitramfs.py BUSYBOX OUT.cpio.gz

The archive is byte-identical on every rebuild from the same busybox: entries
in a fixed order, every mtime 0, uid/gid 0, inode numbers counted from 1, and
gzip with no name and mtime 0. It holds busybox, the applet links /init uses,
/dev/console (these kernels lack DEVTMPFS_MOUNT, so the kernel's first open
of the console needs the node in the archive), and guests/linux/init as /init.

The cpio format is "newc" (the kernel's Documentation/driver-api/
early-userspace/buffer-format.rst): a 110-byte ASCII header, the name with its
NUL padded to 4 bytes, the data padded to 4 bytes, and a TRAILER!!! entry.
"""
import gzip
import io
import os
import stat
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INIT = os.path.join(HERE, "..", "guests", "linux", "init")

# The applets /init calls, each a symlink to busybox.
APPLETS = ["sh", "mount", "umount", "echo", "cat", "grep", "dd", "cp", "md5sum", "wc",
           "seq", "true", "uname", "dmesg", "poweroff", "sync", "sleep", "rm", "head",
           "tr", "cut", "sed", "awk", "ls", "mkdir", "sort"]


def header(ino, mode, nlink, size, name, rdev=(0, 0)):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    h = b"070701" + b"".join(b"%08X" % f for f in fields)
    assert len(h) == 110
    return h


def pad4(n):
    return b"\0" * ((4 - n % 4) % 4)


class Cpio:
    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 0

    def add(self, name, mode, data=b"", rdev=(0, 0)):
        self.ino += 1
        nb = name.encode()
        nlink = 2 if stat.S_ISDIR(mode) else 1
        h = header(self.ino, mode, nlink, len(data), nb, rdev)
        self.buf.write(h + nb + b"\0")
        self.buf.write(pad4(len(h) + len(nb) + 1))
        self.buf.write(data)
        self.buf.write(pad4(len(data)))

    def trailer(self):
        self.ino = -1  # the trailer's inode is 0
        self.add("TRAILER!!!", 0)
        return self.buf.getvalue()


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: mkinitramfs.py BUSYBOX OUT.cpio.gz\n")
        return 2
    busybox, out = argv[1], argv[2]
    try:
        with open(busybox, "rb") as f:
            bb = f.read()
        with open(INIT, "rb") as f:
            init = f.read()
    except OSError as e:
        sys.stderr.write("mkinitramfs: error: %s: %s\n" % (e.filename, e.strerror))
        return 2
    if bb[:4] != b"\x7fELF":
        sys.stderr.write("mkinitramfs: error: %s is not an ELF executable\n" % busybox)
        return 2

    c = Cpio()
    for d in ["bin", "dev", "proc", "sys", "tmp"]:
        c.add(d, stat.S_IFDIR | 0o755)
    c.add("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    c.add("dev/null", stat.S_IFCHR | 0o666, rdev=(1, 3))
    c.add("dev/zero", stat.S_IFCHR | 0o666, rdev=(1, 5))
    c.add("bin/busybox", stat.S_IFREG | 0o755, bb)
    for a in APPLETS:
        c.add("bin/" + a, stat.S_IFLNK | 0o777, b"busybox")
    c.add("init", stat.S_IFREG | 0o755, init)
    raw = c.trailer()

    gz = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=0, compresslevel=9) as g:
        g.write(raw)
    try:
        with open(out + ".tmp", "wb") as f:
            f.write(gz.getvalue())
        os.replace(out + ".tmp", out)
    except OSError as e:
        sys.stderr.write("mkinitramfs: error: %s: %s\n" % (e.filename, e.strerror))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
