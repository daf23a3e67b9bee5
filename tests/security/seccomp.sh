#!/usr/bin/env bash
# The sandbox's seccomp filters (confine/): every thread of a running sandbox is filtered,
# and a thread that makes a call outside its role's list ends the sandbox, which logs the
# thread and the call. KAGE_TEST_SECCOMP_VIOLATE=<role> has that role's threads make one
# such call (getcpu) right after their filter is in: the vCPU, virtio-fs and virtio-blk
# threads start while `kage create` runs, the main thread's relay once the container exists.
. "$(dirname "$0")/../lib.sh"

base=$(mktemp -d /var/tmp/kage-seccomp.XXXXXX)
root=$base/state
cleanup() {
	for id in $("$KAGE" --root "$root" list -q 2>/dev/null); do
		timeout 120 "$KAGE" --root "$root" delete --force "$id" >/dev/null 2>&1
	done
	rm -rf "$base"
}
trap cleanup EXIT
k() { timeout -k 10 "${KAGE_TIMEOUT:-180}" "$KAGE" --root "$root" --log "$base/log" "$@"; }

tree=$base/rootfs
mkdir -p "$tree"/{bin,proc,sys,dev,tmp,etc,root}
cp /bin/busybox "$tree/bin/busybox"
busybox_links "$tree/bin"
echo "root:x:0:0:root:/root:/bin/sh" >"$tree/etc/passwd"
# The same tree as an ext4 image: a block rootfs, served by the virtio-blk workers.
img=$base/root.img
truncate -s 64M "$img"
mkfs.ext4 -q -F -E nodiscard -d "$tree" "$img"
mkdir -p "$base/empty"
echo '{"annotations_allowed": ["io.kage.rootfs.block"]}' >"$base/kage.json"
export KAGE_CONFIG=$base/kage.json

# mkbundle DIR [disk]: a bundle that sleeps, on the shared tree or on the image.
mkbundle() {
	mkdir -p "$1"
	python3 - "$1" "$tree" "${2:-}" "$img" "$base/empty" <<'PY'
import json, sys
d, tree, disk, img, empty = sys.argv[1:6]
c = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["sleep", "600"],
                "env": ["PATH=/bin"], "cwd": "/"},
    "root": {"path": empty if disk else tree, "readonly": False},
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
    "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "mount"}]},
}
if disk:
    c["annotations"] = {"io.kage.rootfs.block": img}
json.dump(c, open(d + "/config.json", "w"), indent=1)
PY
}

# gone PID: waits up to 60 s for PID to end.
gone() {
	for _ in $(seq 600); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# --- filters on: every thread of the sandbox, each with at least one filter ---
b=$base/b0
mkbundle "$b"
k create --bundle "$b" --pid-file "$b/pid" c0 </dev/null >/dev/null 2>"$b/err" && k start c0
rc=$?
check "a container starts with the filters on (status $rc)" test "$rc" = 0
[ "$rc" = 0 ] || tail -5 "$b/err" "$base/log" | sed 's/^/# /'
pid=$(cat "$b/pid" 2>/dev/null)
# The main thread takes its filter just after create answers: give it a moment.
for _ in $(seq 100); do
	grep -qx 'Seccomp:[[:space:]]*2' "/proc/$pid/status" 2>/dev/null && break
	sleep 0.1
done
check "the sandbox ($pid) is in seccomp filter mode" grep -qx 'Seccomp:[[:space:]]*2' "/proc/$pid/status"
bad= names=
for t in /proc/$pid/task/*; do
	name=$(cat "$t/comm" 2>/dev/null)
	names="$names $name"
	grep -qx 'Seccomp:[[:space:]]*2' "$t/status" 2>/dev/null &&
		[ "$(awk '/^Seccomp_filters:/ {print $2}' "$t/status")" -ge 1 ] || bad="$bad $name"
done
diag "the sandbox's threads:$names"
check "each of its threads has a seccomp filter (unfiltered:${bad:- none})" test -z "$bad"
for want in vcpu0 kage-loop fs-io; do
	contains "among them a $want thread" "$names" "$want"
done
k delete --force c0 >/dev/null 2>&1

# violation ROLE ID [disk]: a container whose ROLE threads make a forbidden call.
violation() {
	local role=$1 id=$2 b=$base/$2 pid rc st
	mkbundle "$b" "${3:-}"
	: >"$base/log"
	KAGE_TEST_SECCOMP_VIOLATE=$role k create --bundle "$b" --pid-file "$b/pid" "$id" \
		</dev/null >/dev/null 2>"$b/err"
	rc=$?
	pid=$(cat "$b/pid" 2>/dev/null)
	if [ "$role" = main ]; then
		check "$role: the container is created (status $rc)" test "$rc" = 0
		check "$role: then its sandbox ($pid) dies" gone "$pid"
		st=$(k state "$id" 2>&1)
		check "$role: kage state says stopped ($(jq -r .status <<<"$st" 2>&1))" \
			test "$(jq -r .status <<<"$st" 2>/dev/null)" = stopped
	else
		check "$role: kage create fails: its sandbox died (status $rc)" test "$rc" != 0
		contains "$role: saying its sandbox died" "$(cat "$b/err" "$base/log")" \
			"sandbox process died"
	fi
	contains "$role: the log names the thread and the call" "$(cat "$base/log")" \
		"seccomp: thread $4 made syscall"
	contains "$role: the call is getcpu" "$(cat "$base/log")" "(getcpu), not in its list"
	k delete --force "$id" >/dev/null 2>&1
	check "$role: kage delete --force leaves nothing" \
		bash -c "! '$KAGE' --root '$root' list -q | grep -qx '$id' && ! test -e '$root/$id'"
}

violation vcpu v1 "" vcpu0
violation fs v2 "" fs-io
violation blk v3 disk blk-io
violation main v4 "" kage-sandbox

finish
