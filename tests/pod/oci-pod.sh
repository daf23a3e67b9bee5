#!/usr/bin/env bash
# Pods at the runc command line, as containerd's CRI drives kage through the runc shim: a
# sandbox (the pause container) with containerd's annotations boots the pod's one VM, and
# members created for it run inside that VM: they reach each other on localhost, share the
# pod's UTS and IPC namespaces where their specs point at the sandbox's, keep their own
# rootfs, mounts and PID namespace, and end on their own. Deletes come in reverse and out of
# order, and leave no process, mount or state behind. Bad input is refused, naming the field.
# A container joining another's network namespace, with no annotation, runs in its VM too.
. "$(dirname "$0")/../lib.sh"
. "$KAGE_REPO/tests/oci_bundle.sh"

oci_scratch pod

# pod_bundle DIR ROOTFS ARGS_JSON ANNOTATIONS_PY [PYTHON]: a bundle of its own rootfs.
pod_bundle() {
	[ -d "$2" ] || make_rootfs "$2"
	mkbundle "$1" "$3" "c['root']['path'] = '$2'; c['annotations'] = $4
${5:-}"
}

# member_ns PID: the namespaces of a member joining sandbox PID's, as containerd writes them.
member_ns() {
	echo "c['linux']['namespaces'] = [{'type': 'pid'}, {'type': 'mount'},
	{'type': 'network', 'path': '/proc/$1/ns/net'}, {'type': 'ipc', 'path': '/proc/$1/ns/ipc'},
	{'type': 'uts', 'path': '/proc/$1/ns/uts'}]"
}

cri() { echo "{'io.kubernetes.cri.container-type': '$1', 'io.kubernetes.cri.sandbox-id': '$2'}"; }

mounts_under() { grep -c " $root/" /proc/self/mountinfo; }

# run_bg DIR ID: creates and starts ID from bundle DIR, its output in DIR/out, its pid file
# DIR/pid.
run_bg() { k create --bundle "$1" --pid-file "$1/pid" "$2" >"$1/out" 2>&1 </dev/null && k start "$2"; }
# run_to_end DIR ID: the same, until it has stopped.
run_to_end() { run_bg "$1" "$2" && wait_status "$2" stopped; }

# --- the sandbox: the pause container, which boots the pod's VM ---
sb=$base/pod1
pod_bundle "$sb" "$base/rootfs-pause" '["sh","-c","trap \"exit 0\" TERM; while :; do sleep 1; done"]' \
	"$(cri sandbox pod1)" "c['hostname'] = 'pod-host'"
k create --bundle "$sb" --pid-file "$sb/pid" pod1 >"$sb/out" 2>&1 </dev/null && k start pod1
check "the sandbox runs" test "$(k state pod1 | jq -r .status)" = running
spid=$(cat "$sb/pid")
# The guest writes through its shares: the host must never walk a name it could plant there.
for v in roots binds; do
	if touch "$root/pod1/pod/$v/planted" 2>/dev/null || ln -s /etc "$root/pod1/pod/$v/x" 2>/dev/null; then
		not_ok "the pod's share $v is a read-only view at its top (nothing can be planted)"
	else
		ok "the pod's share $v is a read-only view at its top (nothing can be planted)"
	fi
done

# --- a member serving a page, with a volume and a read-only bound file ---
mkdir -p "$base/vol" && echo "host-note" >"$base/vol/note"
echo "motd-from-host" >"$base/motd"
web=$base/web
make_rootfs "$base/rootfs-web"
mkdir -p "$base/rootfs-web/www" && echo "served-by-web" >"$base/rootfs-web/www/index.html"
pod_bundle "$web" "$base/rootfs-web" \
	'["sh","-c","echo web-was-here >/tmp/web-only; echo from-web >/data/from-web; exec httpd -f -p 8080 -h /www"]' \
	"$(cri container pod1)" "$(member_ns "$spid")
c['mounts'] += [{'destination': '/data', 'type': 'bind', 'source': '$base/vol', 'options': ['rbind', 'rw']},
                {'destination': '/etc/motd', 'type': 'bind', 'source': '$base/motd', 'options': ['rbind', 'ro']}]"
k create --bundle "$web" --pid-file "$web/pid" web >"$web/out" 2>&1 </dev/null
rc=$?
check "a member is created in the pod (status $rc)" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/# /' "$web/out" | tail -5
check "its pid file names its relay, a live process" kill -0 "$(cat "$web/pid" 2>/dev/null)"
check "it is created, not started" test "$(k state web | jq -r .status)" = created
check "its state names its pod's sandbox" test "$(k state web | jq -r .sandbox)" = pod1
k start web
check "and runs once started" test "$(k state web | jq -r .status)" = running
check "exactly one VM runs for the pod" test "$(pgrep -xc kage-sandbox)" = 1

# The page is served once httpd listens: the client below retries for a while.
for _ in $(seq 100); do
	[ -e "$base/vol/from-web" ] && break
	sleep 0.2
done
check "the member writes through its rw volume to the host" test -e "$base/vol/from-web"
check "and into its own rootfs, the bundle's on the host" test -e "$base/rootfs-web/tmp/web-only"
out=$(k exec web cat /etc/motd /data/note 2>&1)
contains "exec runs in the member: its bound file and volume" "$out" "motd-from-host"
contains "and the volume's host file" "$out" "host-note"
k exec web sh -c 'echo x >/etc/motd' >/dev/null 2>&1
check "its read-only bound file refuses a write" test "$(cat "$base/motd")" = motd-from-host
k exec pod1 hostname changed-in-pod

# --- a second member: a client of the first over localhost ---
cl=$base/client
pod_bundle "$cl" "$base/rootfs-client" \
	'["sh","-c","for i in $(seq 50); do wget -qO- http://127.0.0.1:8080/index.html && break; sleep 0.2; done; hostname; readlink /proc/self/ns/ipc; test -e /tmp/web-only && echo SEES-WEB-FILE; cat /www/index.html 2>/dev/null; echo pids: $(ls /proc | grep -c \"^[0-9]\")"]' \
	"$(cri container pod1)" "$(member_ns "$spid")"
run_to_end "$cl" client
out=$(cat "$cl/out")
contains "a member reaches the other on localhost" "$out" "served-by-web"
contains "it shares the pod's UTS namespace (the sandbox's hostname change)" "$out" "changed-in-pod"
pod_ipc=$(k exec pod1 readlink /proc/self/ns/ipc 2>/dev/null)
contains "and the pod's IPC namespace ($pod_ipc)" "$out" "${pod_ipc:-none}"
case "$out" in
*SEES-WEB-FILE* | *served-by-web*served-by-web*) not_ok "it does not see the other's files" ;;
*) ok "it does not see the other's files" ;;
esac
check "its PID namespace is its own (few processes: $(grep -o 'pids: [0-9]*' <<<"$out"))" \
	test "$(grep -o 'pids: [0-9]*' <<<"$out" | cut -d' ' -f2)" -le 4
check "the ended member is stopped" test "$(k state client | jq -r .status)" = stopped
check "the pod runs on" test "$(k state pod1 | jq -r .status)" = running
check "and so does the other member" test "$(k state web | jq -r .status)" = running

# pause of one member freezes its cgroup in the guest; the pod and its other containers run on.
fetch='timeout 5 wget -qO- http://127.0.0.1:8080/index.html'
k pause web
check "a member pauses" test "$(k state web | jq -r .status)" = paused
check "the sandbox runs on meanwhile" test "$(k state pod1 | jq -r .status)" = running
out=$(k exec pod1 sh -c "$fetch || echo no-answer" 2>&1)
contains "the paused member does not answer (the pod's exec does run)" "$out" "no-answer"
out=$(k ps web 2>&1)
contains "ps of the paused member lists its process alone" "$out" "httpd"
check "and not the pod's other containers'" bash -c "! grep -q sleep <<<\"\$1\"" _ "$out"
k resume web
check "and resumes" test "$(k state web | jq -r .status)" = running
out=$(k exec pod1 sh -c "$fetch" 2>&1)
contains "then answers again" "$out" "served-by-web"

# --- one member ends; the pod and the others go on ---
# (httpd is PID 1 of its namespace, with no handler for TERM: as with runc, only KILL ends it)
k kill web KILL
wait_status web stopped
check "a member killed with KILL stops" test "$(k state web | jq -r .status)" = stopped
check "the sandbox is still running" test "$(k state pod1 | jq -r .status)" = running
check "the sandbox's mount namespace has the member's root" grep -q "/pod/roots/web " "/proc/$spid/mountinfo"
k delete client && k delete web
theirs() { grep -c -e "/pod/roots/web " -e "/pod/binds/web/" -e "/pod/roots/client " "$1"; }
check "deleted members leave no mount of theirs on the host" test "$(theirs /proc/self/mountinfo)" = 0
check "nor in the sandbox's mount namespace" test "$(theirs "/proc/$spid/mountinfo")" = 0
check "the volume's files are untouched" test -e "$base/vol/note"
check "and the members' rootfs too" test -e "$base/rootfs-web/www/index.html"

# --- a late member, then the sandbox deleted before it ---
late=$base/late
pod_bundle "$late" "$base/rootfs-late" '["sh","-c","while :; do sleep 1; done"]' \
	"$(cri container pod1)" "$(member_ns "$spid")"
run_bg "$late" late
check "a member created after others were deleted runs" test "$(k state late | jq -r .status)" = running
out=$(k exec late sh -c 'echo $((6 * 7))' 2>&1)
check "exec into it answers ($out)" test "$out" = 42
# Three members created at once: each waits for the pod's lock in turn, and all run. They
# share one host directory (an emptyDir), each at a path of its own.
mkdir -p "$base/empty"
for i in 1 2 3; do
	pod_bundle "$base/con$i" "$base/rootfs-con$i" \
		'["sh","-c","echo from-'$i' >/shared'$i'/f'$i'; while :; do sleep 1; done"]' \
		"$(cri container pod1)" "$(member_ns "$spid")
c['mounts'] += [{'destination': '/shared$i', 'type': 'bind', 'source': '$base/empty', 'options': ['rbind', 'rw']}]"
done
t0=$SECONDS
for i in 1 2 3; do
	k create --bundle "$base/con$i" "con$i" >"$base/con$i.out" 2>&1 </dev/null &
done
wait
diag "three concurrent creates took $((SECONDS - t0)) s"
for i in 1 2 3; do k start "con$i" >/dev/null 2>&1; done
check "three members created at once all run" \
	test "$(for i in 1 2 3; do k state "con$i" | jq -r .status; done | sort -u)" = running
check "each in the one VM ($(pgrep -xc kage-sandbox))" test "$(pgrep -xc kage-sandbox)" = 1
for _ in $(seq 50); do [ -e "$base/empty/f3" ] && [ -e "$base/empty/f1" ] && break; sleep 0.2; done
out=$(k exec con2 sh -c 'cat /shared2/f1 /shared2/f3' 2>&1)
contains "a directory two members bind is one: each sees what the other wrote" "$out" "from-1"
contains "(and the third's)" "$out" "from-3"
check "and it is the host's directory" test "$(cat "$base/empty/f2" 2>/dev/null)" = from-2
ours() { grep -c -e "/pod/roots/con" -e "/pod/binds/con" "/proc/$spid/mountinfo"; }
check "their roots and binds are mounts in the sandbox's namespace ($(ours))" test "$(ours)" -ge 6
for i in 1 2 3; do k delete --force "con$i" >/dev/null 2>&1; done
check "and their deletes leave no mount of theirs" \
	test "$(grep -c -e "/pod/roots/con" -e "/pod/binds/con" "/proc/$spid/mountinfo")" = 0
twin=$base/twin
pod_bundle "$twin" "$base/rootfs-late" '["true"]' "$(cri container pod1)" "$(member_ns "$spid")"
err=$(k create --bundle "$twin" twin 2>&1)
contains "a member on another member's root is refused, naming root.path" "$err" "already the root of late"
check "and leaves no state" test "$(k list -q | grep -c '^twin$')" = 0
k kill pod1 KILL
k delete --force pod1
check "the sandbox's delete stops the pod's VM" test "$(pgrep -xc kage-sandbox)" = 0
wait_status late stopped
check "its member then stops" test "$(k state late | jq -r .status)" = stopped
k delete late
check "no process of the pod is left" test "$(pgrep -xc kage-member)" = 0
check "no mount under the state directory is left ($(mounts_under))" test "$(mounts_under)" = 0
check "no state is left" test -z "$(ls "$root")"

# --- bad input: refused naming what is wrong, nothing left behind ---
bad=$base/bad
pod_bundle "$bad" "$base/rootfs-late" '["true"]' "$(cri container nosuch)"
err=$(k create --bundle "$bad" orphan 2>&1)
contains "a member of a sandbox that does not exist is refused" "$err" "does not exist"
pod_bundle "$bad" "$base/rootfs-late" '["true"]' "{'io.kubernetes.cri.container-type': 'container'}"
err=$(k create --bundle "$bad" orphan 2>&1)
contains "a member without its sandbox's id is refused, naming the annotation" "$err" "io.kubernetes.cri.sandbox-id"
pod_bundle "$bad" "$base/rootfs-late" '["true"]' "{'io.kubernetes.cri.container-type': 'sidecar'}"
err=$(k create --bundle "$bad" orphan 2>&1)
contains "an unknown container type is refused" "$err" "'sidecar'"
pod_bundle "$bad" "$base/rootfs-late" '["true"]' \
	"{'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': 'a', 'io.kage.sandbox-id': 'b'}"
err=$(k create --bundle "$bad" orphan 2>&1)
contains "annotations naming two pods are refused" "$err" "disagrees"

# --- a pod known by its network namespace alone (podman's pods, docker --network container:) ---
solo=$base/solo
mkdir -p "$base/rootfs-solo/www" 2>/dev/null
make_rootfs "$base/rootfs-solo" && echo "served-by-solo" >"$base/rootfs-solo/www/index.html"
pod_bundle "$solo" "$base/rootfs-solo" '["httpd","-f","-p","8081","-h","/www"]' "{}"
k create --bundle "$solo" --pid-file "$solo/pid" solo >/dev/null 2>&1 </dev/null && k start solo
solo_pid=$(cat "$solo/pid")
# net_ns PID: a container with no annotation that joins PID's network namespace, and no other.
net_ns() {
	echo "c['linux']['namespaces'] = [{'type': 'pid'}, {'type': 'mount'}, {'type': 'ipc'},
	{'type': 'uts'}, {'type': 'network', 'path': '/proc/$1/ns/net'}]"
}
side=$base/side
pod_bundle "$side" "$base/rootfs-late" '["sh","-c","trap \"exit 0\" TERM; while :; do sleep 1; done"]' "{}" \
	"$(net_ns "$solo_pid")"
run_bg "$side" side
check "a container joining a plain container's network namespace runs" \
	test "$(k state side | jq -r .status)" = running
[ "$(k state side | jq -r .status)" = running ] || sed 's/^/# /' "$side/out" | tail -5
check "in that container's VM: one VM for both" test "$(pgrep -xc kage-sandbox)" = 1
out=$(k exec side sh -c 'for i in $(seq 50); do wget -qO- http://127.0.0.1:8081/index.html && break; sleep 0.2; done' 2>&1)
contains "and reaches it on localhost" "$out" "served-by-solo"
# A third joins the member's namespace (docker --network container:SIDE): the same pod.
third=$base/third
pod_bundle "$third" "$base/rootfs-third" '["sh","-c","wget -qO- http://127.0.0.1:8081/index.html"]' "{}" \
	"$(net_ns "$(cat "$side/pid")")"
run_to_end "$third" third
contains "one joining the member's network namespace is in the same pod" "$(cat "$third/out")" "served-by-solo"
check "still one VM" test "$(pgrep -xc kage-sandbox)" = 1
k delete --force third
k delete --force side
check "the members go; the container whose VM held them runs on" \
	test "$(k state solo | jq -r .status)" = running
k delete --force solo >/dev/null 2>&1
check "nothing of that pod is left" test "$(mounts_under)" = 0

sb2=$base/pod2
pod_bundle "$sb2" "$base/rootfs-pause" '["sh","-c","while :; do sleep 1; done"]' "{'io.kage.sandbox-id': 'pod2'}"
k create --bundle "$sb2" --pid-file "$sb2/pid" pod2 >/dev/null 2>&1 </dev/null && k start pod2
pid2=$(cat "$sb2/pid")
pod_bundle "$bad" "$base/rootfs-late" '["true"]' "{'io.kage.sandbox-id': 'pod2'}" \
	"c['linux']['namespaces'] = [{'type': 'mount'}, {'type': 'network', 'path': '/proc/self/ns/net'}]"
err=$(k create --bundle "$bad" orphan 2>&1)
contains "a member joining a network namespace that is not its pod's is refused, naming the field" \
	"$err" "linux.namespaces[1].path"
pod_bundle "$bad" "$base/rootfs-late" '["true"]' "{'io.kage.sandbox-id': 'pod2'}" \
	"c['linux']['namespaces'] = [{'type': 'mount'}, {'type': 'user'}]
m = [{'containerID': 0, 'hostID': 100000, 'size': 65536}]
c['linux']['uidMappings'] = m; c['linux']['gidMappings'] = m"
err=$(k create --bundle "$bad" orphan 2>&1)
contains "a member with a user namespace of its own is refused" "$err" "linux.namespaces[1]"
check "none of the refused members left state" test "$(k list -q | tr '\n' ' ')" = "pod2 "
# kage's own annotation, with a member that names no namespace: it still runs in the pod.
km=$base/kmember
pod_bundle "$km" "$base/rootfs-late" '["sh","-c","wget -qO- http://127.0.0.1:1/ 2>&1; echo member-of-pod2"]' \
	"{'io.kage.sandbox-id': 'pod2'}" "c['linux']['namespaces'] = [{'type': 'mount'}, {'type': 'pid'}]"
run_to_end "$km" kmember
contains "a member by io.kage.sandbox-id runs in its pod" "$(cat "$km/out")" "member-of-pod2"
check "one VM for that pod too" test "$(pgrep -xc kage-sandbox)" = 1
k delete --force kmember
k delete --force pod2
check "and nothing is left of it" test "$(mounts_under)" = 0

finish
