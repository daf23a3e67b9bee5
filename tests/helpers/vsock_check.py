#!/usr/bin/env python3
"""Drives the vsock device of a running `kage vm --vsock-socket SOCK` whose guest runs
tests/guest/vsock-echo.c, through the hybrid Unix socket. Prints TAP lines."""
import hashlib
import os
import socket
import sys
import threading
import time

SOCK = sys.argv[1]
failed = False


def report(ok, name):
    global failed
    print(("ok - " if ok else "not ok - ") + name, flush=True)
    failed |= not ok


def connect(port, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(SOCK)
    s.sendall(b"CONNECT %d\n" % port)
    line = b""
    while not line.endswith(b"\n"):
        b = s.recv(1)
        if not b:
            s.close()
            return None, line
        line += b
    return s, line


def wait_guest(deadline=120):
    end = time.time() + deadline
    while time.time() < end:
        try:
            s, _ = connect(5000, timeout=5)
            if s:
                s.close()
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def echo_roundtrip(size):
    s, line = connect(5000)
    if not s:
        return False, "no OK"
    data = os.urandom(size)
    got = []

    def reader():
        while True:
            b = s.recv(1 << 16)
            if not b:
                break
            got.append(b)

    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    t.join(300)
    s.close()
    back = b"".join(got)
    return hashlib.sha256(back).digest() == hashlib.sha256(data).digest(), "%d of %d bytes" % (len(back), size)


report(wait_guest(), "the guest's vsock listener is reachable through the Unix socket")
s, line = connect(5000)
report(s is not None and line.startswith(b"OK ") and line[3:-1].isdigit(),
       "CONNECT 5000 is answered with OK <host port> (%r)" % line)
if s:
    s.close()

ok, why = echo_roundtrip(16 << 20)
report(ok, "16 MiB echoed through the guest with the same sha256 (%s)" % why)

results = []
threads = [threading.Thread(target=lambda: results.append(echo_roundtrip(1 << 20))) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join(300)
report(len(results) == 4 and all(r[0] for r in results), "4 concurrent echo connections")

s, line = connect(5999)
report(s is None, "a port nobody listens on is refused (connection closed, no OK)")

bad = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
bad.settimeout(10)
bad.connect(SOCK)
bad.sendall(b"HELLO there\n")
report(bad.recv(16) == b"", "a malformed handshake is closed")
bad.close()

# The guest connects out to the host: host port 6000 is the Unix socket SOCK_6000.
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(SOCK + "_6000")
srv.listen(1)
srv.settimeout(60)
c, line = connect(5001)
size = 3 << 20
c.sendall(b"CONNECT-HOST 6000 %d\n" % size)
try:
    conn, _ = srv.accept()
    conn.settimeout(60)
    got = bytearray()
    while True:
        b = conn.recv(1 << 16)
        if not b:
            break
        got += b
    want = bytes((ord("a") + i % 26) for i in range(65536)) * (size // 65536)
    report(bytes(got) == want, "a guest-initiated connection delivered %d of %d bytes intact" % (len(got), size))
except OSError as e:
    report(False, "a guest-initiated connection (%s)" % e)
c.close()

c, line = connect(5001)
if c:
    c.sendall(b"POWEROFF\n")
    c.close()
sys.exit(1 if failed else 0)
