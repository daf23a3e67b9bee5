#!/usr/bin/env bash
# Attacks from inside one container started the way Docker starts one (its default
# capabilities, masked and read-only paths, namespaces and device rules), with a rw volume, a
# ro volume and two file binds (a ro one, and a rw one standing for Docker's /etc/hosts):
# each asserts that the attack fails and that the attacker learns nothing of the guest
# (the agent, its sockets and /run/kage, the shares' roots) or of the host (a 0600 file next
# to a bound file; devices, file capabilities, setuid-root files made through a volume).
# One VM; every attack is a `kage exec` in it.
. "$(dirname "$0")/../lib.sh"

attack=$KAGE_REPO/build/tests/attack
if [ ! -x "$attack" ]; then
	not_ok "the attack helper is not built ($attack: make helpers)"
	finish
fi

base=$(mktemp -d /var/tmp/kage-security.XXXXXX)
root=$base/state
cleanup() {
	for id in $("$KAGE" --root "$root" list -q 2>/dev/null); do
		timeout 120 "$KAGE" --root "$root" delete --force "$id" >/dev/null 2>&1
	done
	rm -rf "$base"
}
trap cleanup EXIT
k() { timeout -k 10 "${KAGE_TIMEOUT:-180}" "$KAGE" --root "$root" "$@"; }
# Docker's default capabilities: the container's, and each exec's (docker exec passes them).
caps='["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]'
docker_capeff=00000000a80425fb
# kx CMD...: runs CMD in the container as docker exec does (root, Docker's capabilities; sh -c
# when CMD is one string), stdout and stderr together.
kx() {
	[ $# = 1 ] && set -- sh -c "$1"
	python3 -c 'import json, sys
caps = json.loads(sys.argv[1])
print(json.dumps({"terminal": False, "user": {"uid": 0, "gid": 0}, "args": sys.argv[2:],
                  "env": ["PATH=/bin", "HOME=/root"], "cwd": "/",
                  "capabilities": {s: caps for s in ["bounding", "effective", "permitted"]}}))' \
		"$caps" "$@" >"$base/proc.json"
	k exec --process "$base/proc.json" c1 2>&1
}

# What an attacker must not reach: a root-only file beside a ro file bind, and Docker's own
# config beside a rw one (the container directory holds /etc/hosts and config.v2.json).
rootfs=$base/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc,root} "$base"/{vol,ro,fb,ctr}
cp /bin/busybox "$rootfs/bin/busybox"
busybox_links "$rootfs/bin"
cp "$attack" "$rootfs/bin/attack"
echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
touch "$rootfs/.kage-container-root"
echo public >"$base/fb/pub.txt"
echo TOPSECRET-sibling >"$base/fb/kage-secret"
echo "127.0.0.1 localhost" >"$base/ctr/hosts"
echo '{"TOPSECRET":"config"}' >"$base/ctr/config.v2.json"
chmod 0600 "$base/fb/kage-secret" "$base/ctr/config.v2.json"
echo ro-data >"$base/ro/f"
# Symlinks planted in a volume on the host: a server that resolved them on the host would
# hand out the secret; the guest must resolve them in the container's root.
ln -s "$base/fb/kage-secret" "$base/vol/abs-link"
ln -s ../fb/kage-secret "$base/vol/rel-link"
ln -s ../../../../../../../.. "$base/vol/up-link"

b=$base/bundle
mkdir -p "$b"
python3 - "$b" "$rootfs" "$base" "$caps" <<'PY'
import json, sys
d, rootfs, base, caps = sys.argv[1:5]
caps = json.loads(caps)
bind = lambda dst, src, mode: {"destination": dst, "type": "bind", "source": src,
                               "options": ["rbind", "rprivate", mode]}
c = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0},
                "args": ["sh", "-c", "grep CapEff /proc/self/status >/tmp/init.caps; echo $$ >/tmp/init.pid; exec sleep 86400"],
                "env": ["PATH=/bin", "HOME=/root"], "cwd": "/",
                "capabilities": {s: caps for s in ["bounding", "effective", "permitted"]}},
    "root": {"path": rootfs, "readonly": False},
    "hostname": "kage-sec",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
        bind("/vol", base + "/vol", "rw"),
        bind("/ro", base + "/ro", "ro"),
        bind("/pub.txt", base + "/fb/pub.txt", "ro"),
        bind("/etc/hosts", base + "/ctr/hosts", "rw"),
    ],
    "linux": {
        "namespaces": [{"type": t} for t in ["pid", "ipc", "uts", "mount", "network"]],
        "maskedPaths": ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                        "/sys/firmware", "/sys/devices/virtual/powercap"],
        "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        # Docker's: mknod of any device, use of the usual few.
        "resources": {"devices": [{"allow": False, "access": "rwm"},
            {"allow": True, "type": "c", "access": "m"}, {"allow": True, "type": "b", "access": "m"}]
            + [{"allow": True, "type": "c", "major": M, "minor": m, "access": "rwm"}
               for M, m in [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (10, 200)]]},
    },
}
json.dump(c, open(d + "/config.json", "w"), indent=1)
PY

k create --bundle "$b" --pid-file "$b/pid" c1 </dev/null >"$b/out" 2>"$b/err"
rc=$?
[ "$rc" = 0 ] && k start c1
for _ in $(seq 150); do [ -s "$rootfs/tmp/init.pid" ] && break; sleep 0.2; done
if [ "$rc" != 0 ] || [ ! -s "$rootfs/tmp/init.pid" ]; then
	not_ok "a container with Docker's defaults starts (create status $rc)"
	sed 's/^/# /' "$b/err" | tail -5
	finish
fi

# --- processes and namespaces: the container's own, as runc makes them ---
contains "the container's init has Docker's capabilities" "$(cat "$rootfs/tmp/init.caps")" "$docker_capeff"
contains "a plain exec gets the container's capabilities, as runc exec does" \
	"$(k exec c1 grep CapEff /proc/self/status 2>&1)" "$docker_capeff"
check "the container's init sees itself as PID 1 (echo \$\$: $(cat "$rootfs/tmp/init.pid"))" \
	test "$(cat "$rootfs/tmp/init.pid")" = 1
out=$(kx 'echo self=$$; for p in /proc/[0-9]*; do echo "proc ${p#/proc/} $(tr "\0" " " <$p/cmdline)"; done
	for n in pid ipc uts; do echo "ns $(readlink /proc/self/ns/$n)"; done
	echo mounts-naming-kage=$(grep -c /run/kage /proc/self/mountinfo)
	ls /proc/1/root/run/kage >/dev/null 2>&1 && echo agent-root-reachable
	ps')
printf '%s\n' "$out" | sed 's/^/#   /' | head -40
contains "exec joins the container's PID namespace: PID 1 is the container's init" "$out" "proc 1 sleep 86400"
others=$(grep '^proc ' <<<"$out" | grep -v -e '^proc 1 sleep 86400 $' -e '^proc [0-9]* sh -c ' -e '^proc [0-9]* tr ')
check "/proc in the container lists only its own processes (no agent, no kernel threads)" \
	bash -c '[ -z "$1" ] && grep -q "^proc " <<<"$2"' _ "$others" "$out"
[ -z "$others" ] || diag "also listed: $(echo $others | head -c 300)"
check "ps shows only the container's processes" \
	bash -c 'grep -q PID <<<"$1" && ! grep -q -e "/init" -e "\[kthreadd\]" -e "\[rcu" <<<"$1"' _ "$(sed -n '/PID/,$p' <<<"$out")"
check "the container has a PID namespace of its own (not the guest's initial one)" \
	bash -c '! grep -qx "ns pid:\[4026531836\]" <<<"$1" && grep -q "^ns pid:" <<<"$1"' _ "$out"
check "an IPC namespace of its own" \
	bash -c '! grep -qx "ns ipc:\[4026531839\]" <<<"$1" && grep -q "^ns ipc:" <<<"$1"' _ "$out"
check "a UTS namespace of its own: its hostname is not the guest's" \
	bash -c '! grep -qx "ns uts:\[4026531838\]" <<<"$1" && grep -q "^ns uts:" <<<"$1"' _ "$out"
contains "its mount table names nothing of the guest's /run/kage" "$out" "mounts-naming-kage=0"
check "/proc/1/root does not lead to the agent's root" bash -c '! grep -qx agent-root-reachable <<<"$1"' _ "$out"
contains "the hostname is the spec's" "$(kx hostname)" "kage-sec"

# --- the chroot escape (CAP_SYS_CHROOT is in Docker's set) ---
# Run from the escaped root: what the guest holds, the bound files' siblings, /proc's files.
out=$(kx attack escape sh -c '
	[ -e /.kage-container-root ] && echo in-container-root
	for f in /init /sbin/kage-hello /run/kage /run/kage/shares /run/kage/root; do
		[ -e $f ] && echo "found $f"
	done
	find / \( -name proc -o -name sys \) -prune -o \( -name kage-secret -o -name config.v2.json \) -print 2>/dev/null |
		while read -r f; do echo "found $f"; cat "$f"; done
	cat /run/kage/shares/*/kage-secret /run/kage/shares/*/config.v2.json 2>/dev/null
	echo 1 2>/dev/null >/proc/sys/vm/drop_caches && echo wrote-proc-sys
	echo h 2>/dev/null >/proc/sysrq-trigger && echo wrote-sysrq-trigger
	echo escape-end')
printf '%s\n' "$out" | sed 's/^/#   /' | head -20
contains "after the chroot escape the process is still in the container's root" "$out" "in-container-root"
check "and finds nothing of the guest (/init, /run/kage, the shares, the rootfs share)" \
	bash -c '! grep -q -e "^found /init" -e "^found /sbin/kage-hello" -e "^found /run/kage" <<<"$1"' _ "$out"
check "a 0600 file beside a file bind is neither found nor read" \
	bash -c '! grep -q -e "^found .*kage-secret" -e TOPSECRET-sibling <<<"$1"' _ "$out"
check "nor Docker's config.v2.json beside the rw /etc/hosts bind" \
	bash -c '! grep -q -e "^found .*config.v2.json" -e TOPSECRET <<<"$1"' _ "$out"
check "/proc/sys stays read-only after the escape" bash -c '! grep -q wrote-proc-sys <<<"$1"' _ "$out"
check "/proc/sysrq-trigger stays read-only after the escape" bash -c '! grep -q wrote-sysrq <<<"$1"' _ "$out"
contains "the escape's shell ran to its end" "$out" "escape-end"

# --- /proc without an escape ---
out=$(kx 'echo 1 2>/dev/null >/proc/sys/vm/drop_caches && echo wrote-proc-sys
	echo h 2>/dev/null >/proc/sysrq-trigger && echo wrote-sysrq-trigger
	mount -o remount,rw /proc/sys 2>/dev/null && echo remounted
	umount /proc/sys 2>/dev/null && echo unmounted
	for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats; do
		[ -e $f ] && echo "masked $f $(wc -c <$f)"
	done; echo proc-end')
check "writing /proc/sys is refused, and it cannot be remounted or unmounted" \
	bash -c '! grep -q -e wrote-proc-sys -e remounted -e unmounted <<<"$1" && grep -q proc-end <<<"$1"' _ "$out"
check "writing /proc/sysrq-trigger is refused" bash -c '! grep -q wrote-sysrq <<<"$1"' _ "$out"
check "Docker's masked /proc files read empty ($(grep ^masked <<<"$out" | tr '\n' ' '))" \
	bash -c 'grep -q "^masked /proc/keys 0$" <<<"$1" && ! grep "^masked " <<<"$1" | grep -qv " 0$"' _ "$out"

# --- walks out of the binds: .., symlinks planted on the host ---
out=$(kx 'echo "root: $(ls -a / | tr "\n" " ")"
	echo "vol-up: $(ls -a /vol/.. | tr "\n" " ")"
	echo "vol-up-link: $(ls -a /vol/up-link/ | tr "\n" " ")"
	echo "ro-up: $(ls -a /ro/../../.. | tr "\n" " ")"
	cat /vol/../../../../fb/kage-secret /vol/abs-link /vol/rel-link /ro/../../fb/kage-secret 2>/dev/null
	ls /pub.txt/.. 2>/dev/null && echo file-bind-has-a-parent
	cat /pub.txt; echo walk-end')
root_ls=$(sed -n 's/^root: //p' <<<"$out")
check "/vol/.. is the container's root" test "$(sed -n 's/^vol-up: //p' <<<"$out")" = "$root_ls"
check "a symlink in the volume to ../../.. resolves in the container's root" \
	test "$(sed -n 's/^vol-up-link: //p' <<<"$out")" = "$root_ls"
check "/ro/../../.. is the container's root" test "$(sed -n 's/^ro-up: //p' <<<"$out")" = "$root_ls"
check "no walk (.., absolute or relative symlinks to the host's path) reads the sibling" \
	bash -c '! grep -q TOPSECRET <<<"$1" && grep -q walk-end <<<"$1"' _ "$out"
check "a file bind has no directory behind it" bash -c '! grep -q file-bind-has-a-parent <<<"$1"' _ "$out"
contains "the ro file bind reads the host file" "$out" "public"
kx 'echo from-container >>/etc/hosts' >/dev/null
check "a rw file bind (Docker's /etc/hosts) takes writes through to the host file, as with runc" \
	grep -qx from-container "$base/ctr/hosts"

# --- what a rw volume lets container root make on the host ---
out=$(kx 'cd /vol
	mknod blk b 8 0 2>&1; mknod mem c 1 1 2>&1; mknod whiteout c 0 0 && echo whiteout-made
	echo x >capfile; echo "setcap: $(attack setcap capfile)"
	echo "trusted: $(attack setxattr capfile trusted.overlay.opaque y)"
	echo "security: $(attack setxattr capfile security.evm x)"
	cp /bin/busybox suid; chmod 4755 suid 2>&1; cp /bin/busybox sgid; chmod 2755 sgid 2>&1
	echo x >suid-created; chmod u+s,g+s suid-created 2>&1; echo vol-end')
printf '%s\n' "$out" | sed 's/^/#   /' | head -20
contains "the volume's commands ran to their end" "$out" "vol-end"
ran() { grep -q vol-end <<<"$out" && "$@"; }
check "mknod of a block device (the disk, 8:0) in a volume makes nothing on the host" ran test ! -e "$base/vol/blk"
check "mknod of a char device (/dev/mem, 1:1) in a volume makes nothing on the host" ran test ! -e "$base/vol/mem"
check "the overlay whiteout (char 0:0) still works" \
	test "$(stat -c '%F %t:%T' "$base/vol/whiteout" 2>&1)" = "character special file 0:0"
host_x=$(python3 -c 'import os, sys; print(" ".join(os.listxattr(sys.argv[1], follow_symlinks=False)))' \
	"$base/vol/capfile" 2>&1)
check "security.capability set in a volume is refused (the helper said: $(sed -n 's/^setcap: //p' <<<"$out"))" \
	bash -c 'grep -q "^setcap: ." <<<"$1" && ! grep -qx "setcap: ok" <<<"$1"' _ "$out"
check "and is not on the host file (its xattrs: '$host_x')" \
	bash -c '[ -e "$1" ] && ! grep -q security.capability <<<"$2"' _ "$base/vol/capfile" "$host_x"
check "no trusted.* or security.* attribute reaches the host" \
	bash -c '[ -e "$1" ] && ! grep -q -e trusted. -e security. <<<"$2"' _ "$base/vol/capfile" "$host_x"
for f in suid sgid suid-created; do
	st=$(stat -c '%a %u:%g' "$base/vol/$f" 2>&1)
	check "chmod u+s/g+s of a root-owned file in a volume leaves no setuid/setgid root file on the host ($f: $st)" \
		ran python3 -c 'import os, stat, sys
try:
    s = os.stat(sys.argv[1])
except FileNotFoundError:
    sys.exit(0)
sys.exit(1 if (s.st_mode & stat.S_ISUID and s.st_uid == 0) or (s.st_mode & stat.S_ISGID and s.st_gid == 0) else 0)' \
		"$base/vol/$f"
done

# --- killing what the container can see: runc shows its init surviving (SIGKILL from inside
# its PID namespace does not reach PID 1), the other processes gone, the container running ---
k exec -d c1 sleep 3600 </dev/null >/dev/null 2>&1
out=$(kx 'kill -9 1; kill -9 -1; echo killed-all')
contains "kill -9 1 and kill -9 -1 from an exec run to the end" "$out" "killed-all"
sleep 2
check "the VM and the container stay up (state: $(k state c1 2>&1 | jq -r .status 2>/dev/null))" \
	test "$(k state c1 2>/dev/null | jq -r .status)" = running
out=$(kx 'cat /proc/1/cmdline | tr "\0" " "; echo; ls -d /proc/[0-9]* | wc -l')
contains "another exec still works, and the container's init is still PID 1" "$out" "sleep 86400"
check "the other processes (a detached exec's sleep) are gone" \
	bash -c '! grep -q "sleep 3600" <<<"$1"' _ "$(kx 'cat /proc/[0-9]*/cmdline | tr "\0" " "')"

k delete --force c1 >/dev/null 2>&1
check "delete --force ends it" test ! -e "$root/c1"
finish
