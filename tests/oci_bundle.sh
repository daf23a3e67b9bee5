# OCI bundles for the tests that drive the runc command line: a busybox rootfs and a
# config.json as runc's own tests write them (kage spec's shape, edited per test).
# Source after tests/lib.sh, then call oci_scratch.

# oci_scratch NAME: $base (a scratch directory), $root (kage's state in it), `k` (kage with
# that root, each call bounded), the busybox $rootfs; at exit every container left is
# deleted and $base removed.
oci_scratch() {
	base=$(mktemp -d "/var/tmp/kage-$1.XXXXXX")
	root=$base/state
	trap _oci_cleanup EXIT
	rootfs=$base/rootfs
	make_rootfs "$rootfs"
}
k() { timeout 300 "$KAGE" --root "$root" "$@"; }
# wait_status ID STATUS: until `k state ID` says STATUS (60 s).
wait_status() {
	local _
	for _ in $(seq 300); do
		[ "$(k state "$1" 2>/dev/null | jq -r .status)" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
_oci_cleanup() {
	for id in $("$KAGE" --root "$root" list -q 2>/dev/null); do
		"$KAGE" --root "$root" delete --force "$id" >/dev/null 2>&1
	done
	rm -rf "$base"
}

# make_rootfs DIR: a busybox tree with /etc/passwd and a file to mask.
make_rootfs() {
	mkdir -p "$1"/{bin,proc,sys,dev,tmp,etc,root}
	cp /bin/busybox "$1/bin/busybox"
	busybox_links "$1/bin"
	echo "root:x:0:0:root:/root:/bin/sh" >"$1/etc/passwd"
	echo "masked-out" >"$1/etc/secret"
}

# mkbundle DIR ARGS_JSON [PYTHON]: a bundle running ARGS_JSON; PYTHON edits the dict c.
mkbundle() {
	mkdir -p "$1"
	python3 - "$1" "$2" "$rootfs" "${3:-}" <<'PY'
import json, sys
d, args, rootfs, edit = sys.argv[1:5]
c = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": json.loads(args),
                "env": ["PATH=/bin", "HOME=/root"], "cwd": "/"},
    "root": {"path": rootfs, "readonly": False},
    "hostname": "kage-oci",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
    ],
    "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "mount"}, {"type": "ipc"},
                             {"type": "uts"}],
              "maskedPaths": ["/proc/kcore", "/etc/secret"],
              "readonlyPaths": ["/proc/sys"]},
}
if edit:
    exec(edit)
json.dump(c, open(d + "/config.json", "w"), indent=1)
PY
}
