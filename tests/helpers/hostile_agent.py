#!/usr/bin/env python3
"""A hostile guest agent for tests/security/hostile-agent.sh: it stands for a container's
sandbox process and its VM. It writes the container's state.json (its own pid and start time
as the sandbox's), answers the hybrid vsock handshake on DIR/vsock.sock, and then answers
every agent request in one way, MODE:

  malformed  a body that is not JSON          types   "ok" a string, members of wrong types
  nulls      every member null                huge    a frame length of 4 GiB, then nothing
  silent     never answers                    close   closes the connection unanswered
  wrongid    a well-formed reply to another id
  badlists   "ok":true, but "processes" a number, "all" null, "process" a number

DIR/sandbox.sock answers "ok" (the host's sandbox, which is trusted, would).

  hostile_agent.py MODE DIR BUNDLE STATUS
"""
import json
import os
import socket
import struct
import sys
import threading
import time


def start_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    return int(stat[stat.rindex(")") + 2:].split()[19])


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def reply(mode, req):
    rid = req.get("id", 0) if isinstance(req, dict) else 0
    if mode == "malformed":
        body = b'{"id":%d,"ok":tru' % rid
    elif mode == "types":
        body = json.dumps({"id": rid, "ok": "yes", "processes": 7, "process": 12,
                           "exit_status": "0", "error": 5}).encode()
    elif mode == "badlists":
        body = json.dumps({"id": rid, "ok": True, "processes": 7, "all": None,
                           "process": 12}).encode()
    elif mode == "nulls":
        body = json.dumps({"id": None, "ok": None, "processes": None, "process": None,
                           "all": None, "error": None}).encode()
    elif mode == "wrongid":
        body = json.dumps({"id": rid + 1, "ok": True, "processes": [],
                           "process": "p9"}).encode()
    elif mode == "huge":
        return b"\xff\xff\xff\xff" + b"{" * 64
    else:
        raise ValueError(mode)
    return struct.pack(">I", len(body)) + body


def serve_agent(conn, mode):
    line = b""
    while not line.endswith(b"\n") and len(line) < 64:
        c = conn.recv(1)
        if not c:
            return
        line += c
    port = line.split()[1].decode() if line.startswith(b"CONNECT ") else "0"
    conn.sendall(b"OK %s\n" % port.encode())
    while True:
        hdr = read_exact(conn, 4)
        if hdr is None:
            return
        (n,) = struct.unpack(">I", hdr)
        body = read_exact(conn, n)
        if body is None:
            return
        if mode == "close":
            return
        if mode == "silent":
            continue
        try:
            req = json.loads(body)
        except ValueError:
            req = {}
        conn.sendall(reply(mode, req))
        if mode == "huge":
            time.sleep(3600)


def serve_sandbox(conn):
    conn.recv(64)
    conn.sendall(b"ok\n")
    time.sleep(1)


def listen(path, handler, *args):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(16)

    def loop():
        while True:
            conn, _ = s.accept()
            threading.Thread(target=lambda c=conn: (handler(c, *args), c.close()),
                             daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()


def main():
    mode, d, bundle, status = sys.argv[1:5]
    listen(os.path.join(d, "vsock.sock"), serve_agent, mode)
    listen(os.path.join(d, "sandbox.sock"), serve_sandbox)
    pid = os.getpid()
    state = {"id": os.path.basename(d), "status": status, "pid": pid,
             "pid_start": start_time(pid), "bundle": bundle,
             "rootfs": os.path.join(bundle, "rootfs"), "created": "2026-01-01T00:00:00Z",
             "process": "p1"}
    tmp = os.path.join(d, ".state.tmp")
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.rename(tmp, os.path.join(d, "state.json"))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
