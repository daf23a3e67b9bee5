#!/usr/bin/env bash
# The agent ops an OCI runtime builds a container with (mount in a root, mknod, hostname,
# sysctl, create's namespaces, masks, capabilities and privileges), for real: a VM boots with the agent as
# init, and a raw client drives it over the vsock Unix socket (kage vm --vsock-socket).
# The container root is a tmpfs at /run/kage/root filled with busybox; the checks look at it
# from outside, from the guest's own root, and from processes chrooted into it.
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
# --initrd: the embedded initramfs itself, but booted with the agent as init (plain `kage vm`
# boots a marker program instead).
# KAGE_TEST_AGENT_DEBUG=1 puts the agent's debug log on the console (shown on failure).
"$KAGE" vm --mem 256 --initrd "$KAGE_REPO/build/guest/initramfs.cpio.gz" \
	${KAGE_TEST_AGENT_DEBUG:+--cmdline KAGE_AGENT_DEBUG=1} --vsock-socket "$tmp/v.sock" --console >"$tmp/console" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -S "$tmp/v.sock" ] && break; sleep 0.1; done

timeout 600 python3 - "$tmp/v.sock" <<'EOF'
import json, socket, struct, sys, time

SOCK = sys.argv[1]
failed = False
ROOT = "/run/kage/root"


def report(ok, name, why=None):
    global failed
    print(("ok - " if ok else "not ok - ") + name, flush=True)
    if not ok and why is not None:
        print("# " + str(why).replace("\n", "\n# ")[:2000], flush=True)
    failed |= not ok


def connect(port):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(120)
    s.connect(SOCK)
    s.sendall(b"CONNECT %d\n" % port)
    line = b""
    while not line.endswith(b"\n"):
        b = s.recv(1)
        if not b:
            s.close()
            return None
        line += b
    if not line.startswith(b"OK "):
        s.close()
        return None
    return s


def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("connection closed")
        b += c
    return b


def send_frame(s, o):
    b = json.dumps(o).encode()
    s.sendall(struct.pack(">I", len(b)) + b)


def recv_frame(s):
    return json.loads(recvn(s, struct.unpack(">I", recvn(s, 4))[0]))


class Agent:
    def __init__(self):
        end = time.time() + 300
        self.ctl = None
        while not self.ctl and time.time() < end:
            try:
                self.ctl = connect(1024)
            except OSError:
                pass
            if not self.ctl:
                time.sleep(0.3)
        self.id = 0

    def req(self, op, **kw):
        self.id += 1
        send_frame(self.ctl, dict(kw, v=1, id=self.id, op=op))
        r = recv_frame(self.ctl)
        assert r.get("id") == self.id, r
        return r

    def stream(self, process, name):
        s = connect(1025)
        send_frame(s, {"v": 1, "process": process, "stream": name})
        a = recv_frame(s)
        assert a == {"ok": True}, a
        return s

    def run(self, args, **kw):
        """(exit_status, stdout, stderr), or (None, error, "") when create fails."""
        r = self.req("create", args=args, **kw)
        if not r["ok"]:
            return None, r["error"], ""
        p = r["process"]
        o, e = self.stream(p, "stdout"), self.stream(p, "stderr")
        assert self.req("start", process=p)["ok"]
        out = [b"", b""]
        for i, s in enumerate((o, e)):
            while True:
                c = s.recv(65536)
                if not c:
                    break
                out[i] += c
            s.close()
        w = self.req("wait", process=p)
        return w["exit_status"], out[0].decode(), out[1].decode()

    def sh(self, script, **kw):
        return self.run(["sh", "-c", script], **kw)


def check_ok(name, r):
    report(r.get("ok") is True, name, r)


def check_err(name, r, want):
    report(r.get("ok") is False and want in r.get("error", ""), name, r)


def check_sh(name, a, script, want, **kw):
    st, out, err = a.sh(script, **kw)
    report(st == 0 and out.strip() == want, name,
           "status %s, stdout %r (want %r), stderr %r" % (st, out, want, err))


a = Agent()
report(a.ctl is not None, "the agent answers on vsock port 1024")
if not a.ctl:
    sys.exit(1)

print("# a container root: tmpfs at %s with busybox and hostile symlinks" % ROOT, flush=True)
check_ok("mount without a root works as before",
         a.req("mount", source="tmpfs", target=ROOT, type="tmpfs", options=["mode=0755"]))
st, out, err = a.sh("""set -e; cd %s; mkdir -p bin data/secretdir data/rodir tmp
cp /bin/busybox bin/; busybox --install -s %s/bin
echo secret >data/secret.txt; echo plain >data/plain; echo inside >data/secretdir/f
ln -s / evil; ln -s ../../../../../.. up; ln -s /etc/nowhere dangling""" % (ROOT, ROOT))
report(st == 0, "populate the root", err)

print("# mount: targets resolve inside the root", flush=True)
check_ok("mount on /evil/x (evil -> /)",
         a.req("mount", root=ROOT, source="tmpfs", target="/evil/x", type="tmpfs"))
check_sh("... lands at <root>/x, not at /x", a,
         "grep -c ' %s/x tmpfs' /proc/mounts; test -e /x || echo no-x" % ROOT, "1\nno-x")
check_ok("mount on /up/y (up -> ../../../../../..)",
         a.req("mount", root=ROOT, source="tmpfs", target="/up/y", type="tmpfs"))
check_sh("... lands at <root>/y", a,
         "grep -c ' %s/y tmpfs' /proc/mounts; test -e /y || echo no-y" % ROOT, "1\nno-y")
check_ok("a bind mount of a file, read-only",
         a.req("mount", root=ROOT, source="/init", target="/bound/file", type="bind",
               options=["rbind", "ro", "nosuid"]))
check_sh("... creates the target as a file and mounts it ro,nosuid", a,
         "test -f %s/bound/file && grep ' %s/bound/file ' /proc/mounts | cut -d' ' -f4 "
         "| tr , '\\n' | grep -E '^(ro|nosuid)$' | sort | tr '\\n' ' '" % (ROOT, ROOT),
         "nosuid ro")
check_ok("OCI option words (strictatime, nodiratime, dirsync, mand, shared, size=)",
         a.req("mount", root=ROOT, source="tmpfs", target="/dev", type="tmpfs",
               options=["nosuid", "strictatime", "mode=755", "size=65536k", "nodiratime",
                        "dirsync", "nomand", "shared"]))
check_sh("... propagation applied in a second call (shared in mountinfo)", a,
         "grep ' %s/dev ' /proc/self/mountinfo | grep -c shared:" % ROOT, "1")
check_ok("type cgroup becomes cgroup2",
         a.req("mount", root=ROOT, source="cgroup", target="/sys/fs/cgroup", type="cgroup",
               options=["nosuid", "noexec", "nodev", "relatime", "ro", "cpu,cpuacct"]))
check_sh("... mounted as cgroup2", a,
         "grep ' %s/sys/fs/cgroup ' /proc/mounts | cut -d' ' -f3" % ROOT, "cgroup2")
check_ok("rro is applied recursively",
         a.req("mount", root=ROOT, source="/run/kage/root/data", target="/rro", type="bind",
               options=["rbind", "rro", "rprivate"]))
check_sh("... the mount is read-only", a,
         "touch %s/rro/x 2>/dev/null || echo ro" % ROOT, "ro")
check_err("mount through a dangling symlink fails",
          a.req("mount", root=ROOT, source="tmpfs", target="/dangling", type="tmpfs"),
          "No such file or directory")
check_err("a missing source is reported",
          a.req("mount", root=ROOT, source="/no/such", target="/z", type="bind",
                options=["bind"]), "mount /no/such (bind) on /run/kage/root/z")

print("# mknod", flush=True)
check_ok("defaults", a.req("mknod", root=ROOT, defaults=True))
check_sh("... null zero full random urandom tty are 0666 char devices", a,
         "cd %s/dev && stat -c '%%n %%F %%t:%%T %%a' null zero full random urandom tty" % ROOT,
         "\n".join(["null character special file 1:3 666", "zero character special file 1:5 666",
                    "full character special file 1:7 666", "random character special file 1:8 666",
                    "urandom character special file 1:9 666", "tty character special file 5:0 666"]))
check_sh("... and the links", a,
         "cd %s/dev && for l in ptmx fd stdin stdout stderr core; do readlink $l; done" % ROOT,
         "pts/ptmx\n/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\n/proc/kcore")
check_sh("... the nodes work", a, "head -c 5 %s/dev/zero | wc -c; echo x >%s/dev/null && echo w"
         % (ROOT, ROOT), "5\nw")
check_ok("one node with mode and owner",
         a.req("mknod", root=ROOT, path="/evil/dev/mine", type="c", major=1, minor=5,
               mode=0o600, uid=1000, gid=1001))
check_sh("... inside the root, as asked", a,
         "stat -c '%%F %%t:%%T %%a %%u:%%g' %s/dev/mine; test -e /dev/mine || echo no" % ROOT,
         "character special file 1:5 600 1000:1001\nno")
check_ok("a fifo, parents created",
         a.req("mknod", root=ROOT, path="/dev/a/b/fifo", type="p", mode=0o644))
check_sh("... is a fifo", a, "stat -c %%F %s/dev/a/b/fifo" % ROOT, "fifo")
check_ok("an existing file is replaced",
         a.req("mknod", root=ROOT, path="/data/plain", type="p"))
check_sh("... by the node", a, "stat -c %%F %s/data/plain" % ROOT, "fifo")
check_err("an existing directory is not", a.req("mknod", root=ROOT, path="/data", type="p"),
          "exists as a directory")

print("# hostname, sysctl", flush=True)
check_ok("hostname", a.req("hostname", hostname="kage-ctr", domainname="example.org"))
check_sh("... sethostname and setdomainname", a,
         "hostname; cat /proc/sys/kernel/domainname", "kage-ctr\nexample.org")
check_ok("sysctl", a.req("sysctl", sysctl={"net.ipv4.ip_forward": "1",
                                           "kernel.domainname": "other.org"}))
check_sh("... written", a, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/domainname",
         "1\nother.org")
check_err("an unknown sysctl", a.req("sysctl", sysctl={"net.nope.nope": "1"}),
          "sysctl net.nope.nope: No such file or directory")
check_err("a sysctl name with ..", a.req("sysctl", sysctl={"net..ipv4": "1"}),
          "dot-separated")

print("# a container's init: its own namespaces, masks, pivot_root", flush=True)
check_ok("proc in the root", a.req("mount", root=ROOT, source="proc", target="/proc", type="proc",
                                   options=["nosuid", "noexec", "nodev"]))
NS = ["mount", "pid", "ipc", "uts", "cgroup"]
CTR = dict(root=ROOT, env=["PATH=/bin"], init=True, namespaces=NS,
           masked=["/data/secret.txt", "/data/secretdir", "/no/such/path"],
           readonly=["/proc/sys", "/data/rodir", "/not/there"])
check_sh("masked: a file reads empty, a directory is empty and read-only", a,
         "wc -c </data/secret.txt; ls /data/secretdir | wc -l; "
         "touch /data/secretdir/n 2>/dev/null || echo ro", "0\n0\nro", **CTR)
check_sh("read-only paths, and proc keeps nosuid,nodev,noexec", a,
         "echo 0 2>/dev/null >/proc/sys/net/ipv4/ip_forward || echo ro; "
         "touch /data/rodir/n 2>/dev/null || echo ro; "
         "grep ' /proc/sys ' /proc/mounts | cut -d' ' -f4", "ro\nro\nro,nosuid,nodev,noexec,relatime",
         **CTR)
check_sh("the masks live in the container's mount namespace only", a,
         "wc -c <%s/data/secret.txt" % ROOT, "7")
check_sh("PID 1 of its own PID namespace, seeing only itself in /proc", a,
         "echo $$; cd /proc && echo [0-9]*", "1\n1", **CTR)
check_sh("nothing of the agent's tree: no /run/kage, no /init, / is the root's", a,
         "test -e /run/kage || echo no-run-kage; test -e /init || echo no-init; "
         "test -x /bin/busybox && echo the-containers-root",
         "no-run-kage\nno-init\nthe-containers-root", **CTR)
r = a.req("create", args=["sleep", "1000"], **CTR)
report(r.get("ok") is True and a.req("start", process=r.get("process"))["ok"],
       "a long-running container init", r)
init = r.get("process")
check_sh("an exec joins the init's namespaces: its /proc (PID 1 is the init), its root", a,
         r"cat /proc/1/cmdline | tr '\0' ' '; echo; test -e /run/kage || echo no-run-kage; "
         r"set -- /proc/[0-9]*; echo $#", "sleep 1000 \nno-run-kage\n2",
         env=["PATH=/bin"], join=init)
check_err("an init cannot join", a.req("create", args=["true"], init=True, join=init),
          "joins none")
a.req("signal", process=init, signal=9)
a.req("wait", process=init)
check_err("join: an init that has exited", a.req("create", args=["true"], join=init),
          "no container init")
check_err("an exec cannot make namespaces", a.req("create", args=["true"], root=ROOT,
                                                  namespaces=NS), "'init': true")
check_err("namespaces need 'mount'", a.req("create", args=["true"], root=ROOT, init=True,
                                           namespaces=["pid"]), "must include 'mount'")
check_err("an unknown namespace", a.req("create", args=["true"], root=ROOT, init=True,
                                        namespaces=["mount", "time"]), "unknown namespace 'time'")
check_err("join: no such init", a.req("create", args=["true"], join="p999"),
          "no container init 'p999'")

print("# create in the root, capabilities and privileges", flush=True)
check_sh("a process chrooted into the root sees its /proc and /dev", a,
         "test -c /dev/null && hostname && echo $(wc -c </data/secret.txt)",
         "kage-ctr\n7", root=ROOT, env=["PATH=/bin"])
check_sh("an empty capability set: CapEff 0, chown denied", a,
         "grep -E '^Cap(Eff|Bnd)' /proc/self/status | tr '\\t' ' '; touch /tmp/cx; "
         "chown 1 /tmp/cx 2>/dev/null || echo denied",
         "CapEff: 0000000000000000\nCapBnd: 0000000000000000\ndenied",
         capabilities={})
allcaps = list(range(41))
check_sh("CAP_CHOWN kept across setuid 1000, and ambient", a,
         "grep -E '^Cap(Eff|Amb)' /proc/self/status | tr '\\t' ' '; id -u; "
         "chown 1000 /tmp/cx && echo chowned",
         "CapEff: 0000000000000001\nCapAmb: 0000000000000001\n1000\nchowned",
         uid=1000, gid=1000, capabilities={"bounding": allcaps, "effective": [0],
                                           "permitted": [0], "inheritable": [0],
                                           "ambient": [0]})
check_sh("an ambient capability not inheritable is left out (as runc), not an error", a,
         "grep -E '^CapAmb' /proc/self/status | tr '\\t' ' '; echo ran",
         "CapAmb: 0000000000000000\nran",
         capabilities={"bounding": allcaps, "permitted": [0], "effective": [0], "ambient": [0]})
check_sh("no_new_privileges, oom_score_adj, umask", a,
         "grep NoNewPrivs /proc/self/status | tr '\\t' ' '; cat /proc/self/oom_score_adj; umask",
         "NoNewPrivs: 1\n-500\n0027", no_new_privileges=True, oom_score_adj=-500, umask=0o27)
check_sh("without them, root keeps every capability", a,
         "grep -E '^CapEff' /proc/self/status | tr '\\t' ' '; grep NoNewPrivs /proc/self/status "
         "| tr '\\t' ' '", "CapEff: 000001ffffffffff\nNoNewPrivs: 0")

print("# errors in the VM", flush=True)
check_err("mount: relative target", a.req("mount", source="tmpfs", target="rel", type="tmpfs"),
          "must be an absolute path")
check_err("mknod: unknown type", a.req("mknod", path="/dev/x", type="q"), "'type' must be")
check_err("create: masked not strings", a.req("create", args=["true"], masked=[1]),
          "'masked' must be an array")
check_ok("the agent still answers", a.req("version"))

# The guest's reset may beat the answer out (runtime/machine/run.c does not wait for it either);
# the VM ending cleanly is checked below.
send_frame(a.ctl, {"v": 1, "id": 999, "op": "shutdown"})
sys.exit(1 if failed else 0)
EOF
rc=$?
check "every check in the VM passed (python status $rc)" test "$rc" = 0
for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill $pid 2>/dev/null # the checks failed before they could shut the VM down
wait $pid
vm_rc=$?
pid=
check "the VM ended cleanly after shutdown (kage status $vm_rc)" test "$vm_rc" = 0
if [ "$rc" != 0 ] || [ "$vm_rc" != 0 ]; then
	diag "the guest console's tail:"
	tail -${KAGE_TEST_CONSOLE_LINES:-30} "$tmp/console" | while IFS= read -r line; do diag "  $line"; done
fi
finish
