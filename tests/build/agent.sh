#!/usr/bin/env bash
# The guest agent's protocol, on the host: build/guest/agent runs in test mode on unix sockets
# (--listen-unix) and build/tests/agent-client drives it through runtime/agent/client.c.
# Malformed input goes in raw through a few lines of Python. No VM is involved.
. "$(dirname "$0")/../lib.sh"

AGENT=${KAGE_TEST_AGENT:-$KAGE_REPO/build/guest/agent}	# KAGE_TEST_AGENT: e.g. a sanitizer build
CLIENT=$KAGE_REPO/build/tests/agent-client
[ -x "$AGENT" ] || { not_ok "build/guest/agent exists (make build/guest/agent)"; finish; }
[ -x "$CLIENT" ] || { not_ok "build/tests/agent-client exists (make helpers)"; finish; }

tmp=$(mktemp -d)
agent_pid=
cleanup() {
	[ -n "$agent_pid" ] && kill -9 "$agent_pid" 2>/dev/null
	if [ "$_failed" = 1 ] && [ -s "$tmp/agent.log" ]; then
		diag "the agent's log:"
		while IFS= read -r line; do diag "  $line"; done <"$tmp/agent.log"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
A=$tmp/a

"$AGENT" --listen-unix "$A" --debug 2>"$tmp/agent.log" &
agent_pid=$!
for _ in $(seq 100); do [ -S "$A.io" ] && break; sleep 0.05; done
check "agent listens on PREFIX.ctl and PREFIX.io" test -S "$A.ctl" -a -S "$A.io"

# run ARGS...: the client with a time limit, so a hung agent fails the test instead of hanging it.
run() { timeout 60 "$CLIENT" "$@"; }
alive() { kill -0 "$agent_pid" 2>/dev/null; }

# Raw protocol access: `proto SUFFIX` runs the Python on stdin with send/recv helpers bound to
# a fresh connection to PREFIX.SUFFIX.
proto() {
	local suffix=$1
	python3 - "$A.$suffix" <<EOF
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(10)
def raw(b): s.sendall(b)
def send(o): b = json.dumps(o).encode(); raw(struct.pack(">I", len(b)) + b)
def recvn(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: return None
        b += c
    return b
def recv():
    h = recvn(4)
    if h is None: return "EOF"
    return json.loads(recvn(struct.unpack(">I", h)[0]))
def closed():
    try: return s.recv(1) == b""
    except ConnectionResetError: return True
def start_and_read(p):
    """Attaches to p's stdout, starts it, returns all it wrote once it exited 0."""
    c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1][:-4] + ".io")
    b = json.dumps({"v": 1, "process": p, "stream": "stdout"}).encode()
    c.sendall(struct.pack(">I", len(b)) + b)
    h = c.recv(4); assert json.loads(c.recv(struct.unpack(">I", h)[0]))["ok"]
    send({"v": 1, "id": 2, "op": "start", "process": p}); assert recv()["ok"]
    out = b""
    while True:
        d = c.recv(4096)
        if not d: break
        out += d
    send({"v": 1, "id": 3, "op": "wait", "process": p}); assert recv()["exit_status"] == 0
    return out
$(cat)
EOF
}

diag "exit status"
expect_status "exit 0" 0 run "$A" -- true
expect_status "exit 1" 1 run "$A" -- false
expect_status "exit 42" 42 run "$A" -- sh -c 'exit 42'
expect_status "killed by SIGKILL: 137" 137 run "$A" -- sh -c 'kill -9 $$'
expect_status "SIGTERM via --signal-after: 143" 143 run "$A" --signal-after 200 TERM -- sleep 30

diag "stdio"
out=$(run "$A" -- sh -c 'echo to-out; echo to-err >&2' 2>"$tmp/err")
check "stdout carries stdout only" test "$out" = to-out
check "stderr carries stderr only" test "$(cat "$tmp/err")" = to-err
check "trailing output arrives before the exit status" \
	test "$(run "$A" -- sh -c 'head -c 300000 /dev/zero; exit 3' | wc -c)" = 300000
head -c $((10 * 1024 * 1024)) /dev/urandom >"$tmp/big"
run "$A" -- cat <"$tmp/big" >"$tmp/big.out"
check "cat round-trips 10 MiB of stdin (sha256)" \
	test "$(sha256sum <"$tmp/big")" = "$(sha256sum <"$tmp/big.out")"
check "stdin EOF reaches the process" test "$(echo abc | run "$A" -- wc -c)" = 4
start=$SECONDS
head -c 2000000 /dev/zero | run "$A" -- sleep 1
check "a process that never reads pending stdin exits normally" test $? = 0
check "... and promptly ($((SECONDS - start)) s)" test $((SECONDS - start)) -lt 10
yes | run "$A" -- sleep 3 &
slow=$!
start=$SECONDS
check "the agent serves others while stdin is stuck" test "$(run "$A" -- echo quick)" = quick
check "... without waiting for it" test $((SECONDS - start)) -lt 3
wait $slow
check "the stuck-stdin process still exits 0" test $? = 0
start=$SECONDS
out=$(run "$A" --init -- sh -c 'sleep 100 & echo started')
check "--init: a daemon holding init's stdout is killed when init exits" test "$out" = started
check "... at once ($((SECONDS - start)) s)" test $((SECONDS - start)) -lt 10
check "--no-stdin gives /dev/null" test "$(run "$A" --no-stdin -- cat </dev/zero | wc -c)" = 0
check "--env" test "$(run "$A" --env FOO=bar -- sh -c 'echo $FOO')" = bar
check "--cwd" test "$(run "$A" --cwd /tmp -- pwd)" = /tmp
if [ "$(id -u)" = 0 ]; then
	check "--user sets uid and gid" test "$(run "$A" --user 1234:4321 -- sh -c 'echo $(id -u) $(id -g)')" = "1234 4321"
else
	skip "--user sets uid and gid" "needs root"
fi

diag "errors"
out=$(run "$A" -- /nonexistent/cmd 2>&1)
rc=$?
check "a nonexistent command exits 127" test "$rc" = 127
contains "... with a clear error" "$out" "exec: /nonexistent/cmd: No such file or directory"
out=$(run "$A" -- no-such-command-kage 2>&1)
contains "a command not on PATH is reported" "$out" "exec: no-such-command-kage: No such file or directory"
out=$(run "$A" --cwd /nonexistent -- true 2>&1)
contains "a bad cwd is reported" "$out" "chdir '/nonexistent': No such file or directory"

diag "concurrency"
for i in $(seq 10); do
	(run "$A" -- sh -c "sleep 0.$((i % 5)); echo out$i; exit $i" >"$tmp/c$i"; echo $? >"$tmp/r$i") &
done
wait_ok=1
for i in $(seq 10); do
	for _ in $(seq 600); do [ -s "$tmp/r$i" ] && break; sleep 0.1; done
	[ "$(cat "$tmp/r$i" 2>/dev/null)" = "$i" ] && [ "$(cat "$tmp/c$i")" = "out$i" ] || wait_ok=0
done
check "10 concurrent processes each exit with their own status and output" test $wait_ok = 1

diag "terminal"
out=$(run "$A" -t --console-size 33x101 -- sh -c 'tty; stty size' </dev/null)
contains "-t gives a pty" "$out" "/dev/pts/"
contains "-t applies the console size" "$out" "33 101"
contains "-t without a size gets 24x80" "$(run "$A" -t -- stty size </dev/null)" "24 80"
expect_status "-t keeps the exit status" 7 run "$A" -t -- sh -c 'exit 7' </dev/null

diag "protocol"
check "version" proto ctl <<'EOF'
send({"v": 1, "id": 1, "op": "version"})
r = recv()
assert r["id"] == 1 and r["ok"] and r["protocol"] == 1 and r["version"] and r["kernel"], r
EOF
check "create, attach, start, ps, resize, signal, wait, rlimits" proto ctl <<'EOF'
send({"v": 1, "id": 1, "op": "create", "args": ["sh", "-c", "ulimit -n; read x; echo $x"],
      "stdin": True, "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]})
r = recv(); assert r["ok"] and r["pid"] > 0, r
p = r["process"]
def stream(name):
    c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1][:-4] + ".io")
    b = json.dumps({"v": 1, "process": p, "stream": name}).encode()
    c.sendall(struct.pack(">I", len(b)) + b)
    h = c.recv(4); a = json.loads(c.recv(struct.unpack(">I", h)[0]))
    return c, a
i, a = stream("stdin"); assert a == {"ok": True}, a
o, a = stream("stdout"); assert a == {"ok": True}, a
e, a = stream("stderr"); assert a == {"ok": True}, a
_, a = stream("stdout"); assert not a["ok"] and "already attached" in a["error"], a
send({"v": 1, "id": 2, "op": "ps"})
r = recv(); assert [x["status"] for x in r["processes"] if x["process"] == p] == ["created"], r
send({"v": 1, "id": 3, "op": "resize", "process": p, "rows": 10, "cols": 10})
r = recv(); assert not r["ok"] and "no terminal" in r["error"], r
send({"v": 1, "id": 4, "op": "start", "process": p})
r = recv(); assert r == {"id": 4, "ok": True}, r
send({"v": 1, "id": 5, "op": "start", "process": p})
r = recv(); assert not r["ok"] and "already started" in r["error"], r
_, a = stream("stderr"); assert not a["ok"], a
send({"v": 1, "id": 6, "op": "wait", "process": p})
send({"v": 1, "id": 7, "op": "ps"})
r = recv(); assert r["id"] == 7 and [x["status"] for x in r["processes"] if x["process"] == p] == ["running"], r
i.sendall(b"hello\n"); i.close()
r = recv(); assert r == {"id": 6, "ok": True, "exit_code": 0, "exit_status": 0}, r
out = b""
while True:
    c = o.recv(4096)
    if not c: break
    out += c
assert out == b"123\nhello\n", out
send({"v": 1, "id": 8, "op": "signal", "process": p, "signal": 15})
r = recv(); assert not r["ok"] and "no such process" in r["error"], r
EOF
check "close_stdin, and wait after the exit answers at once" proto ctl <<'EOF'
send({"v": 1, "id": 1, "op": "create", "args": ["cat"], "stdin": True})
p = recv()["process"]
send({"v": 1, "id": 2, "op": "start", "process": p}); assert recv()["ok"]
send({"v": 1, "id": 3, "op": "close_stdin", "process": p}); assert recv()["ok"]
import time; time.sleep(0.3)
send({"v": 1, "id": 4, "op": "ps"})
r = recv(); assert [x["exit_status"] for x in r["processes"] if x["process"] == p] == [0], r
send({"v": 1, "id": 5, "op": "wait", "process": p})
assert recv() == {"id": 5, "ok": True, "exit_code": 0, "exit_status": 0}
send({"v": 1, "id": 6, "op": "wait", "process": p})
r = recv(); assert not r["ok"] and "no such process" in r["error"], r
EOF
check "a half-closed control connection still gets its answers" proto ctl <<'EOF'
send({"v": 1, "id": 1, "op": "create", "args": ["sleep", "0.2"]})
p = recv()["process"]
send({"v": 1, "id": 2, "op": "start", "process": p}); assert recv()["ok"]
c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1])
b = json.dumps({"v": 1, "id": 3, "op": "wait", "process": p}).encode()
c.sendall(struct.pack(">I", len(b)) + b)
c.shutdown(socket.SHUT_WR)
s = c
r = recv(); assert r == {"id": 3, "ok": True, "exit_code": 0, "exit_status": 0}, r
assert recv() == "EOF"
EOF
check "capabilities, no_new_privileges, oom_score_adj, umask reach the process" proto ctl <<'EOF'
# bounding: every number, so that an unprivileged agent has nothing to drop
send({"v": 1, "id": 1, "op": "create",
      "args": ["sh", "-c", "grep -E '^(CapEff|CapPrm|CapInh|NoNewPrivs)' /proc/self/status; "
                           "cat /proc/self/oom_score_adj; umask"],
      "capabilities": {"bounding": list(range(64))}, "no_new_privileges": True,
      "oom_score_adj": 500, "umask": 0o27})
r = recv(); assert r["ok"], r
out = start_and_read(r["process"])
want = ("CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
        "NoNewPrivs:\t1\n500\n0027\n")
assert out.decode() == want, out
EOF
# seccomp: an ERRNO rule, a rule with argument comparisons (on different arguments: all must
# hold), a name libseccomp does not know (skipped, as runc), loaded with no_new_privileges.
check "a seccomp filter reaches the process and is enforced" proto ctl <<'EOF'
send({"v": 1, "id": 1, "op": "create",
      "args": ["sh", "-c", "grep -E '^Seccomp:' /proc/self/status; mkdir /proc/x 2>&1; "
                           "mkdir /nonexistent-dir/x 2>&1 | grep -q 'Operation not permitted' && echo eperm;"
                           "echo done"],
      "no_new_privileges": True,
      "seccomp": {"default_action": "allow", "architectures": ["x86_64", "x86", "x32", "nosucharch"],
                  "syscalls": [{"names": ["mkdir", "mkdirat", "no_such_syscall"], "action": "errno",
                                "errno": 1},
                               {"names": ["personality"], "action": "errno", "errno": 22,
                                "args": [{"index": 0, "value": 0xffffffff, "op": "eq"},
                                         {"index": 1, "value": 0, "value_two": 0, "op": "masked_eq"}]}]}})
r = recv(); assert r["ok"], r
out = start_and_read(r["process"])
lines = out.decode().splitlines()
assert lines[0] == "Seccomp:\t2", out
assert "Operation not permitted" in lines[1], out
assert lines[2:] == ["eperm", "done"], out
EOF
check "a seccomp filter whose default refuses execve: the create fails at start, clearly" proto ctl <<'EOF'
send({"v": 1, "id": 1, "op": "create", "args": ["true"], "no_new_privileges": True,
      "seccomp": {"default_action": "allow",
                  "syscalls": [{"names": ["execve", "execveat"], "action": "errno", "errno": 13}]}})
r = recv(); assert r["ok"], r
p = r["process"]
send({"v": 1, "id": 2, "op": "start", "process": p})
r = recv()
if r["ok"]:
    send({"v": 1, "id": 3, "op": "wait", "process": p}); r = recv()
    assert r["exit_status"] == 127, r
else:
    assert "exec" in r["error"] and "denied" in r["error"].lower(), r
EOF
check "a terminal rejects a stderr stream; resize works" proto ctl <<'EOF'
send({"v": 1, "id": 1, "op": "create", "args": ["true"], "terminal": True})
p = recv()["process"]
c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1][:-4] + ".io")
b = json.dumps({"v": 1, "process": p, "stream": "stderr"}).encode()
c.sendall(struct.pack(">I", len(b)) + b)
h = c.recv(4); a = json.loads(c.recv(struct.unpack(">I", h)[0]))
assert not a["ok"] and "terminal" in a["error"], a
send({"v": 1, "id": 2, "op": "resize", "process": p, "rows": 50, "cols": 60})
assert recv()["ok"]
send({"v": 1, "id": 3, "op": "start", "process": p}); assert recv()["ok"]
send({"v": 1, "id": 4, "op": "wait", "process": p}); assert recv()["exit_status"] == 0
EOF

diag "malformed input"
# each: PYTHON that sends something bad; the agent answers an error or closes, never dies.
bad() {
	local name=$1
	if proto ctl && alive; then ok "$name"; else not_ok "$name"; fi
}
bad "raw garbage: error, then closed" <<'EOF'
raw(b"GET / HTTP/1.1\r\n\r\n")
r = recv(); assert not r["ok"] and "out of range" in r["error"] and "id" not in r, r
assert closed()
EOF
bad "huge length: error, then closed" <<'EOF'
raw(b"\xff\xff\xff\xff")
r = recv(); assert not r["ok"] and "out of range" in r["error"], r
assert closed()
EOF
bad "zero length: error, then closed" <<'EOF'
raw(b"\0\0\0\0")
r = recv(); assert "length 0 out of range" in r["error"], r
assert closed()
EOF
bad "non-object JSON: error, then closed" <<'EOF'
raw(struct.pack(">I", 7) + b"[1,2,3]")
r = recv(); assert "not a JSON object" in r["error"], r
assert closed()
EOF
bad "invalid JSON: error, then closed" <<'EOF'
raw(struct.pack(">I", 9) + b"{not json")
r = recv(); assert "invalid JSON" in r["error"], r
assert closed()
EOF
bad "a truncated frame then EOF" <<'EOF'
raw(struct.pack(">I", 100) + b"{\"v\":1")
s.shutdown(socket.SHUT_WR)
assert recv() == "EOF"
EOF
bad "unknown op: error, the connection stays usable" <<'EOF'
send({"v": 1, "id": 1, "op": "frobnicate"})
r = recv(); assert r == {"id": 1, "ok": False, "error": "unknown op 'frobnicate'"}, r
send({"v": 1, "id": 2, "op": "version"})
assert recv()["ok"]
EOF
bad "wrong version, missing id, missing op" <<'EOF'
send({"v": 2, "id": 1, "op": "version"})
r = recv(); assert "unsupported protocol version 2" in r["error"], r
send({"v": 1, "op": "version"})
r = recv(); assert "missing 'id'" in r["error"] and "id" not in r, r
send({"v": 1, "id": "x", "op": "version"})
r = recv(); assert "'id' must be an integer" in r["error"], r
send({"v": 1, "id": 3})
r = recv(); assert "missing 'op'" in r["error"], r
EOF
bad "create with missing or mistyped fields" <<'EOF'
cases = [({}, "missing 'args'"), ({"args": []}, "'args' must not be empty"),
         ({"args": "ls"}, "'args' must be an array of strings"),
         ({"args": ["ls", 3]}, "item 1 is not"), ({"args": ["l\u0000s"]}, "item 0 is not"),
         ({"args": ["ls"], "env": ["NOEQUALS"]}, "KEY=VALUE"),
         ({"args": ["ls"], "uid": -1, "gid": 0}, "'uid' must be an integer"),
         ({"args": ["ls"], "uid": 0}, "go together"),
         ({"args": ["ls"], "cwd": "rel"}, "absolute"),
         ({"args": ["ls"], "terminal": "yes"}, "'terminal' must be true or false"),
         ({"args": ["ls"], "rlimits": [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]}, "unknown rlimit"),
         ({"args": ["ls"], "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 2, "hard": 1}]}, "soft limit above"),
         ({"args": ["ls"], "console_size": {"rows": "x", "cols": 1}}, "rows")]
for i, (req, want) in enumerate(cases):
    send(dict(req, v=1, id=i, op="create"))
    r = recv(); assert r["id"] == i and not r["ok"] and want in r["error"], (req, r)
EOF
bad "create's privilege members are checked" <<'EOF'
cases = [({"capabilities": "all"}, "'capabilities' must be an object"),
         ({"capabilities": {"bounding": "x"}}, "'bounding' must be an array of capability numbers"),
         ({"capabilities": {"effective": [64]}}, "'effective' item 0 is not a number in 0..63"),
         ({"capabilities": {"permitted": [1, -1]}}, "'permitted' item 1 is not"),
         ({"capabilities": {"ambient": ["CAP_CHOWN"]}}, "'ambient' item 0 is not"),
         ({"capabilities": {"everything": []}}, "unknown capability set 'everything'"),
         ({"no_new_privileges": 1}, "'no_new_privileges' must be true or false"),
         ({"oom_score_adj": 1001}, "'oom_score_adj' must be an integer in -1000..1000"),
         ({"oom_score_adj": "5"}, "'oom_score_adj' must be an integer"),
         ({"umask": 0o1000}, "'umask' must be an integer in 0..511"),
         ({"umask": "022"}, "'umask' must be an integer")]
for i, (req, want) in enumerate(cases):
    send(dict(req, v=1, id=i, op="create", args=["true"]))
    r = recv(); assert r["id"] == i and not r["ok"] and want in r["error"], (req, r)
EOF
bad "create's container members (namespaces, join, masks) are checked" <<'EOF'
NS = ["mount", "pid", "ipc", "uts", "cgroup"]
cases = [({"namespaces": "mount"}, "'namespaces' must be an array of strings"),
         ({"init": True, "root": "/r", "namespaces": ["mount", "net"]}, "unknown namespace 'net'"),
         ({"init": True, "root": "/r", "namespaces": ["pid"]}, "must include 'mount'"),
         ({"root": "/r", "namespaces": NS}, "made by a container's init"),
         ({"init": True, "namespaces": NS}, "need the container's 'root'"),
         ({"masked": "x"}, "'masked' must be an array of strings"),
         ({"masked": ["rel"]}, "masked path 'rel' must be an absolute path"),
         ({"readonly": [1]}, "'readonly' must be an array of strings (item 0 is not)"),
         ({"readonly": ["/proc/../x"]}, "without '..'"),
         ({"masked": ["/proc/kcore"]}, "need the container's 'namespaces'"),
         ({"join": 5}, "'join' must be a string"),
         ({"init": True, "root": "/r", "namespaces": NS, "masked": ["/proc/kcore"],
           "readonly": ["/proc/sys"]}, "refused in test mode"),
         ({"join": "p1"}, "refused in test mode")]
for i, (req, want) in enumerate(cases):
    send(dict(req, v=1, id=i, op="create", args=["true"]))
    r = recv(); assert r["id"] == i and not r["ok"] and want in r["error"], (req, r)
    assert r["error"].startswith("create: "), r
EOF
bad "create's user namespace, cgroup, device rules and rootfs propagation are checked" <<'EOF'
NS = ["mount", "pid", "user"]
M = [{"container_id": 0, "host_id": 100000, "size": 65536}]
C = dict(init=True, root="/r", namespaces=["mount"])
cases = [(dict(C, namespaces=NS), "'user' namespace and 'uid_map' and 'gid_map' go together"),
         (dict(C, uid_map=M, gid_map=M), "go together"),
         (dict(C, namespaces=NS, uid_map=M), "go together"),
         (dict(C, namespaces=NS, uid_map=[], gid_map=M), "array of 1 to 340 mappings"),
         (dict(C, namespaces=NS, uid_map=M, gid_map=[{"container_id": 0, "host_id": 1}]),
          "'gid_map' item 0"),
         (dict(C, namespaces=NS, uid_map=M * 341, gid_map=M), "array of 1 to 340"),
         (dict(C, cgroup=[]), "'cgroup' must be an object"),
         (dict(C, cgroup={"../pids.max": "1"}), "'../pids.max' is not a controller's file"),
         (dict(C, cgroup={"cgroup.procs": "1"}), "'cgroup.procs' is not a controller's file"),
         (dict(C, cgroup={"pids.max": 5}), "'pids.max' must be a line"),
         (dict(C, cgroup={"pids.max": "5\n6"}), "'pids.max' must be a line"),
         ({"cgroup": {}}, "'cgroup' and 'rootfs_propagation' are a container init's"),
         (dict(C, devices=[{"type": "a", "access": "rwm"}]), "'devices' are rules for"),
         (dict(C, cgroup={}, devices=[{"type": "z", "access": "r"}]), "type must be a, b or c"),
         (dict(C, cgroup={}, devices=[{"type": "c", "access": "rwx"}]), "letters of rwm"),
         (dict(C, cgroup={}, devices=[{"type": "c", "major": 4096, "access": "r"}]), "'major'"),
         (dict(C, cgroup={}, devices={}), "'devices' must be an array"),
         (dict(C, rootfs_propagation="sideways"), "unknown propagation 'sideways'")]
for i, (req, want) in enumerate(cases):
    send(dict(req, v=1, id=i, op="create", args=["true"]))
    r = recv(); assert r["id"] == i and not r["ok"] and want in r["error"], (req, r)
EOF
bad "create's seccomp member is checked" <<'EOF'
cases = [({"seccomp": []}, "'seccomp' must be an object"),
         ({"seccomp": {}}, "seccomp: missing 'default_action'"),
         ({"seccomp": {"default_action": "notify"}}, "unsupported seccomp action 'notify'"),
         ({"seccomp": {"default_action": "errno", "default_errno": 70000}}, "default_errno"),
         ({"seccomp": {"default_action": "allow", "flags": ["bogus"]}}, "unknown seccomp flag"),
         ({"seccomp": {"default_action": "allow", "syscalls": {}}}, "'syscalls' must be an array"),
         ({"seccomp": {"default_action": "allow", "syscalls": [{"names": [], "action": "errno"}]}},
          "'names' must be an array of 1"),
         ({"seccomp": {"default_action": "allow", "syscalls": [{"names": ["read"], "action": "x"}]}},
          "unsupported seccomp action 'x'"),
         ({"seccomp": {"default_action": "allow", "syscalls": [{"names": ["read"], "action": "errno",
                       "args": [{"index": 6, "value": 1, "op": "eq"}]}]}}, "'index' must be"),
         ({"seccomp": {"default_action": "allow", "syscalls": [{"names": ["read"], "action": "errno",
                       "args": [{"index": 0, "value": -1, "op": "eq"}]}]}}, "'value' must be an unsigned"),
         ({"seccomp": {"default_action": "allow", "syscalls": [{"names": ["read"], "action": "errno",
                       "args": [{"index": 0, "value": 1, "op": "like"}]}]}}, "unknown operator 'like'")]
for i, (req, want) in enumerate(cases):
    send(dict(req, v=1, id=i, op="create", args=["true"]))
    r = recv(); assert r["id"] == i and not r["ok"] and want in r["error"], (req, r)
EOF
# The ops that change the guest only check their request in test mode: acting on the host
# would change its mounts, devices, hostname or sysctls. Each case: (op, members, error).
bad "mount, mknod, hostname, sysctl: bad members, and test mode refuses the rest" <<'EOF'
T = "refused in test mode"
cases = [
    ("mount", {}, "mount: missing 'source'"),
    ("mount", {"source": "tmpfs"}, "mount: missing 'target'"),
    ("mount", {"source": "tmpfs", "target": "rel"}, "target 'rel' must be an absolute path"),
    ("mount", {"source": "tmpfs", "target": "/a/../b"}, "without '..'"),
    ("mount", {"source": "tmpfs", "target": "/a/.."}, "without '..'"),
    ("mount", {"source": "tmpfs", "target": "/a", "type": 3}, "'type' must be a string"),
    ("mount", {"source": "tmpfs", "target": "/a", "options": "ro"}, "'options' must be an array"),
    ("mount", {"source": "tmpfs", "target": "/a", "root": "r"}, "root 'r' must be an absolute"),
    ("mount", {"source": "tmpfs", "target": "/a", "type": "tmpfs", "root": "/r",
               "options": ["rprivate", "strictatime", "nodiratime", "rro", "mand"]}, T),
    ("mknod", {}, "mknod: missing 'path'"),
    ("mknod", {"path": "/dev/x"}, "missing 'type'"),
    ("mknod", {"path": "/dev/x", "type": "q"}, "'type' must be \"c\", \"b\", \"u\" or \"p\""),
    ("mknod", {"path": "/dev/x", "type": "c"}, "missing 'major'"),
    ("mknod", {"path": "/dev/x", "type": "c", "major": 4096, "minor": 0}, "'major' must be an integer in 0..4095"),
    ("mknod", {"path": "/dev/x", "type": "b", "major": 1, "minor": -1}, "'minor' must be"),
    ("mknod", {"path": "/dev/x", "type": "p", "mode": 0o10000}, "'mode' must be an integer in 0..4095"),
    ("mknod", {"path": "/dev/x", "type": "p", "uid": -1}, "'uid' must be"),
    ("mknod", {"path": "dev/x", "type": "p"}, "must be an absolute path"),
    ("mknod", {"path": "/../x", "type": "p"}, "without '..'"),
    ("mknod", {"defaults": "yes"}, "'defaults' must be true or false"),
    ("mknod", {"defaults": True, "path": "/dev/x"}, "do not go together"),
    ("mknod", {"path": "/dev/x", "type": "p"}, T),
    ("mknod", {"root": "/r", "defaults": True}, T),
    ("hostname", {"hostname": 3}, "'hostname' must be a string"),
    ("hostname", {"hostname": "h" * 65}, "'hostname' must be at most 64 bytes"),
    ("hostname", {"domainname": "d" * 65}, "'domainname' must be at most 64 bytes"),
    ("hostname", {"hostname": "box", "domainname": "example.org"}, T),
    ("sysctl", {}, "missing 'sysctl'"),
    ("sysctl", {"sysctl": ["a"]}, "'sysctl' must be an object"),
    ("sysctl", {"sysctl": {"net.ipv4.ip_forward": 1}}, "must have a string value"),
    ("sysctl", {"sysctl": {"net..ipv4": "1"}}, "dot-separated"),
    ("sysctl", {"sysctl": {"..": "1"}}, "dot-separated"),
    ("sysctl", {"sysctl": {"net/../../x": "1"}}, "without '/'"),
    ("sysctl", {"sysctl": {".net": "1"}}, "dot-separated"),
    ("sysctl", {"sysctl": {"": "1"}}, "dot-separated"),
    ("sysctl", {"sysctl": {"net.ipv4.ip_forward": "1"}}, T),
]
for i, (op, req, want) in enumerate(cases):
    send(dict(req, v=1, id=i, op=op))
    r = recv(); assert r["id"] == i and not r["ok"] and want in r["error"], (op, req, r)
    assert r["error"].startswith(op + ": "), r
EOF
bad "ops on unknown processes" <<'EOF'
for i, op in enumerate(["start", "signal", "wait", "resize", "close_stdin"]):
    send({"v": 1, "id": i, "op": op, "process": "nope", "signal": 9, "rows": 1, "cols": 1})
    r = recv(); assert r["error"] == "no such process 'nope'", r
send({"v": 1, "id": 9, "op": "signal"})
r = recv(); assert "missing 'process'" in r["error"], r
EOF
check "stream header garbage is refused" proto io <<'EOF'
raw(struct.pack(">I", 2) + b"[]")
r = recv(); assert not r["ok"] and "not a JSON object" in r["error"], r
assert closed()
EOF
check "a stream for an unknown process is refused" proto io <<'EOF'
send({"v": 1, "process": "nope", "stream": "stdout"})
r = recv(); assert r == {"ok": False, "error": "no such process 'nope'"}, r
assert closed()
EOF
check "the agent survived all of it" alive
check "and a later valid request works" test "$(run "$A" -- echo still-here)" = still-here

diag "shutdown"
marker=1000.$$ # a sleep no other test run has
run "$A" -- sleep $marker >/dev/null 2>&1 &
victim=$!
for _ in $(seq 100); do ps -eo args | grep -q "^sleep $marker" && break; sleep 0.05; done
out=$(run "$A" --request '{"op":"ps","all":true}')
contains "ps lists a running process" "$out" "\"args\":[\"sleep\",\"$marker\"],\"status\":\"running\""
contains "ps all lists the host's pids" "$out" '"comm":"sleep"'
out=$(run "$A" --request '{"op":"shutdown"}')
contains "shutdown answers ok" "$out" '"ok":true'
wait "$agent_pid"
check "the agent exits 0 after shutdown" test $? = 0
agent_pid=
wait "$victim"
check "its processes were terminated (SIGTERM: 143)" test $? = 143
check "nothing is left running" bash -c "! ps -eo args | grep -q '^sleep $marker'"
finish
