#!/usr/bin/env bash
# The runc command line on real OCI bundles (a busybox rootfs): create/start/state/kill/
# delete/run/exec/ps/list, exit statuses through the pid-file process (reaped by a subreaper,
# as containerd reaps it), signals, a terminal through --console-socket, hooks, two
# containers at once, and bad config.json files leaving nothing behind.
. "$(dirname "$0")/../lib.sh"
. "$KAGE_REPO/tests/oci_bundle.sh"

# The test body runs under a subreaper, as containerd's shim runs runc; it records the exit
# status of every sandbox and detached exec it reaps in $KAGE_OCI_REAPED.
if [ -z "${KAGE_OCI_REAPED:-}" ]; then
	export KAGE_OCI_REAPED
	KAGE_OCI_REAPED=$(mktemp /var/tmp/kage-oci-reaped.XXXXXX)
	python3 "$KAGE_REPO/tests/helpers/subreaper.py" --record "$KAGE_OCI_REAPED" -- "$0"
	rc=$?
	rm -f "$KAGE_OCI_REAPED"
	exit $rc
fi
reaped=$KAGE_OCI_REAPED
echo "# the sandboxes are reaped by $(cat /proc/$PPID/comm) ($PPID)"

oci_scratch oci

# wait_reaped PID: the status the subreaper recorded for PID (waits up to 120 s).
wait_reaped() {
	local i
	for i in $(seq 600); do
		if grep -q "^$1 " "$reaped" 2>/dev/null; then
			grep "^$1 " "$reaped" | cut -d' ' -f2
			return 0
		fi
		sleep 0.2
	done
	echo none
}


# refused NAME VERB ID WANT: `VERB --bundle $b ID` fails, its message has WANT, and nothing of
# ID is left in the state directory.
refused() {
	local err rc
	err=$(k "$2" --bundle "$b" "$3" 2>&1)
	rc=$?
	check "$1 (status $rc)" test "$rc" != 0
	contains "and says why" "$err" "$4"
	check "and leaves no state behind" test ! -e "$root/$3"
}

# --- create, state, start, the workload's exit status through the pid-file process ---
b=$base/b1
mkbundle "$b" '["sh","-c","echo started; trap \"echo got-term; exit 42\" TERM; while :; do echo tick; sleep 0.2; done"]'
# (umask 0: the sockets kage makes are 0600 whatever the caller's umask)
(umask 0; k create --bundle "$b" --pid-file "$b/pid" c1 >"$b/out" 2>"$b/err")
rc=$?
check "create exits 0 (got $rc)" test "$rc" = 0
modes=$(stat -c '%n %a' "$root/c1/"*.sock 2>/dev/null | sed "s|$root/c1/||" | tr '\n' ' ')
check "under umask 0 its sockets are still 0600 ($modes)" \
	bash -c "[ -n '$modes' ] && ! stat -c '%a' '$root/c1/'*.sock | grep -qvx 600"
[ "$rc" = 0 ] || sed 's/^/# /' "$b/err" | tail -5
pid=$(cat "$b/pid" 2>/dev/null)
check "the pid file holds a pid without a newline ('$pid')" \
	bash -c "[[ '$pid' =~ ^[0-9]+$ ]] && [ \$(wc -l <'$b/pid') = 0 ]"
check "the pid-file process is alive" kill -0 "$pid"
st=$(k state c1)
check "state says created" test "$(jq -r .status <<<"$st")" = created
check "state's pid is the pid file's" test "$(jq -r .pid <<<"$st")" = "$pid"
check "state names the bundle and the rootfs" \
	test "$(jq -r .bundle <<<"$st") $(jq -r .rootfs <<<"$st")" = "$b $rootfs"
check "state has ociVersion and created" test -n "$(jq -r '.ociVersion + .created' <<<"$st")"
check "nothing ran before start" test ! -s "$b/out"
contains "list shows it created" "$(k list)" "created"
expect_status "create of an existing id fails" 1 k create --bundle "$b" c1 2>/dev/null

k start c1
check "start exits 0" test $? = 0
for _ in $(seq 100); do grep -q started "$b/out" && break; sleep 0.2; done
check "the process ran after start, its stdout on create's stdout" grep -qx started "$b/out"
check "state says running" test "$(k state c1 | jq -r .status)" = running
expect_status "start of a running container fails" 1 k start c1 2>/dev/null

# --- exec ---
out=$(k exec c1 sh -c 'echo exec-out; echo exec-err >&2; exit 5' 2>"$base/exec.err")
rc=$?
check "exec prints the process's stdout" test "$out" = exec-out
check "exec's stderr is its stderr" grep -qx exec-err "$base/exec.err"
check "exec exits with the process's status (5; got $rc)" test "$rc" = 5
cat >"$base/proc.json" <<'JSON'
{"terminal":false,"user":{"uid":1000,"gid":1000},"args":["sh","-c","echo $FOO $(id -u):$(id -g) $(pwd)"],
 "env":["PATH=/bin","FOO=from-process-json"],"cwd":"/tmp"}
JSON
out=$(k exec --process "$base/proc.json" c1 2>&1)
check "exec --process runs the process as given (env, user, cwd; got '$out')" \
	test "$out" = "from-process-json 1000:1000 /tmp"
k exec -d --pid-file "$base/exec.pid" c1 sh -c 'sleep 1; exit 3'
rc=$?
epid=$(cat "$base/exec.pid" 2>/dev/null)
check "exec --detach returns at once with a pid file (rc $rc, pid '$epid')" \
	bash -c "[ $rc = 0 ] && [[ '$epid' =~ ^[0-9]+$ ]]"
check "the detached exec's process exits with its status (3)" test "$(wait_reaped "$epid")" = 3
out=$(echo piped-in | k exec -i c1 cat 2>&1 || true)
echo piped-in | k exec c1 cat >"$base/cat.out" 2>&1
check "exec passes stdin through" grep -qx piped-in "$base/cat.out"
k exec c1 sh -c 'exit 0' </dev/null
check "exec of a quick process exits 0" test $? = 0

# --- the spec, honoured inside the VM ---
contains "the spec's hostname" "$(k exec c1 hostname)" "kage-oci"
check "/dev is the spec's tmpfs with runc's default devices" \
	k exec c1 sh -c 'test -c /dev/null && test -c /dev/urandom && test -L /dev/ptmx && grep -q " /dev tmpfs" /proc/mounts'
check "/sys is read-only as the spec says" k exec c1 sh -c '! touch /sys/kage 2>/dev/null'
check "a masked path reads empty" test "$(k exec c1 sh -c 'wc -c </etc/secret')" = 0
check "a read-only path refuses writes" k exec c1 sh -c '! echo 1 2>/dev/null >/proc/sys/vm/drop_caches'

# --- ps ---
contains "ps lists the processes inside the VM" "$(k ps c1)" "sh"
check "ps --format json gives the host pid standing for it" test "$(k ps --format json c1)" = "[$pid]"

# --- pause and resume: the vCPUs stop, the process with them ---
k pause c1
check "pause exits 0" test $? = 0
check "state says paused" test "$(k state c1 | jq -r .status)" = paused
t1=$(grep -c tick "$b/out")
sleep 3
t2=$(grep -c tick "$b/out")
check "a paused container makes no progress (ticks $t1 then $t2)" test "$t1" = "$t2"
err=$(k kill c1 TERM 2>&1)
contains "a signal to a paused container is refused" "$err" "paused"
k resume c1
check "resume exits 0" test $? = 0
check "state says running again" test "$(k state c1 | jq -r .status)" = running
for _ in $(seq 50); do [ "$(grep -c tick "$b/out")" -gt "$t2" ] && break; sleep 0.2; done
check "after resume it goes on (ticks $(grep -c tick "$b/out") > $t2)" test "$(grep -c tick "$b/out")" -gt "$t2"
err=$(k resume c1 2>&1)
contains "resume of a running container is refused" "$err" "not paused"

# --- update: the VM's size is fixed; asking for nothing is fine ---
echo '{"memory":{},"cpu":{}}' | k update --resources - c1
check "update with nothing to change exits 0" test $? = 0
err=$(echo '{"memory":{"limit":536870912}}' | k update --resources - c1 2>&1)
rc=$?
check "update of the memory limit is refused (status $rc)" test "$rc" != 0
contains "and says why" "$err" "cannot change the resources of a running microVM (memory)"

# --- kill: the signal reaches the process, its status comes out of the pid-file process ---
k kill c1 TERM
check "kill TERM exits 0" test $? = 0
check "the pid-file process exits with the workload's status (42)" test "$(wait_reaped "$pid")" = 42
check "the process saw SIGTERM" grep -qx got-term "$b/out"
check "state says stopped" test "$(k state c1 | jq -r .status)" = stopped
err=$(k kill c1 KILL 2>&1)
contains "kill of a stopped container: container not running" "$err" "container not running"
k delete c1
check "delete exits 0" test $? = 0
check "delete removed the state directory" test ! -e "$root/c1"
err=$(k state c1 2>&1)
contains "state of a deleted container: does not exist" "$err" "does not exist"
k delete --force c1
check "delete --force of a missing container succeeds (as runc)" test $? = 0

# --- run: create + start + wait, the exit status ---
b=$base/b2
mkbundle "$b" '["sh","-c","echo run-out; exit 7"]'
out=$(k run --bundle "$b" r1 2>&1)
rc=$?
check "run exits with the workload's status (7; got $rc)" test "$rc" = 7
contains "run shows the output" "$out" "run-out"
check "run deleted the container afterwards" test ! -e "$root/r1"
# PID 1 of a PID namespace cannot be killed from inside it, so the SIGKILL comes from kill.
mkbundle "$b" '["sleep","1000"]'
k run --bundle "$b" r2 >/dev/null 2>&1 &
runpid=$!
for _ in $(seq 600); do [ "$(k state r2 2>/dev/null | jq -r .status)" = running ] && break; sleep 0.2; done
k kill r2 KILL
wait $runpid
rc=$?
check "a workload killed by SIGKILL: 137 (got $rc)" test "$rc" = 137
mkbundle "$b" '["no-such-command"]'
refused "run of a missing command fails" run r3 "no-such-command"

# --- linux.seccomp: loaded in the guest with libseccomp (without noNewPrivileges, as Docker) ---
b=$base/bsc
mkbundle "$b" '["sh","-c","grep ^Seccomp: /proc/self/status; mkdir /tmp/d 2>&1; echo sc-end"]' "
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    'syscalls': [{'names': ['mkdir', 'mkdirat', 'not_a_syscall'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1}]}
c['process']['apparmorProfile'] = 'docker-default'
"
k run --bundle "$b" sc1 >"$b/out" 2>&1
rc=$?
check "a seccomp profile is in force in the container (rc $rc)" \
	bash -c "[ $rc = 0 ] && grep -qP '^Seccomp:\t2$' '$b/out' && grep -q 'Operation not permitted' '$b/out' && grep -qx sc-end '$b/out'"
[ "$rc" = 0 ] || sed 's/^/# /' "$b/out" | tail -5
check "what kage does not apply is said, not silently dropped (AppArmor)" \
	bash -c "grep -q \"apparmorProfile 'docker-default' is not applied\" '$b/out'"
mkbundle "$b" '["true"]' "
c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '/run/listener.sock',
    'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}]}
"
refused "a seccomp listener (SCMP_ACT_NOTIFY) is refused" create sc2 "SCMP_ACT_NOTIFY"

# --- linux.cgroupsPath: the sandbox (every VMM thread) in the spec's cgroup, with limits ---
b=$base/bcg
cgdir=/sys/fs/cgroup/kage-oci-test/cg1
mkbundle "$b" '["sleep","1000"]' "
c['linux']['cgroupsPath'] = '/kage-oci-test/cg1'
c['linux']['resources'] = {'memory': {'limit': 209715200}, 'cpu': {'quota': 50000, 'period': 100000}}
"
k create --bundle "$b" --pid-file "$b/pid" cg1 2>"$b/err"
rc=$?
check "create with a cgroupsPath exits 0 (got $rc)" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/# /' "$b/err" | tail -5
pid=$(cat "$b/pid" 2>/dev/null)
check "the sandbox is in the spec's cgroup ($(cat /proc/$pid/cgroup 2>/dev/null))" \
	grep -qx "0::/kage-oci-test/cg1" "/proc/$pid/cgroup"
others=$(cat /proc/$pid/task/*/cgroup 2>/dev/null | sort -u)
check "and so is every thread of its VMM ($(ls /proc/$pid/task 2>/dev/null | wc -l) threads)" \
	test "$others" = "0::/kage-oci-test/cg1"
check "memory.max: the guest's 200 MiB plus 128 MiB for the VMM ($(cat $cgdir/memory.max 2>/dev/null))" \
	test "$(cat $cgdir/memory.max 2>/dev/null)" = $(((200 + 128) * 1048576))
check "cpu.max: the spec's quota ($(cat $cgdir/cpu.max 2>/dev/null))" \
	test "$(cat $cgdir/cpu.max 2>/dev/null)" = "50000 100000"
k delete --force cg1 >/dev/null 2>&1
check "delete removes the cgroup" test ! -e "$cgdir"
rmdir /sys/fs/cgroup/kage-oci-test 2>/dev/null
mkbundle "$b" '["true"]' "c['linux']['cgroupsPath'] = '/kage-oci-test/../../x'"
refused "a cgroupsPath leaving the cgroup mount is refused" create cg2 "must not contain '..'"
mkbundle "$b" '["true"]' "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network']"
refused "a spec without a network namespace (the host's stack) is refused" create nn1 \
	"share the host's network stack"
mkbundle "$b" '["true"]' "[n.update(path='/proc/1/ns/ipc') for n in c['linux']['namespaces'] if n['type'] == 'ipc']"
refused "joining a host IPC namespace is refused, naming the field" create nn2 \
	"linux.namespaces[3].path: cannot join the ipc namespace /proc/1/ns/ipc"
mkbundle "$b" '["true"]' "c['linux']['namespaces'].append({'type': 'time'})"
refused "a time namespace is refused" create nn3 "a time namespace is not supported"

# --- mounts, capabilities, a read-only rootfs ---
b=$base/b7
mkdir -p "$base/vol" "$base/etcdir"
echo from-host >"$base/vol/in"
echo file-bind >"$base/etcdir/hosts"
mkbundle "$b" '["sh","-c","cat /data/in; echo from-guest >/data/out; cat /etc/hosts; echo x >/etc/hosts 2>/dev/null && echo hosts-writable; grep ^CapEff /proc/self/status; touch /newfile 2>/dev/null && echo rootfs-writable; grep NoNewPrivs /proc/self/status"]' "
c['mounts'].append({'destination': '/data', 'type': 'bind', 'source': '$base/vol', 'options': ['rbind', 'rw']})
c['mounts'].append({'destination': '/etc/hosts', 'type': 'bind', 'source': '$base/etcdir/hosts', 'options': ['rbind', 'ro']})
c['process']['capabilities'] = {k: ['CAP_CHOWN', 'CAP_KILL'] for k in ['bounding', 'effective', 'permitted']}
c['process']['noNewPrivileges'] = True
c['root']['readonly'] = True
"
out=$(k run --bundle "$b" m1 2>&1)
contains "a bind-mounted host directory is readable in the container" "$out" "from-host"
check "and writable: what the container wrote is on the host" grep -qx from-guest "$base/vol/out"
contains "a bind-mounted host file is seen" "$out" "file-bind"
printf '%s\n' "$out" >"$base/m1.out"
check "a read-only file bind refuses writes" bash -c "! grep -q hosts-writable '$base/m1.out'"
contains "the spec's capabilities: CHOWN and KILL only" "$out" "0000000000000021"
check "a read-only rootfs refuses writes" bash -c "! grep -q rootfs-writable '$base/m1.out' && test ! -e '$rootfs/newfile'"
contains "noNewPrivileges is set" "$out" "NoNewPrivs:	1"

# --- delete --force of a running container; delete without it refused ---
b=$base/b3
mkbundle "$b" '["sleep","1000"]'
k create --bundle "$b" --pid-file "$b/pid" f1 >/dev/null 2>&1 </dev/null && k start f1
pid=$(cat "$b/pid")
err=$(k delete f1 2>&1)
contains "delete of a running container is refused" "$err" "not stopped"
k delete --force f1
check "delete --force of a running container exits 0" test $? = 0
check "its sandbox process is gone (status $(wait_reaped "$pid"))" bash -c "! kill -0 $pid 2>/dev/null"
check "its state directory is gone" test ! -e "$root/f1"

# --- two containers at once ---
for n in 1 2; do
	mkbundle "$base/t$n" "[\"sh\",\"-c\",\"echo container-$n; sleep 1000\"]"
	k create --bundle "$base/t$n" --pid-file "$base/t$n/pid" two$n >"$base/t$n/out" 2>&1 </dev/null
	k start two$n
done
check "two containers run at once" test "$(k list --format json | jq '[.[] | select(.status == "running")] | length')" = 2
check "each runs its own VM (its own kernel's view: different boot ids)" \
	test "$(k exec two1 cat /proc/sys/kernel/random/boot_id)" != "$(k exec two2 cat /proc/sys/kernel/random/boot_id)"
k kill two1 KILL
check "SIGKILL to one: its status 137" test "$(wait_reaped "$(cat "$base/t1/pid")")" = 137
check "the other keeps running" test "$(k state two2 | jq -r .status)" = running
k kill --all two2 KILL
wait_reaped "$(cat "$base/t2/pid")" >/dev/null
k delete two1 && k delete two2
check "both deleted" test -z "$(k list -q)"

# --- a terminal through --console-socket ---
b=$base/b4
mkbundle "$b" '["sh","-c","tty; stty size; read line; echo got:$line"]' \
	'c["process"]["terminal"]=True; c["process"]["consoleSize"]={"height":30,"width":100}'
python3 "$KAGE_REPO/tests/helpers/console_socket.py" "$base/console.sock" --input 'hello\r' \
	>"$base/tty.out" 2>"$base/tty.err" &
helper=$!
for _ in $(seq 50); do [ -S "$base/console.sock" ] && break; sleep 0.1; done
k create --bundle "$b" --console-socket "$base/console.sock" --pid-file "$b/pid" tty1 </dev/null
check "create with a terminal exits 0" test $? = 0
k start tty1
wait_reaped "$(cat "$b/pid")" >/dev/null
wait "$helper"
tr -d '\r' <"$base/tty.out" >"$base/tty.txt"
check "the process has a terminal" grep -q '^/dev/pts/' "$base/tty.txt"
check "of the spec's consoleSize (30 100)" grep -qx '30 100' "$base/tty.txt"
check "input typed on the terminal reaches it" grep -qx 'got:hello' "$base/tty.txt"
k delete tty1
b=$base/b5
mkbundle "$b" '["true"]' 'c["process"]["terminal"]=True'
err=$(k create --bundle "$b" tty2 2>&1)
contains "a terminal without --console-socket is refused" "$err" "console-socket"
check "and leaves no state" test ! -e "$root/tty2"

# --- hooks: order, and the state on their stdin ---
b=$base/b6
hooks=$base/hooks
mkdir -p "$hooks"
mkbundle "$b" '["true"]' "
h = lambda n: [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat > $hooks/' + n + '.json; echo ' + n + ' >> $hooks/order']}]
c['hooks'] = {n: h(n) for n in ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']}
"
k create --bundle "$b" --pid-file "$b/pid" h1 </dev/null >/dev/null 2>&1
# The bundle is its caller's file and may change after create: the container keeps the hooks
# it was created with (runc keeps its config in its state), so start and delete run those.
mkbundle "$b" '["true"]' "
c['hooks'] = {n: [{'path': '/bin/sh', 'args': ['sh', '-c', 'echo planted-' + n + ' >> $hooks/order']}] for n in ['startContainer', 'poststart', 'poststop']}
"
k start h1
wait_reaped "$(cat "$b/pid")" >/dev/null
k delete h1
check "hooks ran in the OCI order" test "$(tr '\n' ' ' <"$hooks/order")" = \
	"prestart createRuntime createContainer startContainer poststart poststop "
check "hooks put into the bundle after create did not run ($(grep -c planted "$hooks/order"))" \
	bash -c "! grep -q planted '$hooks/order'"
check "each hook got the state on stdin (id h1, pid)" \
	bash -c "jq -e '.id == \"h1\" and .pid > 0' '$hooks/prestart.json' >/dev/null"
check "poststop's state says stopped" test "$(jq -r .status "$hooks/poststop.json")" = stopped
mkbundle "$b" '["true"]' "c['hooks'] = {'prestart': [{'path': '/bin/false'}]}"
err=$(k create --bundle "$b" h2 2>&1)
contains "a failing prestart hook fails create, naming it" "$err" "prestart hook /bin/false"
check "and leaves no state" test ! -e "$root/h2"

# --- a create killed before it has saved its state takes its sandbox (and VM) along ---
# (containerd kills a create that overruns its timeout; nothing on the host would know of a
# sandbox left behind.) The prestart hook holds create at the point where the sandbox has
# answered but the state is not final yet.
mkbundle "$base/orph" '["sleep","600"]' \
	'c["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "touch '"$base"'/orph-hook; exec sleep 120"]}]}'
"$KAGE" --root "$root" create --bundle "$base/orph" orph >/dev/null 2>&1 &
cpid=$!
for _ in $(seq 1500); do [ -e "$base/orph-hook" ] && break; sleep 0.2; done
spid=$(pgrep -P "$cpid" -x kage-sandbox | head -1)
check "create runs its prestart hook with the sandbox up (sandbox ${spid:-none})" test -n "$spid"
kill -KILL "$cpid"
wait "$cpid" 2>/dev/null
pkill -f "^sleep 120$" 2>/dev/null
check "killing that create takes the sandbox along (its status: $(wait_reaped "${spid:-0}"))" \
	bash -c "[ -n '$spid' ] && ! kill -0 '$spid' 2>/dev/null"
k delete --force orph >/dev/null 2>&1
check "and delete --force leaves no state directory" test ! -e "$root/orph"

# --- bad config.json: a clear error, nothing left behind ---
b=$base/bad
mkdir -p "$b"
bad_case() {
	local name=$1 want=$2
	printf '%s' "$3" >"$b/config.json"
	local before after
	before=$(pgrep -c -x kage)
	err=$(k --log "$base/log.json" --log-format json create --bundle "$b" bad 2>&1)
	rc=$?
	after=$(pgrep -c -x kage)
	check "$name: create fails (status $rc)" test "$rc" != 0
	contains "$name: the error says '$want'" "$(tail -1 "$base/log.json")" "$want"
	check "$name: the log's last line is a JSON error" \
		bash -c "tail -1 '$base/log.json' | jq -e '.level == \"error\" and (.msg | length > 0)' >/dev/null"
	check "$name: no state directory, no process left" \
		bash -c "[ ! -e '$root/bad' ] && [ '$before' = '$after' ]"
}
bad_case "garbage" "config.json" '{"ociVersion": '
bad_case "missing process.args" "args" '{"ociVersion":"1.0.2","process":{"cwd":"/"},"root":{"path":"'"$rootfs"'"}}'
bad_case "args of the wrong type" "args" '{"ociVersion":"1.0.2","process":{"args":"sh","cwd":"/"},"root":{"path":"'"$rootfs"'"}}'
bad_case "a missing rootfs" "rootfs" '{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"/nonexistent"},"linux":{"namespaces":[{"type":"network"}]}}'
err=$(k create --bundle "$b" 'bad/id' 2>&1)
contains "an id with a slash is refused" "$err" "invalid container id"

finish
