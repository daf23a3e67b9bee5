#!/usr/bin/env bash
# Docker networking with kage (a real dockerd, as tests/docker/docker.sh): on the default
# bridge the container has the veth's address and MAC and reaches a server on the gateway;
# -p publishes a port the host reaches; --network none leaves only lo; --network host is
# refused; --network container:NAME runs in NAME's VM and reaches it on localhost;
# create/delete cycles leave no tap or network namespace behind. Traffic stays on
# this machine: the test's own bridge addresses and loopback.
. "$(dirname "$0")/../lib.sh"

if ! docker info >/dev/null 2>&1; then
	not_ok "dockerd is not running here (run through tests/testhost/run --docker)"
	finish
fi

base=$(mktemp -d /var/tmp/kage-dnet.XXXXXX)
pids=()
cleanup() {
	docker ps -aq --filter label=kage-net-test | xargs -r docker rm -f >/dev/null 2>&1
	docker network rm kage-net-test >/dev/null 2>&1
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$base"
}
trap cleanup EXIT
dr() { timeout -k 10 180 docker run --runtime kage --label kage-net-test "$@"; }

mkdir -p "$base/rootfs/bin" "$base/rootfs/etc" "$base/rootfs/tmp" "$base/rootfs/www"
cp /bin/busybox "$base/rootfs/bin/busybox"
busybox_links "$base/rootfs/bin"
echo "root:x:0:0:root:/root:/bin/sh" >"$base/rootfs/etc/passwd"
echo "served-by-the-container" >"$base/rootfs/www/index.html"
# A CGI that streams $big bytes, for the transfers both ways (busybox httpd runs cgi-bin/).
# 32 MiB wraps every 256-entry ring some eighty times and fills the mergeable receive
# buffers; bench/net measures throughput. More finds nothing more and costs CI minutes: 64 MiB
# took 35 s in and 77 s out of a one-vCPU test host, 1 GiB ran one past its 1200 s limit.
big=${KAGE_TEST_NET_BYTES:-33554432}
mkdir -p "$base/rootfs/www/cgi-bin"
# And 16 MiB through the published port, where docker-proxy copies every byte in userspace
# (1 GiB that way took 535 s of a one-vCPU test host, over the bridge 414 s).
mid=16777216
for c in big:$big mid:$mid; do
	printf '#!/bin/sh\necho "Content-Type: application/octet-stream"\necho\nyes kage-net | head -c %s\n' \
		"${c#*:}" >"$base/rootfs/www/cgi-bin/${c%%:*}"
	chmod +x "$base/rootfs/www/cgi-bin/${c%%:*}"
done
want=$(yes kage-net | head -c "$big" | sha256sum | cut -d' ' -f1)
want_mid=$(yes kage-net | head -c "$mid" | sha256sum | cut -d' ' -f1)
tar -C "$base/rootfs" -c . | docker import -c 'ENV PATH=/bin' - kage-net:test >/dev/null
img=kage-net:test

# --- the default bridge: the guest has the veth's address and MAC, and reaches the gateway ---
gw=$(ip -4 -o addr show docker0 | awk '{print $4}' | cut -d/ -f1)
check "docker0 has an address ($gw)" test -n "$gw"
mkdir -p "$base/www/cgi-bin"
echo "served-by-the-host" >"$base/www/index.html"
cp "$base/rootfs/www/cgi-bin/big" "$base/www/cgi-bin/big"
busybox httpd -f -p "$gw:18081" -h "$base/www" &
pids+=($!)
id=$(dr -d "$img" sh -c 'sleep 1000')
ip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$id")
mac=$(docker inspect -f '{{.NetworkSettings.MacAddress}}' "$id")
out=$(timeout -k 10 120 docker exec "$id" ip addr show eth0 2>&1)
contains "the container's eth0 has the veth's address $ip" "$out" "inet $ip/"
contains "and its MAC $mac" "$out" "link/ether $mac"
# (no -T: Debian's static busybox 1.35 wget crashes with it in a minimal root)
out=$(timeout -k 10 120 docker exec "$id" timeout 60 wget -qO- "http://$gw:18081/index.html" 2>&1)
check "it fetches a page from a server on the gateway $gw (got '$out')" \
	test "$out" = served-by-the-host
out=$(timeout -k 10 120 docker exec "$id" ip route 2>&1)
contains "its default route is the gateway" "$out" "default via $gw"
t0=$SECONDS
out=$(timeout -k 10 900 docker exec "$id" sh -c "wget -qO- http://$gw:18081/cgi-bin/big | sha256sum" 2>&1)
check "host to container: $big bytes arrive intact ($((SECONDS - t0)) s)" test "${out%% *}" = "$want"
[ "${out%% *}" = "$want" ] || echo "$out" | tail -5 | sed 's/^/# /'
timeout -k 10 120 docker rm -f "$id" >/dev/null

# --- a published port: the host reaches busybox httpd in the container ---
id=$(dr -d -p 18080:80 "$img" httpd -f -p 80 -h /www)
out=""
for _ in $(seq 60); do
	out=$(timeout 10 busybox wget -qO- http://127.0.0.1:18080/index.html 2>/dev/null) && break
	sleep 1
done
check "-p 18080:80: the host fetches the container's page (got '$out')" \
	test "$out" = served-by-the-container
out=$(timeout -k 10 300 busybox wget -qO- http://127.0.0.1:18080/cgi-bin/mid 2>"$base/c2h.err" |
	sha256sum)
check "container to host: $mid bytes arrive intact through the port" test "${out%% *}" = "$want_mid"
[ "${out%% *}" = "$want_mid" ] || tail -5 "$base/c2h.err" | sed 's/^/# /'
cip=$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$id")
t0=$SECONDS
out=$(timeout -k 10 900 busybox wget -qO- "http://$cip/cgi-bin/big" 2>"$base/c2h.err" | sha256sum)
check "container to host: $big bytes arrive intact from $cip ($((SECONDS - t0)) s)" \
	test "${out%% *}" = "$want"
[ "${out%% *}" = "$want" ] || tail -5 "$base/c2h.err" | sed 's/^/# /'
timeout -k 10 120 docker rm -f "$id" >/dev/null

# --- a user-defined network: containers find each other by name (Docker's DNS) ---
docker network rm kage-net-test >/dev/null 2>&1
docker network create kage-net-test >/dev/null
id=$(dr -d --network kage-net-test --name kage-net-peer "$img" httpd -f -p 80 -h /www)
peer_ip=$(docker inspect -f '{{(index .NetworkSettings.Networks "kage-net-test").IPAddress}}' "$id")
# busybox nslookup has its own resolver (its wget would need glibc's NSS modules for names)
out=$(dr --rm --network kage-net-test "$img" sh -c '
	cat /etc/resolv.conf | grep nameserver
	for i in $(seq 30); do
		a=$(nslookup kage-net-peer 2>/dev/null | awk "/^Address:/ && \$2 !~ /:53\$/ { a = \$2 } END { print a }")
		[ -n "$a" ] && break
		sleep 1
	done
	echo "resolved $a"
	wget -qO- "http://$a/index.html"' 2>&1)
contains "on a user-defined network the resolver is Docker's 127.0.0.11" "$out" "nameserver 127.0.0.11"
contains "and resolves the other container's name to its address $peer_ip" "$out" "resolved $peer_ip"
contains "which serves its page to this one" "$out" "served-by-the-container"
timeout -k 10 120 docker rm -f "$id" >/dev/null
docker network rm kage-net-test >/dev/null

# --- --network none: lo alone; --network host: refused ---
out=$(dr --rm --network none "$img" sh -c 'ls /sys/class/net' 2>&1)
check "--network none: the guest has only lo (got '$(echo $out)')" test "$out" = lo
out=$(dr --rm --network host "$img" true 2>&1)
rc=$?
check "--network host is refused (status $rc)" test "$rc" != 0
contains "saying why" "$out" "share the host's network stack"

# --- --network container:web: a pod of two in web's VM ---
web=$(dr -d --name kage-web "$img" httpd -f -p 8080 -h /www)
for _ in $(seq 100); do
	timeout -k 5 30 docker exec "$web" wget -qO- http://127.0.0.1:8080/index.html >/dev/null 2>&1 && break
	sleep 0.3
done
out=$(dr --rm --network container:kage-web "$img" sh -c \
	'wget -qO- http://127.0.0.1:8080/index.html; ip -o addr show eth0' 2>&1)
contains "--network container:web reaches web's port on localhost" "$out" "served-by-the-container"
contains "with web's address" "$out" "inet $(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$web")/"
side=$(dr -d --network container:kage-web "$img" sleep 1000)
# (Docker's shim gives every runtime of the runc shim the same --root, runtime-runc's)
kroot=$(dirname "$(ls -d /run/docker/runtime-*/moby/"$side" 2>/dev/null | head -1)")
check "and runs in web's VM, as its pod's member (state in $kroot)" \
	test "$("$KAGE" --root "$kroot" state "$side" 2>/dev/null | jq -r .sandbox)" = "$web"
check "one VM for both ($(pgrep -xc kage-sandbox))" test "$(pgrep -xc kage-sandbox)" = 1
out=$(timeout -k 10 120 docker exec "$side" wget -qO- http://127.0.0.1:8080/index.html 2>&1)
contains "docker exec into it reaches web too" "$out" "served-by-the-container"
timeout -k 10 120 docker rm -f "$side" >/dev/null
out=$(timeout -k 10 120 docker exec "$web" wget -qO- http://127.0.0.1:8080/index.html 2>&1)
contains "web serves on once the other is removed" "$out" "served-by-the-container"
timeout -k 10 120 docker rm -f "$web" >/dev/null
check "and docker rm -f web leaves no VM or member process" \
	bash -c "! pgrep -x kage-sandbox >/dev/null && ! pgrep -x kage-member >/dev/null"

# --- create/delete cycles leave nothing behind ---
# (4: a leak shows after one cycle and grows with each; every cycle boots a VM under TCG)
netns_before=$(ls /run/docker/netns 2>/dev/null | wc -l)
for i in $(seq 4); do
	dr --rm "$img" true >/dev/null 2>&1 || echo "cycle $i failed" >>"$base/cycles"
done
check "4 docker run --rm cycles succeed" test ! -e "$base/cycles"
[ -e "$base/cycles" ] && sed 's/^/# /' "$base/cycles"
# Docker removes a container's namespace after `run --rm` has returned: give it time.
for _ in $(seq 60); do
	[ "$(ls /run/docker/netns 2>/dev/null | wc -l)" -le "$netns_before" ] && break
	sleep 1
done
check "no network namespace left behind ($(ls /run/docker/netns 2>/dev/null | wc -l) now, $netns_before before)" \
	test "$(ls /run/docker/netns 2>/dev/null | wc -l)" -le "$netns_before"
check "no kage tap on the host" bash -c "! ip -o link | grep -q kage-tap"
check "no veth of a container left on docker0" \
	bash -c "[ -z \"\$(ip -o link show master docker0 2>/dev/null)\" ]"
finish
