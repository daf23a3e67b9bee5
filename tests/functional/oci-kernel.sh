#!/usr/bin/env bash
# Containers on a guest kernel and initramfs from kage's settings, pinned by SHA-256: copies
# of the images embedded in kage (taken out of the binary by its symbols) boot when their
# digests match; a wrong digest (of a kernel, an initramfs or a rootfs disk image), a missing
# file or a bad setting fails create with a message naming the setting and leaves no state
# directory or process behind. `kage version` prints the embedded kernel's version and the
# digests of both embedded images.
. "$(dirname "$0")/../lib.sh"
. "$KAGE_REPO/tests/oci_bundle.sh"

oci_scratch okernel
img=$base/img
mkdir -p "$img"

# The embedded images, cut out of the binary between kage_kernel_start/_end and
# kage_initrd_start/_end (ELF symbols: the build's own files may live outside the tree).
if ! python3 - "$KAGE" "$img" <<'PY'
import struct, sys
exe, out = sys.argv[1:3]
b = open(exe, "rb").read()
shoff, = struct.unpack_from("<Q", b, 0x28)
shentsize, shnum = struct.unpack_from("<HH", b, 0x3a)
secs = [struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * shentsize) for i in range(shnum)]
symtab = next(s for s in secs if s[1] == 2)          # SHT_SYMTAB
strtab = secs[symtab[6]]
syms = {}
for off in range(symtab[4], symtab[4] + symtab[5], 24):
    name, info, other, shndx, value, size = struct.unpack_from("<IBBHQQ", b, off)
    end = b.index(b"\0", strtab[4] + name)
    syms[b[strtab[4] + name:end].decode()] = value
def cut(start, end):
    s = next(s for s in secs if s[1] != 8 and s[3] <= syms[start] < s[3] + s[5])
    lo = syms[start] - s[3] + s[4]
    return b[lo:lo + syms[end] - syms[start]]
open(out + "/bzImage", "wb").write(cut("kage_kernel_start", "kage_kernel_end"))
open(out + "/initrd", "wb").write(cut("kage_initrd_start", "kage_initrd_end"))
# The version string as the x86 boot protocol places it: offset at 0x20e, from 0x200.
k = open(out + "/bzImage", "rb").read()
rel, = struct.unpack_from("<H", k, 0x20e)
open(out + "/version", "w").write(k[0x200 + rel:k.index(b"\0", 0x200 + rel)].decode())
PY
then
	not_ok "the embedded images can be cut out of $KAGE"
	finish
fi
ksum=$(sha256sum <"$img/bzImage" | cut -d' ' -f1)
isum=$(sha256sum <"$img/initrd" | cut -d' ' -f1)
check "the embedded kernel is a bzImage ($(head -c 60 "$img/version"))" \
	bash -c "head -c 518 '$img/bzImage' | tail -c 4 | grep -q HdrS"

# --- kage version ---
ver=$("$KAGE" version)
contains "kage version prints the embedded kernel's version" "$ver" \
	"guest kernel: $(cat "$img/version")"
contains "and the embedded kernel's SHA-256" "$ver" "guest kernel sha256: $ksum"
contains "and the embedded initramfs's SHA-256" "$ver" "guest initramfs sha256: $isum"
# The files the build embedded, where this machine can see them.
built=$(dirname "$KAGE")
if [ -r "$built/guest/initramfs.cpio.gz" ]; then
	contains "which is sha256sum of the build's initramfs" "$ver" \
		"guest initramfs sha256: $(sha256sum <"$built/guest/initramfs.cpio.gz" | cut -d' ' -f1)"
fi
if [ -r "$built/kernel.bin" ]; then
	contains "which is sha256sum of the build's kernel" "$ver" \
		"guest kernel sha256: $(sha256sum <"$built/kernel.bin" | cut -d' ' -f1)"
fi
contains "kage --version prints them too" "$("$KAGE" --version)" "guest kernel sha256: $ksum"

# settings NAME JSON: kage's settings file $base/NAME.json.
settings() { printf '%s\n' "$2" >"$base/$1.json"; }
# no_process ID: nothing runs for container ID (its create, its sandbox).
no_process() { ! pgrep -f -- "--root $root (create|run) .* $1\$" >/dev/null; }
# refused NAME CONFIG ID WANT...: create of ID under settings CONFIG fails, saying each WANT,
# and leaves no state directory and no process.
refused() {
	local name=$1 cfg=$2 id=$3 err rc
	shift 3
	err=$(KAGE_CONFIG=$base/$cfg.json k create --bundle "$b" "$id" 2>&1)
	rc=$?
	check "$name: create fails (status $rc)" test "$rc" != 0
	for want; do
		contains "$name: the message has '$want'" "$err" "$want"
	done
	check "$name: no state directory is left" test ! -e "$root/$id"
	check "$name: no process is left" no_process "$id"
}

b=$base/b
mkbundle "$b" '["sh","-c","echo pinned-kernel-ran; uname -r"]'

# --- copies of the embedded images, pinned: they boot ---
settings copy "{\"kernel\": \"$img/bzImage\", \"kernel_sha256\": \"$ksum\",
	\"initrd\": \"$img/initrd\", \"initrd_sha256\": \"${isum^^}\"}"
env=$(KAGE_CONFIG=$base/copy.json "$KAGE" env)
check "kage env shows the kernel setting from the file" python3 -c "
import json, sys
s = json.loads(sys.argv[1])['settings']
assert s['kernel'] == {'value': '$img/bzImage', 'source': 'file'}, s['kernel']
assert s['initrd_sha256'] == {'value': '$isum', 'source': 'file'}, s['initrd_sha256']
assert s['rootfs_block_sha256'] == {'value': None, 'source': 'default'}
" "$env"
out=$(KAGE_CONFIG=$base/copy.json kage_bounded 300 k run --bundle "$b" c1 2>&1)
rc=$?
check "a container on the pinned copies runs (status $rc)" test "$rc" = 0
contains "and prints its output" "$out" "pinned-kernel-ran"
[ "$rc" = 0 ] || diag "$(tail -5 <<<"$out")"

# A kernel and initramfs that differ from the embedded ones (trailing zeros, which the boot
# protocol and the initramfs unpacker skip), pinned to their own digests: a boot that passes
# the pins can only have loaded these files.
cp "$img/bzImage" "$img/bzImage2"
cp "$img/initrd" "$img/initrd2"
head -c 4096 /dev/zero >>"$img/bzImage2"
head -c 512 /dev/zero >>"$img/initrd2"
ksum2=$(sha256sum <"$img/bzImage2" | cut -d' ' -f1)
isum2=$(sha256sum <"$img/initrd2" | cut -d' ' -f1)
settings other "{\"kernel\": \"$img/bzImage2\", \"kernel_sha256\": \"$ksum2\",
	\"initrd\": \"$img/initrd2\", \"initrd_sha256\": \"$isum2\"}"
out=$(KAGE_CONFIG=$base/other.json kage_bounded 300 k run --bundle "$b" c2 2>&1)
rc=$?
check "a container on other files, pinned to their digests, runs (status $rc)" test "$rc" = 0
contains "and prints its output" "$out" "pinned-kernel-ran"
[ "$rc" = 0 ] || diag "$(tail -5 <<<"$out")"

# --- refusals: before the VM, nothing left behind ---
settings embedded "{\"kernel_sha256\": \"$ksum2\"}"
refused "a pin the embedded kernel does not match" embedded c3 "kernel_sha256" \
	"expected $ksum2" "got $ksum"
settings wrong "{\"kernel\": \"$img/bzImage\", \"kernel_sha256\": \"$ksum2\"}"
refused "a kernel file with another digest" wrong c4 "setting kernel_sha256" "$img/bzImage" \
	"expected $ksum2" "got $ksum"
settings wrongi "{\"initrd\": \"$img/initrd2\", \"initrd_sha256\": \"$isum\"}"
refused "an initramfs with another digest" wrongi c5 "setting initrd_sha256" \
	"expected $isum" "got $isum2"
settings missing "{\"kernel\": \"$img/none/bzImage\"}"
refused "a missing kernel" missing c6 "setting kernel" "$img/none/bzImage"
settings missingi "{\"initrd\": \"$img/none.gz\"}"
refused "a missing initramfs" missingi c7 "setting initrd" "$img/none.gz"
settings relative '{"kernel": "img/bzImage"}'
refused "a relative kernel path" relative c8 "kernel: 'img/bzImage' is not an absolute path"
settings short '{"kernel_sha256": "abc123"}'
refused "a digest that is not 64 hex digits" short c9 "kernel_sha256: 'abc123'"

# --- annotations: only where annotations_allowed allows them ---
settings allow "{\"annotations_allowed\": [\"io.kage.kernel\", \"io.kage.kernel_sha256\"]}"
mkbundle "$b" '["true"]' "c['annotations'] = {'io.kage.kernel': '$img/bzImage2',
	'io.kage.kernel_sha256': '$ksum'}"
refused "an allowed annotation's pin that does not match" allow c10 \
	"annotation io.kage.kernel_sha256" "$img/bzImage2" "expected $ksum" "got $ksum2"
mkbundle "$b" '["true"]' "c['annotations'] = {'io.kage.kernel': 'bzImage'}"
refused "an allowed annotation with a relative path" allow c11 \
	"annotation io.kage.kernel: 'bzImage' is not an absolute path"
# Not allowed: ignored with a warning, so the embedded kernel's digest is what a pin sees.
mkbundle "$b" '["true"]' "c['annotations'] = {'io.kage.kernel': '$img/bzImage2'}"
refused "a kernel annotation that is not allowed is ignored" embedded c12 \
	"not in annotations_allowed" "got $ksum"

# --- rootfs_block_sha256: the disk image io.kage.rootfs.block names, hashed at create ---
{ echo "not the pinned image"; head -c 300000 /dev/zero; } >"$base/root.img"
rsum=$(sha256sum <"$base/root.img" | cut -d' ' -f1)
settings block "{\"annotations_allowed\": [\"io.kage.rootfs.block\"],
	\"rootfs_block_sha256\": \"$ksum\"}"
mkbundle "$b" '["true"]' "c['annotations'] = {'io.kage.rootfs.block': '$base/root.img'}"
refused "a rootfs image with another digest" block c13 "setting rootfs_block_sha256" \
	"$base/root.img" "expected $ksum" "got $rsum"

finish
