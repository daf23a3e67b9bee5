#!/usr/bin/env python3
"""Writes the committed seed corpora, tests/fuzz/corpus/<harness>/, deterministically.

    scripts/fuzz-seeds.py            rewrite every harness's seeds (the files are committed)

Each seed is a small, meaningful input in the harness's own input format (see the comment at
the top of each harness): real requests, frames and configs, valid ring layouts, a whole
device negotiation. libFuzzer replays them first, so coverage starts past the shallow checks.
"""
import json
import os
import shutil
import struct
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fuzz")
OUT = os.path.join(HERE, "corpus")
seeds = {}


def seed(harness, name, data):
    if isinstance(data, str):
        data = data.encode()
    seeds.setdefault(harness, []).append((name, bytes(data)))


def js(obj):
    return json.dumps(obj, separators=(",", ":"))


# ---- fuzz_frame: chunk byte, then a stream of length-prefixed JSON objects.
def frame(body):
    body = body.encode() if isinstance(body, str) else body
    return struct.pack(">I", len(body)) + body


ping = js({"v": 1, "id": 1, "op": "ping"})
seed("fuzz_frame", "one-frame", b"\x20" + frame(ping))
seed("fuzz_frame", "two-frames-bytewise", b"\x00" + frame(ping) + frame(js({"v": 1, "id": 2, "op": "state"})))
seed("fuzz_frame", "chunks-of-7", b"\x06" + frame(js({"v": 1, "id": 3, "op": "signal", "pid": 1, "signal": 15})))
seed("fuzz_frame", "not-an-object", b"\x20" + frame("[1,2,3]"))
seed("fuzz_frame", "trailing-data", b"\x20" + frame('{"a":1} x'))
seed("fuzz_frame", "length-zero", b"\x20" + b"\x00\x00\x00\x00")
seed("fuzz_frame", "length-too-big", b"\x20" + struct.pack(">I", (1 << 20) + 1) + b"{}")
seed("fuzz_frame", "truncated-body", b"\x03" + frame(ping)[:-3])
seed("fuzz_frame", "nested", b"\x20" + frame('{"a":' * 40 + "1" + "}" * 40))
seed("fuzz_frame", "nan", b"\x00" + frame('{"v":NaN,"":1,"op":"png?"}') + b"\x00\x00\x00:1}")
seed("fuzz_frame", "utf8", b"\x20" + frame('{"s":"caf\u00e9 \\u00e9"}'.encode()))

# ---- fuzz_agent_req: one request body as the agent parses it.
create = {"v": 1, "id": 5, "op": "create", "args": ["/bin/sh", "-c", "echo hi"],
          "env": ["PATH=/usr/bin:/bin", "TERM=xterm"], "cwd": "/", "root": "/run/kage/root",
          "init": True, "stdin": True, "terminal": False,
          "namespaces": ["mount", "pid", "ipc", "uts"],
          "masked": ["/proc/kcore", "/sys/firmware"], "readonly": ["/proc/sys"],
          "uid": 1000, "gid": 1000, "additional_gids": [10, 100],
          "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096}],
          "no_new_privileges": True, "oom_score_adj": 100, "umask": 18}
seed("fuzz_agent_req", "create-init", js(create))
seed("fuzz_agent_req", "create-exec", js({"v": 1, "id": 6, "op": "create", "args": ["/bin/true"],
                                          "console_size": {"rows": 24, "cols": 80}, "terminal": True}))
seed("fuzz_agent_req", "create-caps", js({
    "v": 1, "id": 7, "op": "create", "args": ["/init"],
    "capabilities": {"bounding": [0, 1, 21], "effective": [0, 21], "permitted": [0, 21],
                     "inheritable": [], "ambient": []}}))
seed("fuzz_agent_req", "create-seccomp", js({
    "v": 1, "id": 8, "op": "create", "args": ["/init"],
    "seccomp": {"default_action": "errno", "default_errno": 1, "architectures": ["x86_64"],
                "syscalls": [{"names": ["read", "write", "exit_group"], "action": "allow"},
                             {"names": ["personality"], "action": "allow",
                              "args": [{"index": 0, "value": 8, "op": "eq"}]},
                             {"names": ["clone"], "action": "allow",
                              "args": [{"index": 0, "value": 2114060288, "value_two": 0,
                                        "op": "masked_eq"}]}]}}))
seed("fuzz_agent_req", "create-userns-cgroup", js(dict(
    create, namespaces=["mount", "pid", "cgroup", "user"], rootfs_propagation="rshared",
    uid_map=[{"container_id": 0, "host_id": 100000, "size": 65536}],
    gid_map=[{"container_id": 0, "host_id": 100000, "size": 65536},
             {"container_id": 65536, "host_id": 5, "size": 1}],
    cgroup={"pids.max": "12", "cpu.weight": "20", "cpuset.cpus": "0", "memory.low": "33554432"},
    devices=[{"allow": False, "type": "a", "major": -1, "minor": -1, "access": "rwm"},
             {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
             {"allow": True, "type": "b", "major": 254, "minor": -1, "access": "r"}])))
seed("fuzz_agent_req", "create-map-not-object", js(dict(
    create, namespaces=["mount", "user"], uid_map=[{"container_id": 0, "host_id": 1, "size": 1}, "x"],
    gid_map=[{"container_id": 0, "host_id": 1, "size": 1}], cgroup={}, devices=[7])))
seed("fuzz_agent_req", "create-cgroup-escape", js(dict(create, cgroup={"../pids.max": "1"})))
seed("fuzz_agent_req", "create-member", js(dict(create, member=True, namespaces=["mount", "pid"],
                                                root="/run/kage/pod/roots/web",
                                                share={"process": "p1", "namespaces": ["ipc", "uts"]})))
seed("fuzz_agent_req", "unmount", js({"v": 1, "id": 11, "op": "unmount",
                                      "target": "/run/kage/pod/roots/web"}))
seed("fuzz_agent_req", "unmount-root", js({"v": 1, "id": 12, "op": "unmount", "target": "//"}))
seed("fuzz_agent_req", "create-bad-env", js({"v": 1, "id": 9, "op": "create", "args": ["/a"], "env": ["=x"]}))
seed("fuzz_agent_req", "mount-virtiofs", js({"v": 1, "id": 7, "op": "mount", "source": "share0",
                                             "target": "/mnt/data", "type": "virtiofs",
                                             "options": ["ro", "nosuid"]}))
seed("fuzz_agent_req", "mount-proc", js({"v": 1, "id": 8, "op": "mount", "root": "/run/kage/root",
                                         "source": "proc", "target": "/proc", "type": "proc",
                                         "options": ["nosuid", "noexec", "nodev"]}))
seed("fuzz_agent_req", "mount-bind", js({"v": 1, "id": 9, "op": "mount", "root": "/run/kage/root",
                                         "source": "/mnt/share0/x", "target": "/data", "type": "bind",
                                         "options": ["rbind", "rprivate", "rro", "size=64m"]}))
seed("fuzz_agent_req", "mount-dotdot", js({"v": 1, "id": 10, "op": "mount", "source": "tmpfs",
                                           "target": "/a/../../etc", "type": "tmpfs"}))

# ---- fuzz_config: kage's settings file.
seed("fuzz_config", "empty-object", "{}")
seed("fuzz_config", "all-settings", js({
    "default_vcpus": 2, "default_memory_mib": 512, "kernel_params": "quiet loglevel=3",
    "log_level": "debug", "fs_cache": "always", "share_policy": "runc",
    "annotations_allowed": ["io.kage.vcpus", "io.kage.memory", "io.kage.fs_cache"],
    "max_vcpus": 4, "max_memory_mib": 4096}))
seed("fuzz_config", "unknown-key", '{"default_vcpu": 2}')
seed("fuzz_config", "wrong-type", '{"default_memory_mib": "512"}')
seed("fuzz_config", "out-of-range", '{"default_vcpus": 1000}')
seed("fuzz_config", "bounds", '{"default_memory_mib": 4096, "max_memory_mib": 1024}')
seed("fuzz_config", "bad-annotation", '{"annotations_allowed": ["io.kage.nope", 3]}')
seed("fuzz_config", "not-json", "default_vcpus = 2\n")
seed("fuzz_config", "cpuset", "0-3,7")
# The same harness edits each input as Docker's daemon.json (kage install and uninstall).
seed("fuzz_config", "daemon-json", '{\n  "log-driver": "json-file",\n  "runtimes": {\n    "runc2": { "path": "/usr/bin/runc" }\n  },\n  "default-runtime": "runc"\n}\n')
seed("fuzz_config", "daemon-json-kage", '{"runtimes": {"kage": {"path": "/usr/local/bin/kage", "runtimeArgs": ["--debug"]}}, "default-runtime": "kage"}')
seed("fuzz_config", "daemon-json-bad-runtimes", '{"runtimes": ["kage"]}')

# ---- fuzz_oci_spec: config.json.
spec = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["sh"],
                "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "TERM=xterm"],
                "cwd": "/",
                "capabilities": {k: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
                                 for k in ("bounding", "effective", "permitted", "ambient")},
                "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
                "noNewPrivileges": True},
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "runc",
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
               {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
               {"destination": "/sys", "type": "sysfs", "source": "sysfs",
                "options": ["nosuid", "noexec", "nodev", "ro"]}],
    "linux": {"resources": {"devices": [{"allow": False, "access": "rwm"}]},
              "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
              "maskedPaths": ["/proc/kcore", "/sys/firmware"],
              "readonlyPaths": ["/proc/bus", "/proc/sys"]},
}
seed("fuzz_oci_spec", "runc-default", json.dumps(spec, indent=1))
s2 = json.loads(json.dumps(spec))
s2["process"]["oomScoreAdj"] = 500
s2["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5, 6], "umask": 18}
s2["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
s2["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
s2["linux"]["resources"] = {"memory": {"limit": 536870912}, "cpu": {"quota": 50000, "period": 100000,
                                                                   "cpus": "0-1"},
                            "devices": [{"allow": True, "type": "c", "major": 1, "minor": 3,
                                         "access": "rw"}]}
s2["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]
s2["hooks"] = {"prestart": [{"path": "/usr/bin/hook", "args": ["hook", "x"], "timeout": 5}]}
s2["annotations"] = {"io.kage.vcpus": "2", "io.kage.memory": "512"}
seed("fuzz_oci_spec", "users-resources-hooks", json.dumps(s2))
s3 = json.loads(json.dumps(spec))
s3["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
                          "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                                       {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                                        "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}
seed("fuzz_oci_spec", "seccomp", json.dumps(s3))
seed("fuzz_oci_spec", "minimal", js({"ociVersion": "1.0.2", "process": {"args": ["/x"], "cwd": "/"},
                                     "root": {"path": "/r"}}))
seed("fuzz_oci_spec", "bad-namespace", js({"ociVersion": "1.0.2", "process": {"args": ["/x"], "cwd": "/"},
                                           "root": {"path": "r"},
                                           "linux": {"namespaces": [{"type": "pid"}, {"type": "pid"}]}}))

# ---- fuzz_vsock: segment count byte, then a guest packet (header, payload).
VS_REQUEST, VS_RESPONSE, VS_RST, VS_SHUTDOWN, VS_RW, VS_CREDIT_UPDATE, VS_CREDIT_REQUEST = range(1, 8)


def vhdr(op, src_port=1024, dst_port=1, length=0, buf_alloc=262144, fwd_cnt=0, flags=0,
         src_cid=3, dst_cid=2, typ=1):
    return struct.pack("<QQIIIHHIII", src_cid, dst_cid, src_port, dst_port, length, typ, op,
                       flags, buf_alloc, fwd_cnt)


seed("fuzz_vsock", "request", b"\x00" + vhdr(VS_REQUEST))
seed("fuzz_vsock", "rw-3-segments", b"\x02" + vhdr(VS_RW, length=11) + b"hello guest")
seed("fuzz_vsock", "shutdown", b"\x00" + vhdr(VS_SHUTDOWN, flags=3))
seed("fuzz_vsock", "credit-update", b"\x01" + vhdr(VS_CREDIT_UPDATE, fwd_cnt=4096))
seed("fuzz_vsock", "rw-len-beyond", b"\x00" + vhdr(VS_RW, length=100) + b"short")
seed("fuzz_vsock", "forged-cid", b"\x00" + vhdr(VS_RST, src_cid=4))

# ---- fuzz_vsock_conn: 10-byte actions.
def act(kind, *args):
    b = bytes([kind << 5]) + bytes(args)
    return b + bytes(10 - len(b))


def gpkt(op, portsel, length=0, buf_k=64, fwd=0, flags=0, fill=0x41):
    return act(0, op, portsel, length & 0xff, length >> 8, buf_k, fwd & 0xff, fwd >> 8, flags, fill)


RX_ADD = lambda n=4, size16=255: act(2, n - 1, size16)  # noqa: E731
HOST_CONNECT = lambda port=1: act(3, port)  # noqa: E731
HOST_WRITE = lambda sock=0, n=3000: act(4, sock, n & 0xff, n >> 8)  # noqa: E731
HOST_CLOSE = lambda sock=0, how=0: act(5, sock, how)  # noqa: E731
HOST_READ = lambda sock=0: act(6, sock)  # noqa: E731
LOOP = act(7)

# The host connects to guest port 1025, the guest accepts (RESPONSE on the pair it saw).
host_side = HOST_CONNECT(1) + RX_ADD() + LOOP + gpkt(VS_RESPONSE, 0, buf_k=16)
seed("fuzz_vsock_conn", "host-connect", host_side)
# 12000 bytes from the host against 4 KiB of credit: 4 KiB, then 4 KiB more per update.
seed("fuzz_vsock_conn", "host-data-credit",
     HOST_CONNECT(1) + RX_ADD() + LOOP + gpkt(VS_RESPONSE, 0, buf_k=4) + HOST_WRITE(0, 12000)
     + RX_ADD(8) + LOOP + RX_ADD(8) + LOOP + gpkt(VS_CREDIT_UPDATE, 0, buf_k=4, fwd=4096)
     + RX_ADD(8) + LOOP + gpkt(VS_CREDIT_UPDATE, 0, buf_k=8, fwd=6000) + RX_ADD(8) + LOOP)
seed("fuzz_vsock_conn", "host-eof",
     host_side + HOST_WRITE(0, 500) + HOST_CLOSE(0) + RX_ADD(4) + LOOP + gpkt(VS_RST, 0))
# The guest connects to host port 1 (portsel 0xc0: port 1, guest port 1024), then talks.
guest_side = RX_ADD() + gpkt(VS_REQUEST, 0xc0, buf_k=64)
seed("fuzz_vsock_conn", "guest-connect", guest_side)
seed("fuzz_vsock_conn", "guest-data",
     guest_side + gpkt(VS_RW, 0, length=2000) + HOST_READ(0) + HOST_WRITE(0, 700) + LOOP
     + gpkt(VS_SHUTDOWN, 0, flags=3))
seed("fuzz_vsock_conn", "guest-credit-request",
     guest_side + gpkt(VS_CREDIT_REQUEST, 0) + gpkt(VS_RW, 0, length=8000, flags=4) + RX_ADD(2))
seed("fuzz_vsock_conn", "bad-packets",
     guest_side + gpkt(VS_RW, 0, length=10, flags=1 << 5) + gpkt(VS_RW, 0, length=10, flags=3 << 5)
     + gpkt(VS_RESPONSE, 0xc1))
seed("fuzz_vsock_conn", "bad-handshake", act(3, 0xc1) + act(3, 0x80) + LOOP + RX_ADD() + LOOP)

# ---- fuzz_virtq: 8-byte header, then guest memory from gpa 0 (rings packed at 0).
def virtq_mem(qsize_log2, flags, chains, indirect_tables=(), event_idx=False):
    """chains: lists of (addr, len, write) descriptors laid out from descriptor 0 on."""
    n = 1 << qsize_log2
    desc_off, avail_off = 0, 16 * n
    used_off = (avail_off + 6 + 2 * n + 3) & ~3
    mem = bytearray(0x2000)
    d = 0
    heads = []
    for chain in chains:
        heads.append(d)
        for i, (addr, length, write, *extra) in enumerate(chain):
            fl = (2 if write else 0) | (1 if i + 1 < len(chain) else 0)
            if extra and extra[0] == "indirect":
                fl = 4
            struct.pack_into("<QIHH", mem, desc_off + 16 * d, addr, length, fl,
                             d + 1 if i + 1 < len(chain) else 0)
            d += 1
    for addr, table in indirect_tables:
        for i, (a, length, write) in enumerate(table):
            fl = (2 if write else 0) | (1 if i + 1 < len(table) else 0)
            struct.pack_into("<QIHH", mem, addr + 16 * i, a, length, fl, i + 1)
    struct.pack_into("<HH", mem, avail_off, 0, len(heads))
    for i, h in enumerate(heads):
        struct.pack_into("<H", mem, avail_off + 4 + 2 * i, h)
    if event_idx:
        struct.pack_into("<H", mem, avail_off + 4 + 2 * n, 0)
    del used_off
    for i in range(0x1000, 0x1100):
        mem[i] = i & 0xff
    return bytes([qsize_log2, flags]) + bytes(6) + bytes(mem)


F_EVENT_IDX, F_INDIRECT, F_LAYOUT, F_RAW, F_UNPOP, F_COPY = 1, 2, 4, 8, 0x10, 0x20
seed("fuzz_virtq", "one-chain", virtq_mem(2, F_COPY, [[(0x1000, 64, 0), (0x1800, 64, 1)]]))
seed("fuzz_virtq", "three-chains-event-idx",
     virtq_mem(3, F_EVENT_IDX | F_COPY, [[(0x1000, 16, 0)], [(0x1010, 32, 0), (0x1800, 8, 1)],
                                          [(0x1900, 100, 1)]], event_idx=True))
seed("fuzz_virtq", "indirect",
     virtq_mem(2, F_INDIRECT | F_COPY, [[(0x1400, 48, 0, "indirect")]],
               indirect_tables=[(0x1400, [(0x1000, 16, 0), (0x1100, 16, 0), (0x1800, 64, 1)])]))
seed("fuzz_virtq", "unpop", virtq_mem(1, F_UNPOP, [[(0x1000, 8, 0)], [(0x1008, 8, 0)]]))
seed("fuzz_virtq", "across-regions", virtq_mem(2, F_COPY, [[(0x7ff0, 0x20, 0)]]))
# A descriptor that names itself as next: the walk must stop.
seed("fuzz_virtq", "descriptor-loop", bytes([1, 0]) + bytes(6) + struct.pack("<QIHH", 0x1000, 8, 1, 0)
     + bytes(16) + struct.pack("<HHH", 0, 1, 0))

# ---- fuzz_blk: disk/segments byte, writable segment sizes, then header and payload.
def blk(typ, sector, payload=b"", in_sizes=(1,), n_out=1, ro=False):
    b0 = (1 if ro else 0) | ((n_out - 1) << 1) | (len(in_sizes) << 4)
    return (bytes([b0]) + b"".join(struct.pack("<H", s) for s in in_sizes)
            + struct.pack("<IIQ", typ, 0, sector) + payload)


seed("fuzz_blk", "read", blk(0, 3, in_sizes=(512, 1)))
seed("fuzz_blk", "write-2-segments", blk(1, 5, b"\xab" * 1024, n_out=2))
seed("fuzz_blk", "write-read-only", blk(1, 0, b"x" * 512, ro=True))
seed("fuzz_blk", "flush", blk(4, 0))
seed("fuzz_blk", "get-id", blk(8, 0, in_sizes=(20, 1)))
seed("fuzz_blk", "discard", blk(11, 0, struct.pack("<QII", 8, 8, 0)))
seed("fuzz_blk", "write-zeroes", blk(13, 0, struct.pack("<QII", 60, 8, 1)))
seed("fuzz_blk", "read-past-end", blk(0, 63, in_sizes=(1024, 1)))

# ---- fuzz_fuse: flags byte, then records (flags, room, length, request).
FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_SETATTR, FUSE_MKDIR, FUSE_UNLINK = 1, 2, 3, 4, 9, 10
FUSE_OPEN, FUSE_READ, FUSE_WRITE, FUSE_STATFS, FUSE_RELEASE = 14, 15, 16, 17, 18
FUSE_GETXATTR, FUSE_OPENDIR, FUSE_READDIR, FUSE_CREATE = 22, 27, 28, 35


def fuse(opcode, nodeid, body=b"", room=4096, segs=0, unique=[1]):
    unique[0] += 1
    req = struct.pack("<IIQQIIIHH", 40 + len(body), opcode, unique[0], nodeid, 0, 0, 1, 0, 0) + body
    return bytes([0x80 | segs]) + struct.pack("<HH", room, len(req)) + req


fuse_getattr_in = struct.pack("<IIQ", 0, 0, 0)
seed("fuzz_fuse", "lookup-getattr", b"\x00" + fuse(FUSE_LOOKUP, 1, b"a\0") + fuse(FUSE_GETATTR, 1, fuse_getattr_in))
seed("fuzz_fuse", "statfs-readonly", b"\x01" + fuse(FUSE_STATFS, 1))
seed("fuzz_fuse", "opendir-readdir", b"\x02" + fuse(FUSE_OPENDIR, 1, struct.pack("<II", 0, 0))
     + fuse(FUSE_READDIR, 1, struct.pack("<QQIIQII", 0, 0, 4096, 0, 0, 0, 0)))
seed("fuzz_fuse", "mkdir-unlink", b"\x00" + fuse(FUSE_MKDIR, 1, struct.pack("<II", 0o755, 0o22) + b"x\0")
     + fuse(FUSE_UNLINK, 1, b"a\0"))
seed("fuzz_fuse", "create-write",
     b"\x00" + fuse(FUSE_CREATE, 1, struct.pack("<IIII", 0o1 | 0o100, 0o644, 0o22, 0) + b"f\0")
     + fuse(FUSE_WRITE, 2, struct.pack("<QQIIQII", 0, 0, 5, 0, 0, 0, 0) + b"hello", segs=2))
seed("fuzz_fuse", "no-init", b"\x40" + fuse(FUSE_GETATTR, 1, fuse_getattr_in))
seed("fuzz_fuse", "forget", b"\x00" + fuse(FUSE_FORGET, 2, struct.pack("<Q", 1), room=0))
seed("fuzz_fuse", "getxattr", b"\x00" + fuse(FUSE_GETXATTR, 1, struct.pack("<II", 64, 0) + b"user.x\0"))

# ---- fuzz_net: 9-byte header, 5-byte descriptor records, then guest memory from 0x1000.
D_TX, D_WRITE, D_MORE, D_BIG, D_INDIRECT = 1, 2, 4, 8, 0x10


def net(qlog2, feat, frames, descs, memory):
    h = bytes([qlog2, feat]) + b"".join(struct.pack("<H", f) for f in frames) + bytes([len(descs)])
    return h + b"".join(struct.pack("<BHH", f, a, l) for f, a, l in descs) + memory


eth = bytes(12) + b"\x08\x00" + bytes(46)  # an Ethernet frame of 60 bytes
vnet = bytes(12)  # virtio_net_hdr_mrg_rxbuf, all zero
seed("fuzz_net", "tx-one-frame", net(4, 0, (0, 0, 0), [(D_TX, 0x1000, 72)], vnet + eth))
seed("fuzz_net", "tx-split-header",
     net(4, 0, (0, 0, 0), [(D_TX | D_MORE, 0x1000, 12), (D_TX, 0x100c, 60)], vnet + eth))
seed("fuzz_net", "rx-two-buffers",
     net(4, 0, (4, 4, 0), [(D_WRITE, 0x2000, 1526), (D_WRITE, 0x3000, 1526)], b""))
seed("fuzz_net", "rx-mergeable",
     net(4, 1, (200, 0, 0), [(D_WRITE, 0x2000, 1000), (D_WRITE, 0x3000, 1000), (D_WRITE, 0x4000, 1000)], b""))
seed("fuzz_net", "tx-bad-header",
     net(3, 8, (0, 0, 0), [(D_TX, 0x1000, 72)], b"\x01\x01" + bytes(10) + eth))

# ---- fuzz_mmio: device byte, config size byte, then 7-byte accesses (kind, offset, value).
REG = {"magic": 0x000, "version": 0x004, "dev_feat": 0x010, "dev_feat_sel": 0x014,
       "drv_feat": 0x020, "drv_feat_sel": 0x024, "queue_sel": 0x030, "queue_num_max": 0x034,
       "queue_num": 0x038, "queue_ready": 0x044, "notify": 0x050, "int_status": 0x060,
       "int_ack": 0x064, "status": 0x070, "desc_lo": 0x080, "desc_hi": 0x084, "avail_lo": 0x090,
       "avail_hi": 0x094, "used_lo": 0x0a0, "used_hi": 0x0a4, "generation": 0x0fc, "config": 0x100}


def w(reg, value, width=0):
    off = REG[reg] if isinstance(reg, str) else reg
    return struct.pack("<BHI", 1 | width << 1, off, value)


def r(reg, width=0):
    off = REG[reg] if isinstance(reg, str) else reg
    return struct.pack("<BHI", width << 1, off, 0)


# Byte 0: D_FEATURES (4), one queue ((1 << 3)), queue max 16 ((3 << 5)); 8 bytes of config.
negotiate = (r("magic") + r("version") + w("status", 0) + w("status", 1) + w("status", 3)
             + w("dev_feat_sel", 1) + r("dev_feat") + w("drv_feat_sel", 1) + w("drv_feat", 1)
             + w("status", 0xb) + r("status"))
queue0 = (w("queue_sel", 0) + r("queue_num_max") + w("queue_num", 8) + w("desc_lo", 0x1000)
          + w("avail_lo", 0x2000) + w("used_lo", 0x3000) + w("queue_ready", 1) + r("queue_ready"))
live = w("status", 0xf) + r("status")
dev = bytes([4 | 1 << 3 | 3 << 5, 8])
seed("fuzz_mmio", "negotiate-and-kick",
     dev + negotiate + queue0 + live + w("notify", 0) + r("int_status") + w("int_ack", 1)
     + w("desc_lo", 0x4000) + w("status", 0))
seed("fuzz_mmio", "activation-fails", bytes([5 | 1 << 3 | 3 << 5, 8]) + negotiate + queue0 + live)
seed("fuzz_mmio", "kick-fails", bytes([6 | 1 << 3 | 3 << 5, 8]) + negotiate + queue0 + live
     + w("notify", 0) + r("status"))
seed("fuzz_mmio", "features-refused", dev + w("status", 1) + w("status", 3) + w("status", 0xf))
seed("fuzz_mmio", "config-space", dev + r("config", 0) + r(0x104, 4) + r(0x107, 5)
     + w(0x102, 0xbeef, 5) + r(0x100, 6) + r(0x1fc, 0))
seed("fuzz_mmio", "queue-outside-memory", dev + negotiate + w("queue_num", 8)
     + w("desc_hi", 1) + w("queue_ready", 1) + r("status"))
seed("fuzz_mmio", "odd-widths", dev + r("status", 4) + w("status", 1, 5) + r(0x071, 0))


# ---- fuzz_agent_reply: the first byte picks the op, the rest is the reply frame's body.
seed("fuzz_agent_reply", 'create', bytes([0]) + b'{"id":1,"ok":true,"process":"p1"}')
seed("fuzz_agent_reply", 'disk', bytes([4]) + b'{"id":1,"ok":true,"device":"/dev/vda","major":254,"minor":0}')
seed("fuzz_agent_reply", 'error', bytes([0]) + b'{"id":1,"ok":false,"error":"exec: no-such-command: No such file or directory"}')
seed("fuzz_agent_reply", 'frame-error', bytes([1]) + b'{"ok":false,"error":"frame: length 0 out of range (1..1048576)"}')
seed("fuzz_agent_reply", 'ps-all', bytes([1]) + b'{"id":1,"ok":true,"processes":[{"process":"p1","pid":213,"args":["sh","-c","sleep 1000"],"status":"running","terminal":false,"owner":"p1"}],"all":[{"pid":1,"ppid":0,"state":"S","comm":"init"},{"pid":213,"ppid":1,"state":"S","comm":"sleep"}]}')
seed("fuzz_agent_reply", 'wait-exit', bytes([2]) + b'{"id":1,"ok":true,"exit_code":7,"exit_status":7}')
seed("fuzz_agent_reply", 'wait-signal', bytes([2]) + b'{"id":1,"ok":true,"signal":9,"exit_status":137}')
seed("fuzz_agent_reply", 'stats', bytes([6]) + b'{"id":1,"ok":true,"cpu":{"usage_usec":41234,"user_usec":30000,"system_usec":11234,"nr_periods":0,"nr_throttled":0,"throttled_usec":0},"memory":{"current":3215360,"max":67108864,"events":{"low":0,"high":0,"max":12,"oom":1,"oom_kill":1},"stat":{"anon":1048576,"file":2097152,"kernel":69632,"sock":0,"shmem":2097152,"pgfault":1320}},"swap":{"current":0,"max":-1},"pids":{"current":3,"max":-1},"io":[{"major":254,"minor":0,"rbytes":4096,"wbytes":0,"rios":1,"wios":0}],"net":[{"name":"eth0","rx_bytes":1280,"rx_packets":12,"rx_errors":0,"rx_dropped":0,"tx_bytes":656,"tx_packets":8,"tx_errors":0,"tx_dropped":0}]}')


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    total = 0
    for harness, items in sorted(seeds.items()):
        d = os.path.join(OUT, harness)
        os.makedirs(d)
        for name, data in items:
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            total += 1
    print(f"{total} seeds for {len(seeds)} harnesses in {os.path.relpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
