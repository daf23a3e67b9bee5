#!/usr/bin/env bash
# virtio-blk, end to end: `kage vm run --disk` gives the guest an ext4 image made here; what
# the guest writes is fsck-clean and intact on the host afterwards, a read-only disk refuses
# writes, and discard gives space back to a sparse backing file.
. "$(dirname "$0")/../lib.sh"

base=$(mktemp -d /var/tmp/kage-disk.XXXXXX)
trap 'rm -rf "$base"' EXIT
img=$base/disk.img
run() { kage_bounded 600 "$KAGE" vm run --mem 256 "$@"; }

# 128 MiB of random data: thousands of requests through the ring, a few wraps of every index;
# the guest's urandom under nested TCG was most of this file's time at 512 MiB (325 s).
truncate -s 1G "$img"
mkfs.ext4 -q -F -E nodiscard "$img"
out=$(run --disk "$img" -- sh -c '
	mkdir -p /mnt/d && mount -t ext4 /dev/vda /mnt/d || exit 10
	head -c 134217728 /dev/urandom >/mnt/d/big || exit 11
	sha256sum /mnt/d/big | cut -d" " -f1
	mkdir -p /mnt/d/dir && echo small >/mnt/d/dir/file
	umount /mnt/d || exit 12' 2>&1)
rc=$?
check "the guest mounted the image, wrote 128 MiB and unmounted it (status $rc)" test "$rc" = 0
[ "$rc" = 0 ] || echo "$out" | tail -10 | sed 's/^/# /'
e2fsck -fn "$img" >"$base/fsck" 2>&1
frc=$?
check "e2fsck finds the image clean afterwards (status $frc)" test "$frc" = 0
[ "$frc" = 0 ] || tail -5 "$base/fsck" | sed 's/^/# /'
debugfs -R "dump /big $base/big" "$img" >/dev/null 2>&1
check "the 128 MiB file has the guest's sha256 on the host" \
	test "$(sha256sum <"$base/big" | cut -d' ' -f1)" = "$(echo "$out" | grep -xE '[0-9a-f]{64}')"
rm -f "$base/big"
check "and the small file is there too" \
	test "$(debugfs -R 'cat /dir/file' "$img" 2>/dev/null)" = small

# Read-only: the guest sees a read-only disk and a raw write fails; the image is unchanged.
before=$(sha256sum <"$img")
out=$(run --disk "$img:ro" -- sh -c '
	cat /sys/block/vda/ro
	dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>&1 && echo WROTE
	mkdir -p /mnt/d && mount -t ext4 -o ro,noload /dev/vda /mnt/d && ls /mnt/d/dir' 2>&1)
contains "the guest sees the disk read-only" "$(echo "$out" | head -1)" 1
check "a raw write to it fails" bash -c "! grep -q WROTE <<<'$out'"
contains "it still mounts read-only and reads" "$out" "file"
check "the image is unchanged" test "$(sha256sum <"$img")" = "$before"

# Discard: a file written then deleted and trimmed gives its blocks back to the sparse file.
truncate -s 512M "$base/sparse.img"
mkfs.ext4 -q -F -E nodiscard "$base/sparse.img"
out=$(run --disk "$base/sparse.img" -- sh -c '
	mkdir -p /mnt/d && mount -t ext4 /dev/vda /mnt/d || exit 10
	head -c 134217728 /dev/zero | tr "\0" x >/mnt/d/f && sync
	echo "filled"
	rm /mnt/d/f && sync && fstrim -v /mnt/d
	umount /mnt/d' 2>&1)
rc=$?
used_kib=$(du -k "$base/sparse.img" | cut -f1)
check "the guest filled, removed and trimmed a file (status $rc)" test "$rc" = 0
[ "$rc" = 0 ] || echo "$out" | tail -10 | sed 's/^/# /'
check "discard shrank the sparse backing file below 64 MiB (now ${used_kib} KiB)" \
	test "$used_kib" -lt 65536
check "and the image is still clean" bash -c "e2fsck -fn '$base/sparse.img' >/dev/null 2>&1"

out=$(run --disk "$base/missing.img" -- true 2>&1)
rc=$?
check "a missing disk image fails with status 1 (got $rc)" test "$rc" = 1
contains "and names it" "$out" "missing.img"
finish
