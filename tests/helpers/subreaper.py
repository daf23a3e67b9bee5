#!/usr/bin/env python3
"""Runs a command as a child subreaper, as containerd's shim does for runc: processes the
command leaves behind (kage's sandbox, detached exec relays) are reparented to us. Writes
"PID STATUS" for every such orphan reaped, STATUS being the exit code or 128+signal, to
the file named by --record, and exits with the command's own status once every descendant
has been reaped.

usage: subreaper.py --record FILE -- CMD [ARGS...]"""
import ctypes
import os
import sys

args = sys.argv[1:]
record = None
while args and args[0] != "--":
    a = args.pop(0)
    if a == "--record":
        record = args.pop(0)
args.pop(0)
PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
child = os.fork()
if child == 0:
    os.execvp(args[0], args)
rc = 1
while True:
    try:
        pid, st = os.waitpid(-1, 0)
    except ChildProcessError:
        break
    code = os.waitstatus_to_exitcode(st)
    code = 128 - code if code < 0 else code
    if pid == child:
        rc = code
    elif record:
        with open(record, "a") as f:
            f.write("%d %d\n" % (pid, code))
sys.exit(rc)
