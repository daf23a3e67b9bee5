#!/usr/bin/env bash
# Networking through the OCI verbs, in Docker 26's order: the interface arrives in the
# container's (new) network namespace after `create`, before `start` (moby#47626), and the
# guest gets it all the same: its addresses (IPv4 and IPv6), MAC and route, and traffic both
# ways. A second interface present at start, and one that appears later, are reported in the
# log, not plugged. Everything stays on this machine: a veth pair and the test's own
# 10.77.0.0/24 and fd77::/64.
. "$(dirname "$0")/../lib.sh"

base=$(mktemp -d /var/tmp/kage-ocinet.XXXXXX)
root=$base/state
cleanup() {
	for id in $("$KAGE" --root "$root" list -q 2>/dev/null); do
		"$KAGE" --root "$root" delete --force "$id" >/dev/null 2>&1
	done
	ip link del kt-host 2>/dev/null
	ip netns del kage-t2 2>/dev/null
	[ -n "${httpd:-}" ] && kill "$httpd" 2>/dev/null
	rm -rf "$base"
}
trap cleanup EXIT
k() { timeout 300 "$KAGE" --root "$root" --log "$base/kage.log" "$@"; }

rootfs=$base/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$rootfs/bin/busybox"
busybox_links "$rootfs/bin"
mkdir -p "$base/www"
echo "from-the-host" >"$base/www/index.html"

b=$base/b1
mkdir -p "$b"
python3 - "$b" "$rootfs" <<'PY'
import json, sys
d, rootfs = sys.argv[1:3]
c = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "cwd": "/",
                "env": ["PATH=/bin"],
                "args": ["sh", "-c", "ip addr show; ip route; ip -6 route; "
                         "ping -c 1 -W 10 10.77.0.1 && echo PING-OK; "
                         "ping -6 -c 1 -W 10 fd77::1 && echo PING6-OK; "
                         "wget -qO- http://10.77.0.1:18082/index.html; "
                         "httpd -f -p 8080 -h /etc 2>/tmp/h.err & sleep 2; "
                         "wget -qO- http://127.0.0.1:8080/index.html || "
                         "{ echo HTTPD-FAILED; cat /tmp/h.err; }; echo HTTPD-UP; sleep 60"]},
    "root": {"path": rootfs},
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
               {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
               {"destination": "/sys", "type": "sysfs", "source": "sysfs"}],
    "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "mount"}]},
}
json.dump(c, open(d + "/config.json", "w"), indent=1)
PY
echo "from-the-guest" >"$rootfs/etc/index.html"

k create --bundle "$b" --pid-file "$b/pid" n1 >"$b/out" 2>"$b/err"
rc=$?
check "create with a new network namespace (status $rc)" test "$rc" = 0
[ "$rc" = 0 ] || tail -5 "$b/err" | sed 's/^/# /'
pid=$(cat "$b/pid")
# Now, between create and start, as Docker 26 does: a veth into the sandbox's namespace.
ip link add kt-host type veth peer name kt-ctr
ip link set kt-ctr netns "/proc/$pid/ns/net"
ip addr add 10.77.0.1/24 dev kt-host
ip -6 addr add fd77::1/64 dev kt-host nodad
ip link set kt-host up
nsenter -t "$pid" -n ip addr add 10.77.0.2/24 dev kt-ctr
nsenter -t "$pid" -n ip -6 addr add fd77::2/64 dev kt-ctr nodad
nsenter -t "$pid" -n ip link set kt-ctr up
nsenter -t "$pid" -n ip route add default via 10.77.0.1
nsenter -t "$pid" -n ip link add kt-extra type veth peer name kt-extra2
# (ip, not /sys: nsenter -n keeps this mount namespace's sysfs, which shows our interfaces.)
mac=$(nsenter -t "$pid" -n ip -o link show kt-ctr | sed -n 's|.*link/ether \([0-9a-f:]*\) .*|\1|p')
check "the veth's MAC in the container's namespace ($mac)" grep -Eq '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' <<<"$mac"
busybox httpd -f -p 10.77.0.1:18082 -h "$base/www" &
httpd=$!

k start n1
rc=$?
check "start after the interface moved in (status $rc)" test "$rc" = 0
for _ in $(seq 300); do grep -q "HTTPD-UP" "$b/out" && break; sleep 0.2; done
out=$(cat "$b/out")
contains "the guest's interface has the address given after create" "$out" "inet 10.77.0.2/24"
contains "and the veth's MAC $mac" "$out" "link/ether $mac"
contains "and its name" "$out" "kt-ctr"
contains "and the default route" "$out" "default via 10.77.0.1"
contains "and the IPv6 address" "$out" "inet6 fd77::2/64"
contains "it reaches the host side" "$out" "PING-OK"
contains "and over IPv6" "$out" "PING6-OK"
contains "and fetches a page from it" "$out" "from-the-host"
contains "the guest's own server answers inside" "$out" "from-the-guest"
got=""
for _ in $(seq 50); do
	got=$(timeout 10 busybox wget -qO- http://10.77.0.2:8080/index.html 2>"$base/wget.err") && break
	sleep 0.3
done
if [ "$got" != from-the-guest ]; then
	sed 's/^/# wget: /' "$base/wget.err"
	grep -A5 HTTPD-FAILED "$b/out" | sed 's/^/# guest: /'
fi
check "the host reaches a server in the guest at 10.77.0.2:8080 (got '$got')" test "$got" = from-the-guest
contains "a second interface at start is reported, not plugged" "$(cat "$base/kage.log")" \
	"more interfaces in the container's namespace are not given to the VM"
nsenter -t "$pid" -n ip link add kt-late type veth peer name kt-late2
for _ in $(seq 50); do grep -q "kt-late" "$base/kage.log" && break; sleep 0.2; done
contains "an interface that appears after start is reported too" "$(cat "$base/kage.log")" \
	"interface kt-late appeared"
check "the tap is in the container's namespace, not here" \
	bash -c "nsenter -t $pid -n ip link show kage-tap0 >/dev/null && ! ip link show kage-tap0 2>/dev/null"
k delete --force n1 >/dev/null 2>&1
check "delete leaves no tap here" bash -c "! ip -o link | grep -q kage-tap"

# --- a namespace that outlives its containers (a pod's, a CNI's): kage's redirect leaves it ---
# Once when the workload ends (the sandbox takes it off), once when the sandbox is killed
# (delete takes it off): a redirect to a tap that is gone would drop the next one's traffic.
ip netns add kage-t2
ip link add kt2-host type veth peer name kt2-ctr netns kage-t2
ip -n kage-t2 link set kt2-ctr up
ip -n kage-t2 addr add 10.78.0.2/24 dev kt2-ctr
redirects() { ip netns exec kage-t2 tc filter show dev kt2-ctr ingress 2>&1 | grep -c mirred; }
for how in exits killed; do
	b2=$base/b2-$how
	mkdir -p "$b2"
	python3 - "$b2" "$rootfs" "$how" <<'PY'
import json, sys
d, rootfs, how = sys.argv[1:4]
c = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "cwd": "/",
                "env": ["PATH=/bin"],
                "args": ["sh", "-c", "echo UP; sleep 3" if how == "exits" else "echo UP; sleep 600"]},
    "root": {"path": rootfs},
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
    "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"},
                             {"type": "network", "path": "/var/run/netns/kage-t2"}]},
}
json.dump(c, open(d + "/config.json", "w"), indent=1)
PY
	k create --bundle "$b2" --pid-file "$b2/pid" "n2-$how" >"$b2/out" 2>"$b2/err"
	k start "n2-$how" >/dev/null 2>&1
	for _ in $(seq 300); do grep -q UP "$b2/out" && break; sleep 0.2; done
	check "$how: a namespace by path is plugged (redirects on its veth: $(redirects))" \
		test "$(redirects)" = 1
	[ "$how" = killed ] && k kill "n2-$how" KILL
	for _ in $(seq 600); do kill -0 "$(cat "$b2/pid")" 2>/dev/null || break; sleep 0.1; done
	[ "$how" = exits ] && check "exits: the sandbox took its redirect off as it ended ($(redirects))" \
		test "$(redirects)" = 0
	k delete "n2-$how" >/dev/null 2>&1
	check "$how: after delete, no redirect stays on the namespace's veth ($(redirects))" \
		test "$(redirects)" = 0
done
ip netns del kage-t2
finish
