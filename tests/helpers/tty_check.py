#!/usr/bin/env python3
"""Runs `kage vm run -t -i` on a pseudo-terminal of a set size, checks the guest process sees
a tty of that size, then resizes the terminal (SIGWINCH to kage) and checks the guest follows.
Prints TAP lines."""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

kage = sys.argv[1]
script = ("tty; stty size; echo ready; "
          "read line; stty size; echo bye")
failed = False


def report(ok, name):
    global failed
    print(("ok - " if ok else "not ok - ") + name, flush=True)
    failed |= not ok


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


pid, fd = pty.fork()
if pid == 0:
    os.execv(kage, [kage, "vm", "run", "-t", "-i", "--", "sh", "-c", script])
set_size(fd, 31, 97)
out = b""


def read_until(token, timeout=180):
    global out
    end = time.time() + timeout
    while token not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 1)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return token in out


report(read_until(b"ready"), "the guest process starts on a terminal")
report(b"/dev/pts/" in out, "tty in the guest names a pty")
report(b"31 97" in out, "the guest terminal has our size (31x97)")
set_size(fd, 40, 120)
os.kill(pid, signal.SIGWINCH)
time.sleep(2)
os.write(fd, b"go\r")
report(read_until(b"bye"), "input typed on our terminal reaches the guest process")
report(b"40 120" in out, "a resize (SIGWINCH) reaches the guest terminal (40x120)")
_, status = os.waitpid(pid, 0)
report(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the tty session ends with status 0")
if failed:
    print("# output: %r" % out[-600:])
sys.exit(1 if failed else 0)
