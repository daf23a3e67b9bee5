#!/usr/bin/env python3
"""Writes a newc cpio archive (an initramfs) from a list of entries, without needing root for
device nodes. Each argument is one entry:
    dir:PATH:MODE   nod:PATH:MODE:c:MAJOR:MINOR   file:PATH:MODE:HOSTFILE
    slink:PATH:MODE:TARGET
Output goes to stdout, uncompressed; owners are root and times are zero, so it is reproducible.
"""
import stat
import sys


def header(ino, mode, size, name, rmajor=0, rminor=0):
    fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, rmajor, rminor, len(name) + 1, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields) + name + b"\0"


def pad(n):
    return b"\0" * ((4 - n % 4) % 4)


def main(args):
    out = sys.stdout.buffer
    for ino, arg in enumerate(args, start=1):
        kind, path, mode, *rest = arg.split(":")
        name = path.lstrip("/").encode()
        perm = int(mode, 8)
        data = b""
        rmajor = rminor = 0
        if kind == "dir":
            mode = stat.S_IFDIR | perm
        elif kind == "nod" and rest[0] == "c":
            mode = stat.S_IFCHR | perm
            rmajor, rminor = int(rest[1]), int(rest[2])
        elif kind == "slink":
            mode = stat.S_IFLNK | perm
            data = rest[0].encode()
        elif kind == "file":
            mode = stat.S_IFREG | perm
            with open(rest[0], "rb") as f:
                data = f.read()
        else:
            sys.exit("mkcpio: bad entry %r" % arg)
        h = header(ino, mode, len(data), name, rmajor, rminor)
        out.write(h + pad(len(h)) + data + pad(len(data)))
    h = header(0, 0, 0, b"TRAILER!!!")
    out.write(h + pad(len(h)))


if __name__ == "__main__":
    main(sys.argv[1:])
