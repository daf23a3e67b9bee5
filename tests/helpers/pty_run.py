#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal, as a user at a shell runs `docker exec -it`:
sets the terminal's size, types TEXT once MARKER has appeared in the output, copies what the
command prints to stdout (carriage returns dropped) and exits with the command's status
(124 if it had not ended within the timeout).

usage: pty_run.py [--size ROWS COLS] [--after MARKER --input TEXT] [--timeout SECONDS]
                  -- COMMAND [ARGS...]
TEXT may hold \\n for Enter."""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

rows, cols, marker, text, timeout = 24, 80, None, None, 120
args = sys.argv[1:]
while args and args[0] != "--":
    opt = args.pop(0)
    if opt == "--size":
        rows, cols = int(args.pop(0)), int(args.pop(0))
    elif opt == "--after":
        marker = args.pop(0).encode()
    elif opt == "--input":
        text = args.pop(0).replace("\\n", "\n").encode()
    elif opt == "--timeout":
        timeout = float(args.pop(0))
    else:
        sys.exit("pty_run.py: unknown option " + opt)
if not args or len(args) < 2:
    sys.exit(__doc__)
cmd = args[1:]

pid, fd = pty.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

out = b""
typed = text is None
deadline = time.time() + timeout
while time.time() < deadline:
    if not typed and marker in out:
        os.write(fd, text)
        typed = True
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        continue
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: the command and everything it started let go of the terminal
        break
    if not data:
        break
    out += data
    sys.stdout.buffer.write(data.replace(b"\r", b""))
    sys.stdout.flush()
else:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.exit(124)
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
