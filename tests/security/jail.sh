#!/usr/bin/env bash
# The sandbox's jail (confine/jail.c, docs/confinement.md): a container created and started
# as Docker does, with a rw volume, a file bind beside a secret, and a host block device as a
# disk. Its sandbox process must run with no_new_privs and the documented capabilities, in
# IPC, UTS and mount namespaces of its own whose root holds only the documented binds, with
# no core dumps (guest RAM marked MADV_DONTDUMP too) and the fd limit the shares need; and the
# container must still work: exec, the volume both ways, the disk, kill, delete.
. "$(dirname "$0")/../lib.sh"

base=$(mktemp -d /var/tmp/kage-jail.XXXXXX)
root=$base/state
loop=
cleanup() {
	for id in $("$KAGE" --root "$root" list -q 2>/dev/null); do
		timeout 120 "$KAGE" --root "$root" delete --force "$id" >/dev/null 2>&1
	done
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	rm -rf "$base"
}
trap cleanup EXIT
k() { timeout -k 10 "${KAGE_TIMEOUT:-180}" "$KAGE" --root "$root" "$@"; }
kx() {
	python3 -c 'import json, sys
print(json.dumps({"terminal": False, "user": {"uid": 0, "gid": 0}, "args": sys.argv[1:],
                  "env": ["PATH=/bin", "HOME=/root"], "cwd": "/"}))' sh -c "$1" >"$base/proc.json"
	k exec --process "$base/proc.json" c1 2>&1
}

rootfs=$base/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc,root,mnt} "$base"/{vol,ctr}
cp /bin/busybox "$rootfs/bin/busybox"
busybox_links "$rootfs/bin"
echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
echo from-the-host >"$base/vol/host.txt"
echo "127.0.0.1 localhost" >"$base/ctr/hosts"
echo '{"TOPSECRET":"config"}' >"$base/ctr/config.v2.json"

dimg=$base/dev.img
truncate -s 64M "$dimg"
mkfs.ext4 -q -F -E nodiscard "$dimg"
modprobe loop 2>/dev/null
loop=$(losetup -f --show "$dimg")
check "a loop device for the disk ($loop)" test -b "$loop"
[ -b "$loop" ] || finish
mm=$(stat -c '%t %T' "$loop")
major=$((16#${mm% *})) minor=$((16#${mm#* }))

b=$base/bundle
mkdir -p "$b"
python3 - "$b" "$rootfs" "$base" "$major" "$minor" <<'PY'
import json, sys
d, rootfs, base, major, minor = sys.argv[1:6]
bind = lambda dst, src, mode: {"destination": dst, "type": "bind", "source": src,
                               "options": ["rbind", "rprivate", mode]}
c = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0},
                "args": ["sleep", "86400"], "env": ["PATH=/bin", "HOME=/root"], "cwd": "/"},
    "root": {"path": rootfs, "readonly": False},
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        bind("/vol", base + "/vol", "rw"),
        bind("/etc/hosts", base + "/ctr/hosts", "rw"),
    ],
    "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "mount"},
                             {"type": "ipc"}, {"type": "uts"}],
              "devices": [{"path": "/dev/xvdb", "type": "b", "major": int(major),
                           "minor": int(minor), "fileMode": 0o660}]},
}
json.dump(c, open(d + "/config.json", "w"), indent=1)
PY

# The workload's stdio is create's: files, as containerd's FIFOs would be.
k create --bundle "$b" c1 </dev/null >"$base/out" 2>"$base/err"
rc=$?
check "create (status $rc)" test "$rc" = 0
[ "$rc" = 0 ] || { tail -15 "$base/err" | sed 's/^/# /'; finish; }
out=$(k start c1 2>&1)
rc=$?
check "start (status $rc)" test "$rc" = 0
[ "$rc" = 0 ] || echo "$out" | tail -15 | sed 's/^/# /'
pid=$(k state c1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["pid"])')
check "the sandbox runs (pid $pid)" test -d "/proc/$pid"

# --- privileges ---
st=$(cat "/proc/$pid/status")
contains "no_new_privs is set" "$st" "NoNewPrivs:	1"
# CHOWN DAC_OVERRIDE FOWNER FSETID SETGID SETUID, NET_ADMIN (the tap), MKNOD and SETFCAP
# (the rootfs is served as runc would): bits 0 1 3 4 6 7 12 27 31.
want=00000000880010db
contains "effective capabilities are the documented set ($want)" "$st" "CapEff:	$want"
contains "permitted too" "$st" "CapPrm:	$want"
contains "the bounding set too" "$st" "CapBnd:	$want"
contains "no inheritable capability" "$st" "CapInh:	0000000000000000"
contains "no ambient capability" "$st" "CapAmb:	0000000000000000"

# --- namespaces ---
for ns in ipc uts mnt; do
	check "its $ns namespace is not the host's" \
		test "$(readlink "/proc/$pid/ns/$ns")" != "$(readlink /proc/self/ns/$ns)"
done

# --- the jail's root: the documented binds and nothing else ---
jr=/proc/$pid/root
top=$(ls "$jr" | tr '\n' ' ')
check "its / holds only dev, proc and the binds' top directory ($top)" test "$top" = "dev proc var "
devs=$(ls "$jr/dev" | tr '\n' ' ')
check "its /dev holds kvm, null and the disk ($devs)" test "$devs" = "kvm $(basename "$loop") null "
check "its /proc is our own fd directory alone" test "$(ls "$jr/proc")" = self
check "and that lists fds" test -e "$jr/proc/self/fd/0"
check "no /etc/shadow" test ! -e "$jr/etc/shadow"
check "no /usr" test ! -e "$jr/usr"
check "no /sys (nor the host's /sys/module)" test ! -e "$jr/sys"
check "the bound file is there" test -f "$jr$base/ctr/hosts"
check "its directory's other files are not" test ! -e "$jr$base/ctr/config.v2.json"
check "the volume is there" test -f "$jr$base/vol/host.txt"
check "the state directory is there" test -f "$jr$root/c1/state.json"
check "the disk image's directory's other files are not" test ! -e "$jr$base/dev.img"
out=$(touch "$jr/x" 2>&1)
contains "its root cannot be written" "$out" "Read-only file system"

# --- limits ---
lim=$(cat "/proc/$pid/limits")
nr_open=$(cat /proc/sys/fs/nr_open)
# rootfs, the volume, the directory of bound files: 4096 + 3 * (2^20 + 2^16), within nr_open
need=$((4096 + 3 * (1048576 + 65536)))
[ "$need" -gt "$nr_open" ] && need=$nr_open
check "no core dumps (soft and hard 0)" grep -Eq '^Max core file size +0 +0 ' <<<"$lim"
check "the fd limit is the shares' need, $need" \
	grep -Eq "^Max open files +$need +$need " <<<"$lim"
# The largest mapping is the guest's RAM; "dd" in its VmFlags is MADV_DONTDUMP.
flags=$(python3 - "/proc/$pid/smaps" <<'PY'
import re, sys
best, flags, size = 0, "", 0
for line in open(sys.argv[1]):
    m = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
    if m:
        size = int(m.group(2), 16) - int(m.group(1), 16)
    elif line.startswith("VmFlags:") and size > best:
        best, flags = size, line.split()[1:]
print(best >> 20, " ".join(flags))
PY
)
check "guest RAM is marked MADV_DONTDUMP (largest mapping, MiB and flags: $flags)" \
	grep -qw dd <<<"$flags"

# --- the container still works ---
out=$(kx 'echo exec-ok; cat /vol/host.txt; echo from-the-guest >/vol/guest.txt; cat /etc/hosts')
contains "exec runs" "$out" "exec-ok"
contains "the volume reads" "$out" "from-the-host"
contains "the file bind reads" "$out" "127.0.0.1 localhost"
check "the volume writes" test "$(cat "$base/vol/guest.txt" 2>/dev/null)" = from-the-guest
out=$(kx 'mount /dev/xvdb /mnt && echo disk-written >/mnt/f && umount /mnt && echo disk-ok')
contains "the disk mounts and writes" "$out" "disk-ok"
check "the write is on the host's device" \
	test "$(debugfs -R 'cat /f' "$loop" 2>/dev/null)" = disk-written

out=$(k kill c1 KILL 2>&1)
check "kill" test $? = 0
for _ in $(seq 60); do [ -d "/proc/$pid" ] || break; sleep 1; done
check "the sandbox ends" test ! -d "/proc/$pid"
check "it recorded the end (state.json, under the jail)" \
	bash -c "'$KAGE' --root '$root' state c1 | grep -q '\"status\": *\"stopped\"'"
k delete c1 >/dev/null 2>&1
check "delete removes the state directory" test ! -e "$root/c1"
check "no mount of the test is left" bash -c "! grep -q '$base' /proc/self/mountinfo"
finish
