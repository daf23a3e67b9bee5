#!/usr/bin/env python3
"""The receiving end of `--console-socket`, as containerd's shim is: listens on a Unix
socket, takes the terminal master fd kage sends (SCM_RIGHTS), sets its size, writes the
given input, and copies everything the terminal prints to stdout until it closes (EIO).

usage: console_socket.py SOCKET [--size ROWS COLS] [--input TEXT] [--resize-after TEXT
       ROWS COLS] [--timeout SECONDS]
--resize-after: once TEXT has appeared in the output, resize the terminal (SIGWINCH)."""
import array
import fcntl
import os
import select
import socket
import struct
import sys
import termios
import time

args = sys.argv[1:]
path = args.pop(0)
size = None
text = b""
resize = None
timeout = 120.0
while args:
    a = args.pop(0)
    if a == "--size":
        size = (int(args.pop(0)), int(args.pop(0)))
    elif a == "--input":
        text = args.pop(0).encode().decode("unicode_escape").encode()
    elif a == "--resize-after":
        resize = (args.pop(0).encode(), int(args.pop(0)), int(args.pop(0)))
    elif a == "--timeout":
        timeout = float(args.pop(0))
    else:
        sys.exit("console_socket.py: unknown argument " + a)

try:
    os.unlink(path)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(timeout)
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_LEN(fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
if not fds:
    sys.exit("console_socket.py: no fd received")
master = fds[0]
sys.stderr.write("console_socket.py: got a terminal named %r\n" % msg.decode(errors="replace"))


def set_size(rows, cols):
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


if size:
    set_size(*size)
if text:
    os.write(master, text)
seen = b""
deadline = time.time() + timeout
while time.time() < deadline:
    r, _, _ = select.select([master], [], [], 1.0)
    if not r:
        continue
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
    seen += data
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    if resize and resize[0] in seen:
        set_size(resize[1], resize[2])
        resize = None
