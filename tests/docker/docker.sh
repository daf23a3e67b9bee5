#!/usr/bin/env bash
# Docker end to end: a real dockerd and containerd (started by tests/testhost/run --docker,
# or already running here) with kage as runtime "kage", a busybox image made with
# `docker import`, and what a Docker user does: run with exit codes, stdin, a terminal, env,
# workdir, user, hostname, volumes, --read-only, exec, stop, kill, logs, wait, rm -f.
. "$(dirname "$0")/../lib.sh"

if ! docker info >/dev/null 2>&1; then
	not_ok "dockerd is not running here (run through tests/testhost/run --docker)"
	finish
fi
contains "dockerd knows runtime kage" "$(docker info 2>/dev/null)" "kage"

base=$(mktemp -d /var/tmp/kage-docker.XXXXXX)
cleanup() {
	docker ps -aq --filter label=kage-test | xargs -r docker rm -f >/dev/null 2>&1
	rm -rf "$base"
}
trap cleanup EXIT
dr() { timeout -k 10 180 docker run --runtime kage --label kage-test "$@"; }

# The image: Debian's static busybox, imported.
mkdir -p "$base/rootfs/bin" "$base/rootfs/etc" "$base/rootfs/tmp" "$base/rootfs/root"
cp /bin/busybox "$base/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$base/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/tmp:/bin/sh\n' >"$base/rootfs/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' >"$base/rootfs/etc/group"
tar -C "$base/rootfs" -c . | docker import -c 'ENV PATH=/bin' - kage-busybox:test >/dev/null
check "docker import made the busybox image" docker image inspect kage-busybox:test >/dev/null
img=kage-busybox:test

out=$(dr --rm "$img" echo hi 2>&1)
check "docker run --runtime kage --rm busybox echo hi prints hi (got '$out')" test "$out" = hi
kr=$(dr --rm "$img" uname -r)
check "uname -r inside is the microVM's kernel ('$kr'), not this host's" \
	bash -c "[ -n '$kr' ] && [ '$kr' != '$(uname -r)' ]"
dr --rm "$img" sh -c 'exit 3'
rc=$?
check "the exit code comes back (3; got $rc)" test "$rc" = 3
dr --rm "$img" sh -c 'kill -KILL $$'
rc=$?
check "a workload killed by SIGKILL: 137 (got $rc)" test "$rc" = 137
out=$(echo piped | dr --rm -i "$img" cat)
check "-i carries stdin (got '$out')" test "$out" = piped
out=$(dr --rm -e FOO=bar -w /tmp -u 1000:1000 --hostname kagebox "$img" \
	sh -c 'echo $FOO $(pwd) $(id -u):$(id -g) $(hostname)')
check "-e, -w, -u and --hostname are honoured (got '$out')" test "$out" = "bar /tmp 1000:1000 kagebox"

mkdir -p "$base/vol" "$base/rovol"
echo from-host >"$base/vol/in"
echo ro-data >"$base/rovol/f"
out=$(dr --rm -v "$base/vol:/data" -v "$base/rovol:/ro:ro" "$img" \
	sh -c 'cat /data/in; echo from-container >/data/out; cat /ro/f; echo x >/ro/g 2>/dev/null && echo ro-writable')
contains "-v host dir: readable" "$out" "from-host"
check "-v host dir: what the container wrote is on the host" grep -qx from-container "$base/vol/out"
contains "-v :ro readable" "$out" "ro-data"
printf '%s\n' "$out" >"$base/v.out"
check "-v :ro refuses writes" bash -c "! grep -q ro-writable '$base/v.out' && test ! -e '$base/rovol/g'"
out=$(dr --rm --read-only "$img" sh -c 'touch /x 2>/dev/null && echo rootfs-writable; echo done')
check "--read-only rootfs refuses writes (got '$out')" test "$out" = done
out=$(dr --rm --memory 256m --cpus 2 "$img" sh -c 'grep MemTotal /proc/meminfo; nproc')
mem=$(awk '/MemTotal/ {print $2}' <<<"$out")
check "--memory 256m sizes the VM (MemTotal $mem kB)" test "${mem:-0}" -gt 150000 -a "${mem:-0}" -le 262144
check "--cpus 2 gives 2 vCPUs (nproc $(tail -1 <<<"$out"))" test "$(tail -1 <<<"$out")" = 2

# A long-running container: exec, logs, kill, stop, wait, rm -f.
id=$(dr -d "$img" sh -c 'echo log-line; trap "echo got-usr1" USR1; trap "echo got-term; exit 0" TERM; while :; do sleep 0.2; done')
check "docker run -d starts a container" test -n "$id"
for _ in $(seq 100); do docker logs "$id" 2>/dev/null | grep -q log-line && break; sleep 0.3; done
contains "docker logs shows its output" "$(docker logs "$id" 2>&1)" "log-line"
out=$(timeout -k 10 120 docker exec "$id" sh -c 'echo exec-ok; exit 4')
rc=$?
check "docker exec runs in it (got '$out', status $rc)" test "$out $rc" = "exec-ok 4"
out=$(echo exec-in | timeout -k 10 120 docker exec -i "$id" cat)
check "docker exec -i carries stdin" test "$out" = exec-in
docker kill -s USR1 "$id" >/dev/null
for _ in $(seq 100); do docker logs "$id" 2>/dev/null | grep -q got-usr1 && break; sleep 0.3; done
contains "docker kill -s USR1 reaches the process" "$(docker logs "$id" 2>&1)" "got-usr1"
contains "docker top lists it" "$(docker top "$id" 2>&1)" "kage"
timeout -k 10 120 docker stop -t 30 "$id" >/dev/null
check "docker stop: SIGTERM honoured (exit 0)" test "$(docker inspect -f '{{.State.ExitCode}}' "$id")" = 0
contains "and the process saw it" "$(docker logs "$id" 2>&1)" "got-term"
docker rm "$id" >/dev/null

id=$(dr -d "$img" sh -c 'trap "" TERM; while :; do sleep 0.2; done')
timeout -k 10 120 docker stop -t 2 "$id" >/dev/null
check "docker stop escalates to SIGKILL when TERM is ignored (137)" \
	test "$(docker inspect -f '{{.State.ExitCode}}' "$id")" = 137
docker rm "$id" >/dev/null

id=$(dr -d "$img" sh -c 'while :; do echo tick; sleep 0.2; done')
for _ in $(seq 100); do docker logs "$id" 2>/dev/null | grep -q tick && break; sleep 0.3; done
timeout -k 10 120 docker pause "$id" >/dev/null
check "docker pause: the container is paused" test "$(docker inspect -f '{{.State.Paused}}' "$id")" = true
t1=$(docker logs "$id" 2>&1 | grep -c tick)
sleep 3
t2=$(docker logs "$id" 2>&1 | grep -c tick)
check "and makes no progress (ticks $t1 then $t2)" test "$t1" = "$t2"
timeout -k 10 120 docker unpause "$id" >/dev/null
for _ in $(seq 50); do [ "$(docker logs "$id" 2>&1 | grep -c tick)" -gt "$t2" ] && break; sleep 0.3; done
check "docker unpause: it goes on" test "$(docker logs "$id" 2>&1 | grep -c tick)" -gt "$t2"
timeout -k 10 120 docker rm -f "$id" >/dev/null

id=$(dr -d "$img" sh -c 'sleep 2; exit 5')
check "docker wait gives the exit code (5)" test "$(timeout -k 10 120 docker wait "$id")" = 5
docker rm "$id" >/dev/null

id=$(dr -d "$img" sleep 1000)
pid=$(docker inspect -f '{{.State.Pid}}' "$id")
check "a running container's pid is kage's sandbox" grep -q kage "/proc/$pid/cmdline"
timeout -k 10 120 docker rm -f "$id" >/dev/null
check "docker rm -f leaves no process" bash -c "! kill -0 $pid 2>/dev/null"
check "and no state" bash -c "! ls /var/run/docker/runtime-kage/moby/$id /run/docker/runtime-kage/moby/$id 2>/dev/null | grep -q ."
check "and no rootfs mount" bash -c "! grep -q '$id' /proc/mounts"

finish
