#!/usr/bin/env bash
# The OCI runtime spec as runc honours it, checked on kage (each check is something runc does
# and a tool written against runc relies on): the spec copied at create, signals reaching the
# container's handlers, linux.devices nodes, mount propagation, user namespaces with their
# id mappings, namespaces by type and path, and the cgroup settings applied inside the guest.
. "$(dirname "$0")/../lib.sh"
. "$KAGE_REPO/tests/oci_bundle.sh"

oci_scratch conf

# wait_file FILE [SECONDS]: until FILE exists (default 60 s).
wait_file() {
	local i
	for i in $(seq $((${2:-60} * 5))); do [ -e "$1" ] && return 0; sleep 0.2; done
	return 1
}

# refusal ID: the message of `create --bundle $b ID`, which should fail. Through a file: a
# create that succeeds leaves a sandbox holding whatever pipe its stderr was.
refusal() {
	k create --bundle "$b" "$1" >"$base/$1.err" 2>&1
	cat "$base/$1.err"
}

# A directory bind-mounted at /out in the container, where it leaves its answers.
out_mount() { echo "c['mounts'].append({'destination': '/out', 'type': 'bind', 'source': '$1', 'options': ['rbind', 'rw']})"; }

# --- 1. config.json may change after create: the container runs with create's copy ---
b=$base/spec
mkdir -p "$base/o1"
mkbundle "$b" '["sh","-c","echo original >/out/which"]' "$(out_mount "$base/o1")"
k create --bundle "$b" s1 >/dev/null 2>"$base/s1.err" || sed 's/^/# /' "$base/s1.err"
mkbundle "$b" '["sh","-c","echo edited >/out/which"]' "$(out_mount "$base/o1")"
k start s1
check "start after config.json changed exits 0" test $? = 0
check "the state reaches stopped" wait_status s1 stopped
check "the process is the one create read" grep -qx original "$base/o1/which"
echo '{"ociVersion": ' >"$b/config.json"
k delete s1 2>"$base/s1.err"
check "delete works with config.json now broken ($(head -c 200 "$base/s1.err"))" test ! -e "$root/s1"

# --- 2. kill ID SIGNAL reaches the process, and its handlers run ---
b=$base/sig
mkdir -p "$base/o2"
mkbundle "$b" '["sh","-c","trap \"touch /out/term\" TERM; trap \"touch /out/usr1\" USR1; trap \"touch /out/usr2\" USR2; trap \"touch /out/hup\" HUP; touch /out/ready; while :; do sleep 0.1; done"]' \
	"$(out_mount "$base/o2")"
k create --bundle "$b" g1 >/dev/null && k start g1
check "the container is ready for signals" wait_file "$base/o2/ready" 120
k kill g1 USR1
check "kill g1 USR1: the USR1 handler ran" wait_file "$base/o2/usr1"
k kill g1 12
check "kill g1 12 (a number): the USR2 handler ran" wait_file "$base/o2/usr2"
k kill g1 SIGHUP
check "kill g1 SIGHUP: the HUP handler ran" wait_file "$base/o2/hup"
k kill g1
check "kill g1 (TERM by default): the TERM handler ran" wait_file "$base/o2/term"
check "and the container runs on, as its handler said" test "$(k state g1 | jq -r .status)" = running
k kill g1 KILL
check "kill KILL stops it" wait_status g1 stopped
k delete g1

# --- 3. linux.devices: nodes as the spec lists them, whether or not the host has them ---
b=$base/dev
mkdir -p "$base/o3"
mkbundle "$b" '["sh","-c","stat -c \"%n %F %t:%T %a %u:%g\" /dev/kage-null /dev/kage-none /dev/kage-fifo /dev/sub/kage-blk >/out/stat; echo hi >/dev/kage-null && echo null-works >>/out/stat"]' \
	"$(out_mount "$base/o3")
c['linux']['devices'] = [
    {'path': '/dev/kage-null', 'type': 'c', 'major': 1, 'minor': 3, 'fileMode': 0o640, 'uid': 1234, 'gid': 5678},
    {'path': '/dev/kage-none', 'type': 'c', 'major': 241, 'minor': 7, 'fileMode': 0o600, 'uid': 0, 'gid': 0},
    {'path': '/dev/kage-fifo', 'type': 'p', 'fileMode': 0o644},
    {'path': '/dev/sub/kage-blk', 'type': 'b', 'major': 250, 'minor': 99, 'fileMode': 0o660, 'uid': 0, 'gid': 6},
]"
k run --bundle "$b" d1 >"$base/d1.out" 2>&1 || sed 's/^/# /' "$base/d1.out" | tail -5
st=$(cat "$base/o3/stat" 2>/dev/null)
contains "a char device the host has: type, numbers, mode, owner" "$st" "/dev/kage-null character special file 1:3 640 1234:5678"
contains "a char device the host does not have" "$st" "/dev/kage-none character special file f1:7 600 0:0"
contains "a fifo" "$st" "/dev/kage-fifo fifo 0:0 644 0:0"
contains "a block device the host does not have, its directory made" "$st" "/dev/sub/kage-blk block special file fa:63 660 0:6"
contains "the node works" "$st" "null-works"
# The spec's device rules hold in the guest: all denied, then writes to 1:11 allowed; runc's
# default devices (/dev/null here) stay usable after them.
b=$base/devrules
mkbundle "$b" '["sh","-c","echo conformance >/dev/kage-kmsg && echo write-ok; head -c 1 </dev/kage-kmsg >/dev/null 2>&1 || echo read-denied; echo x >/dev/null && echo null-ok; mknod /dev/made c 1 11 && echo mknod-ok"]' "
c['linux']['devices'] = [{'path': '/dev/kage-kmsg', 'type': 'c', 'major': 1, 'minor': 11, 'fileMode': 0o600}]
c['linux']['resources'] = {'devices': [{'allow': False, 'access': 'rwm'},
                                       {'allow': True, 'type': 'c', 'major': 1, 'minor': 11, 'access': 'w'}]}"
out=$(k run --bundle "$b" d2 2>&1)
contains "a device the rules allow writing is written" "$out" "write-ok"
contains "and not read, which they do not allow" "$out" "read-denied"
contains "runc's default devices are allowed after the spec's rules" "$out" "null-ok"
contains "as is mknod of a char device (c *:* m)" "$out" "mknod-ok"

# --- 4. mount propagation, and a mount that cannot be made fails create ---
b=$base/prop
mkdir -p "$base/o4" "$base/p-shared" "$base/p-private" "$base/p-slave" "$base/p-unbind"
mkbundle "$b" '["sh","-c","cat /proc/self/mountinfo >/out/mountinfo"]' "$(out_mount "$base/o4")
for n, o in [('shared', 'rshared'), ('private', 'rprivate'), ('slave', 'rslave'), ('unbind', 'runbindable')]:
    c['mounts'].append({'destination': '/mnt/' + n, 'type': 'bind', 'source': '$base/p-' + n, 'options': ['rbind', o]})
c['linux']['rootfsPropagation'] = 'shared'"
k run --bundle "$b" p1 >"$base/p1.out" 2>&1 || sed 's/^/# /' "$base/p1.out" | tail -5
mi() { awk -v d="$1" '$5 == d' "$base/o4/mountinfo"; }
diag "$(mi /mnt/shared; mi /mnt/private; mi /mnt/slave; mi /mnt/unbind; mi /)"
check "rshared: the mount is shared" bash -c "grep -q 'shared:' <<<'$(mi /mnt/shared)'"
check "rprivate: the mount is private" bash -c "m='$(mi /mnt/private)'; [ -n \"\$m\" ] && ! grep -q 'shared:\|master:' <<<\"\$m\""
check "rslave: the mount is a slave, not shared" bash -c "m='$(mi /mnt/slave)'; [ -n \"\$m\" ] && ! grep -q 'shared:' <<<\"\$m\""
check "runbindable: the mount is unbindable" bash -c "grep -q unbindable <<<'$(mi /mnt/unbind)'"
check "rootfsPropagation shared: the root is shared" bash -c "grep -q 'shared:' <<<'$(mi /)'"
b=$base/badmount
mkbundle "$b" '["true"]' "c['mounts'].append({'destination': '/mnt/nowhere', 'type': 'bind', 'source': '$base/does-not-exist', 'options': ['rbind']})"
err=$(refusal p2)
check "a bind mount of a missing source fails create" test ! -e "$root/p2"
contains "and the message names the mount's destination" "$err" "/mnt/nowhere"

# --- 5. user namespaces: the spec's mappings, and files made with the mapped ids ---
b=$base/user
mkdir -p "$base/o5"
chown 100000:100000 "$base/o5"
mkbundle "$b" '["sh","-c","cat /proc/self/uid_map >/out/uid_map; cat /proc/self/gid_map >/out/gid_map; id -u >/out/id; touch /out/made"]' \
	"$(out_mount "$base/o5")
c['linux']['namespaces'].append({'type': 'user'})
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]"
k run --bundle "$b" u1 >"$base/u1.out" 2>&1 || sed 's/^/# /' "$base/u1.out" | tail -5
check "uid_map is the spec's ($(cat "$base/o5/uid_map" 2>/dev/null))" \
	bash -c "read a b c <'$base/o5/uid_map' && [ \"\$a \$b \$c\" = '0 100000 65536' ]"
check "gid_map is the spec's" bash -c "read a b c <'$base/o5/gid_map' && [ \"\$a \$b \$c\" = '0 100000 65536' ]"
check "the process is root in its namespace" grep -qx 0 "$base/o5/id"
check "a file it makes on the share is the mapped id's on the host ($(stat -c %u:%g "$base/o5/made" 2>/dev/null))" \
	test "$(stat -c %u:%g "$base/o5/made" 2>/dev/null)" = 100000:100000
# An exec joins the user namespace (and the cgroup) of the container's init.
b=$base/user-exec
mkbundle "$b" '["sleep","1000"]' "$(out_mount "$base/o5")
c['linux']['namespaces'] += [{'type': 'user'}, {'type': 'cgroup'}]
c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
c['linux']['gidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
c['linux']['resources'] = {'pids': {'limit': 50}}"
k create --bundle "$b" u3 >/dev/null 2>"$base/u3.err" && k start u3 || sed 's/^/# /' "$base/u3.err"
out=$(k exec u3 sh -c 'cat /proc/self/uid_map /proc/self/cgroup; touch /out/by-exec' 2>&1)
check "an exec sees the init's uid_map ($(head -1 <<<"$out" | tr -s ' '))" \
	bash -c "head -1 <<<'$out' | grep -qE '^ +0 +100000 +65536$'"
check "an exec is in the init's cgroup, at its namespace's root" grep -qx '0::/' <<<"$out"
check "and a file it makes is the mapped id's on the host" \
	test "$(stat -c %u:%g "$base/o5/by-exec" 2>/dev/null)" = 100000:100000
k delete --force u3 >/dev/null 2>&1
b=$base/user-bad
mkbundle "$b" '["true"]' "c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]"
err=$(refusal u2)
check "mappings without a user namespace are refused" test ! -e "$root/u2"
contains "naming the field" "$err" "uidMappings"

# --- 6. namespaces by type and by path ---
b=$base/ns
mkdir -p "$base/o6"
mkbundle "$b" '["sh","-c","hostname >/out/host; cat /proc/self/cgroup >/out/cgroup"]' \
	"$(out_mount "$base/o6")
c['linux']['namespaces'].append({'type': 'cgroup'})
c['hostname'] = 'conf-host'"
k run --bundle "$b" n1 >"$base/n1.out" 2>&1 || sed 's/^/# /' "$base/n1.out" | tail -5
check "a new UTS namespace with the spec's hostname" grep -qx conf-host "$base/o6/host"
check "a new cgroup namespace: the container's cgroup is its root ($(cat "$base/o6/cgroup" 2>/dev/null))" \
	grep -qx '0::/' "$base/o6/cgroup"
b=$base/ns-path
mkbundle "$b" '["true"]' "c['linux']['namespaces'] = [n if n['type'] != 'ipc' else {'type': 'ipc', 'path': '/proc/1/ns/ipc'} for n in c['linux']['namespaces']]"
err=$(refusal n2)
check "a namespace path kage cannot join is refused" test ! -e "$root/n2"
contains "with the namespace in the message" "$err" "linux.namespaces[3].path"

# --- 7. cgroup settings applied to the container's cgroup inside the guest ---
b=$base/cg
mkdir -p "$base/o7"
mkbundle "$b" '["sh","-c","cd /sys/fs/cgroup && for f in pids.max cpu.weight cpuset.cpus cpuset.mems memory.low memory.max memory.high; do echo \"$f $(cat $f)\"; done >/out/files; (for i in $(seq 40); do sleep 30 & done) 2>/dev/null; read n </sys/fs/cgroup/pids.current; while read k v; do [ $k = max ] && m=$v; done </sys/fs/cgroup/pids.events; echo \"running $n refused $m\" >>/out/files"]' \
	"$(out_mount "$base/o7")
c['linux']['namespaces'].append({'type': 'cgroup'})
c['mounts'].append({'destination': '/sys/fs/cgroup', 'type': 'cgroup', 'source': 'cgroup', 'options': ['nosuid', 'noexec', 'nodev', 'relatime', 'ro']})
c['linux']['resources'] = {'pids': {'limit': 12}, 'cpu': {'shares': 512, 'cpus': '0', 'mems': '0'},
                           'memory': {'limit': 200 * 1024 * 1024, 'reservation': 32 * 1024 * 1024},
                           'unified': {'memory.high': '150000000'}}"
k run --bundle "$b" cg1 >"$base/cg1.out" 2>&1 || sed 's/^/# /' "$base/cg1.out" | tail -5
f=$(cat "$base/o7/files" 2>/dev/null)
diag "$(tr '\n' ';' <<<"$f")"
contains "pids.limit is pids.max" "$f" "pids.max 12"
contains "cpu.shares 512 is cpu.weight 20 (runc's conversion)" "$f" "cpu.weight 20"
contains "cpu.cpus is cpuset.cpus" "$f" "cpuset.cpus 0"
contains "cpu.mems is cpuset.mems" "$f" "cpuset.mems 0"
contains "memory.reservation is memory.low" "$f" "memory.low 33554432"
contains "memory.limit is memory.max" "$f" "memory.max 209715200"
contains "unified keys are written as given" "$f" "memory.high 149999616"
read -r _ n _ m < <(grep ^running <<<"$f")
check "a fork bomb stops at the pids limit ($n processes left, $m forks refused of 40)" \
	bash -c "[ -n '$n' ] && [ '$n' -le 12 ] && [ '${m:-0}' -gt 0 ]"
b=$base/cg-bad
mkbundle "$b" '["true"]' "c['linux']['resources'] = {'unified': {'../escape': '1'}}"
err=$(refusal cg2)
check "a unified key that is not a cgroup file is refused" test ! -e "$root/cg2"
contains "naming the field" "$err" "unified"

finish
