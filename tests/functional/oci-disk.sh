#!/usr/bin/env bash
# Disks for OCI containers: a rootfs that is an ext4 image (io.kage.rootfs.block), read-only
# when root.readonly says so, and a host block device in linux.devices (a loop device) seen
# in the container at the spec's path, read-only when the device rules allow no writes.
. "$(dirname "$0")/../lib.sh"

base=$(mktemp -d /var/tmp/kage-ocidisk.XXXXXX)
root=$base/state
loops=()
cleanup() {
	for id in $("$KAGE" --root "$root" list -q 2>/dev/null); do
		"$KAGE" --root "$root" delete --force "$id" >/dev/null 2>&1
	done
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -rf "$base"
}
trap cleanup EXIT
k() { timeout 300 "$KAGE" --root "$root" "$@"; }
lacks() { ! grep -q "$2" <<<"$1"; }

# The admin's config: block rootfs annotations are not allowed unless it says so.
cat >"$base/kage.json" <<'EOF'
{"annotations_allowed": ["io.kage.rootfs.block", "io.kage.rootfs.fstype",
                         "io.kage.rootfs.options"]}
EOF

# A busybox tree made into an ext4 image, and an empty directory as root.path: what the
# container sees comes from the image or not at all.
tree=$base/tree
mkdir -p "$tree"/{bin,proc,sys,dev,tmp,etc,root,data}
cp /bin/busybox "$tree/bin/busybox"
busybox_links "$tree/bin"
echo "root:x:0:0:root:/root:/bin/sh" >"$tree/etc/passwd"
echo "from-the-image" >"$tree/etc/marker"
img=$base/root.img
truncate -s 96M "$img"
mkfs.ext4 -q -F -E nodiscard -d "$tree" "$img"
mkdir -p "$base/empty"

# mkbundle DIR ARGS_JSON [PYTHON]: a bundle running ARGS_JSON on $img; PYTHON edits dict c.
mkbundle() {
	mkdir -p "$1"
	python3 - "$1" "$2" "$base/empty" "$img" "${3:-}" <<'PY'
import json, sys
d, args, empty, img, edit = sys.argv[1:6]
c = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": json.loads(args),
                "env": ["PATH=/bin", "HOME=/root"], "cwd": "/"},
    "root": {"path": empty, "readonly": False},
    "annotations": {"io.kage.rootfs.block": img},
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
    ],
    "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "mount"}]},
}
if edit:
    exec(edit)
json.dump(c, open(d + "/config.json", "w"), indent=1)
PY
}

# --- the rootfs is the image: what the container writes is in it afterwards, fsck-clean ---
b=$base/b1
mkbundle "$b" '["sh", "-c", "cat /etc/marker; grep \" / \" /proc/mounts | cut -d\" \" -f3; head -c 4194304 /dev/urandom >/data/blob; sha256sum /data/blob | cut -d\" \" -f1; echo written >/data/note; sync"]'
out=$(KAGE_CONFIG=$base/kage.json k run --bundle "$b" c1 2>&1)
rc=$?
check "a container whose rootfs is an ext4 image runs (status $rc)" test "$rc" = 0
[ "$rc" = 0 ] || echo "$out" | tail -15 | sed 's/^/# /'
contains "it sees the image's files" "$out" "from-the-image"
check "its / is the image, mounted as ext4" grep -qx ext4 <<<"$out"
e2fsck -fn "$img" >"$base/fsck" 2>&1
frc=$?
check "the image is fsck-clean after the container ended (status $frc)" test "$frc" = 0
[ "$frc" = 0 ] || tail -5 "$base/fsck" | sed 's/^/# /'
debugfs -R "dump /data/blob $base/blob" "$img" >/dev/null 2>&1
check "the 4 MiB file it wrote is in the image with the container's sha256" \
	test "$(sha256sum <"$base/blob" | cut -d' ' -f1)" = "$(grep -xE '[0-9a-f]{64}' <<<"$out")"
check "and so is the small one" test "$(debugfs -R 'cat /data/note' "$img" 2>/dev/null)" = written
k delete c1 >/dev/null 2>&1

# --- root.readonly: the disk itself is read-only; the image is not changed ---
before=$(sha256sum <"$img")
b=$base/b2
mkbundle "$b" '["sh", "-c", "cat /etc/marker; cat /sys/block/*/ro | sort -u; echo x >/data/x && echo WROTE; exit 0"]' \
	'c["root"]["readonly"] = True'
out=$(KAGE_CONFIG=$base/kage.json k run --bundle "$b" c2 2>&1)
rc=$?
check "a read-only block rootfs runs (status $rc)" test "$rc" = 0
contains "and reads the image" "$out" "from-the-image"
contains "the guest's disk is read-only" "$out" "1"
check "a write fails" lacks "$out" WROTE
contains "as a read-only filesystem" "$out" "Read-only file system"
check "the image is unchanged" test "$(sha256sum <"$img")" = "$before"
k delete c2 >/dev/null 2>&1

# --- errors: a missing image, a wrong type; not allowed by the config: root.path is used ---
b=$base/b3
mkbundle "$b" '["true"]' "c['annotations']['io.kage.rootfs.block'] = '$base/missing.img'"
out=$(KAGE_CONFIG=$base/kage.json k run --bundle "$b" c3 2>&1)
rc=$?
check "a missing image fails the container (status $rc)" test "$rc" != 0
contains "naming the image" "$out" "missing.img"
check "and leaves no state behind" test ! -e "$root/c3"

b=$base/b4
mkbundle "$b" '["true"]' "c['annotations']['io.kage.rootfs.fstype'] = 'xfs'"
out=$(KAGE_CONFIG=$base/kage.json k run --bundle "$b" c4 2>&1)
rc=$?
check "an image mounted as the wrong filesystem type fails (status $rc)" test "$rc" != 0
contains "saying which mount failed" "$out" "rootfs $img (xfs)"
k delete --force c4 >/dev/null 2>&1

mkdir -p "$base/dirroot/bin"
cp /bin/busybox "$base/dirroot/bin/busybox"
ln -s busybox "$base/dirroot/bin/sh"
ln -s busybox "$base/dirroot/bin/cat"
b=$base/b5
mkbundle "$b" '["sh", "-c", "cat /etc/marker 2>&1; exit 0"]' "c['root']['path'] = '$base/dirroot'"
out=$(k run --bundle "$b" c5 2>&1)
rc=$?
check "without the config's leave the annotation is ignored (status $rc)" test "$rc" = 0
contains "with a warning" "$out" "io.kage.rootfs.block is not in annotations_allowed"
contains "and the container's root is root.path" "$out" "No such file or directory"
k delete c5 >/dev/null 2>&1

# --- a host block device in linux.devices: the container sees it at the spec's path (the
# containers run on the image, for its full busybox) ---
dimg=$base/dev.img
truncate -s 64M "$dimg"
mkfs.ext4 -q -F -E nodiscard "$dimg"
debugfs -w -R "write /etc/hostname hostfile" "$dimg" >/dev/null 2>&1
modprobe loop 2>/dev/null	# /dev/loop-control appears with the module
loop=$(losetup -f --show "$dimg")
[ -n "$loop" ] && loops+=("$loop")
check "a loop device for the test ($loop)" test -b "$loop"
[ -b "$loop" ] || finish
mm=$(stat -c '%t %T' "$loop")
major=$((16#${mm% *})) minor=$((16#${mm#* }))
dev_edit="c['linux']['devices'] = [{'path': '/dev/xvdb', 'type': 'b', 'major': $major, 'minor': $minor, 'fileMode': 0o660}]"
b=$base/b6
mkbundle "$b" '["sh", "-c", "ls -l /dev/xvdb; mkdir -p /mnt && mount /dev/xvdb /mnt && cat /mnt/hostfile && echo from-the-container >/mnt/guestfile && umount /mnt && echo done"]' \
	"$dev_edit"
out=$(KAGE_CONFIG=$base/kage.json k run --bundle "$b" c6 2>&1)
rc=$?
check "a container with block device $loop as /dev/xvdb runs (status $rc)" test "$rc" = 0
[ "$rc" = 0 ] || echo "$out" | tail -15 | sed 's/^/# /'
check "it is a block device node there, mode 0660" grep -q '^brw-rw----' <<<"$out"
contains "it mounts it and reads the host's file" "$out" "kage-testhost"
contains "and unmounts it" "$out" "done"
check "the loop device is fsck-clean afterwards" bash -c "e2fsck -fn '$loop' >/dev/null 2>&1"
check "the container's file is on it" \
	test "$(debugfs -R 'cat /guestfile' "$loop" 2>/dev/null)" = from-the-container
k delete c6 >/dev/null 2>&1

# Device rules allowing only reads: the guest's disk is read-only.
b=$base/b7
mkbundle "$b" '["sh", "-c", "blockdev --getro /dev/xvdb; dd if=/dev/xvdb bs=4096 count=1 2>/dev/null | wc -c; dd if=/dev/zero of=/dev/xvdb bs=4096 count=1 conv=fsync 2>&1 && echo WROTE; exit 0"]' \
	"$dev_edit; c['linux']['resources'] = {'devices': [{'allow': False, 'access': 'rwm'}, {'allow': True, 'type': 'b', 'major': $major, 'minor': $minor, 'access': 'r'}]}"
before=$(sha256sum <"$dimg")
out=$(KAGE_CONFIG=$base/kage.json k run --bundle "$b" c7 2>&1)
rc=$?
check "a block device the rules allow only to read (status $rc)" test "$rc" = 0
check "is read-only in the guest" test "$(head -1 <<<"$out")" = 1
contains "reads" "$out" "4096"
check "and refuses a write" lacks "$out" WROTE
check "the device is unchanged" test "$(sha256sum <"$dimg")" = "$before"
k delete c7 >/dev/null 2>&1

b=$base/b8
mkbundle "$b" '["stat","-c","%t:%T %F","/dev/xvdc"]' "c['linux']['devices'] = [{'path': '/dev/xvdc', 'type': 'b', 'major': 7, 'minor': 1048575}]"
out=$(KAGE_CONFIG=$base/kage.json k run --bundle "$b" c8 2>&1)
rc=$?
check "a block device the host does not have is only a node, as runc makes it (status $rc)" \
	test "$rc" = 0
contains "with the spec's numbers" "$out" "7:fffff block special file"
finish
