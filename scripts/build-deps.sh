#!/usr/bin/env bash
# Builds the four libraries kage links (json-c, libseccomp, BearSSL, libfdt) with musl-gcc and
# prints the prefix holding include/ and lib/. Debian's own static archives are built against
# glibc (with _FORTIFY_SOURCE) and do not link with musl, so we rebuild them from Debian's
# source packages and, for libfdt, from the kernel tree. Cached outside the repository, keyed
# by this script and the source versions.
set -euo pipefail

CACHE=${KAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kage}
SRC_PKGS=(json-c libseccomp bearssl)
KSRC=/usr/src/linux-source-6.1.tar.xz

log() { echo "build-deps: $*" >&2; }

src_version() {
	apt-cache showsrc "$1" 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -V | tail -1
}

versions=""
for p in "${SRC_PKGS[@]}"; do
	v=$(src_version "$p")
	if [ -z "$v" ]; then
		log "no source package '$p' known to apt: run 'make setup' (it adds a deb-src entry)"
		exit 1
	fi
	versions+="$p=$v "
done
versions+="linux-source-6.1=$(dpkg-query -W -f='${Version}' linux-source-6.1)"
key=$( (cat "$0"; echo "$versions") | sha256sum | cut -c1-16)
prefix=$CACHE/deps/$key

mkdir -p "$CACHE/deps"
exec 9>"$CACHE/deps/.lock"
flock 9
if [ -f "$prefix/.done" ]; then
	echo "$prefix"
	exit 0
fi

t0=$SECONDS
tmp=$(mktemp -d "$CACHE/deps/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
mkdir -p "$out/include" "$out/lib" "$out/kinc"
buildlog=$tmp/build.log
run() {
	if ! "$@" >>"$buildlog" 2>&1; then
		tail -40 "$buildlog" >&2
		log "failed: $*"
		exit 1
	fi
}

# musl-gcc ships no Linux UAPI headers: give it links to just those, never /usr/include itself
# (glibc's headers would be picked up and break the build).
multiarch=$(gcc -print-multiarch)
ln -s /usr/include/linux "$out/kinc/linux"
ln -s /usr/include/asm-generic "$out/kinc/asm-generic"
ln -s /usr/include/video "$out/kinc/video"	# asm/bootparam.h includes video/edid.h
ln -s "/usr/include/$multiarch/asm" "$out/kinc/asm"
KINC="-isystem $out/kinc"
CFLAGS_DEPS="-O2 -g -fno-omit-frame-pointer -ffunction-sections -fdata-sections"

log "fetching sources: $versions"
(cd "$tmp" && run apt-get source -qq "${SRC_PKGS[@]}")

log "json-c"
src=$(find "$tmp" -maxdepth 1 -type d -name 'json-c-*' | head -1)
run cmake -S "$src" -B "$tmp/json-c-build" -DCMAKE_C_COMPILER=musl-gcc \
	-DCMAKE_C_FLAGS="$CFLAGS_DEPS $KINC" -DCMAKE_BUILD_TYPE=Release \
	-DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF -DBUILD_APPS=OFF \
	-DDISABLE_EXTRA_LIBS=ON -DDISABLE_WERROR=ON -DCMAKE_INSTALL_PREFIX="$out" \
	-DCMAKE_INSTALL_LIBDIR=lib
run cmake --build "$tmp/json-c-build" -j"$(nproc)"
run cmake --install "$tmp/json-c-build"

log "libseccomp"
src=$(find "$tmp" -maxdepth 1 -type d -name 'libseccomp-*' | head -1)
(cd "$src" && run ./configure CC=musl-gcc CFLAGS="$CFLAGS_DEPS $KINC" --prefix="$out" \
	--enable-static --disable-shared --disable-python)
run make -C "$src/src" -j"$(nproc)" libseccomp.la
run make -C "$src/src" install-libLTLIBRARIES
run make -C "$src/include" install

log "BearSSL"
src=$(find "$tmp" -maxdepth 1 -type d -name 'bearssl-*' | head -1)
run make -C "$src" -j"$(nproc)" CC=musl-gcc LD=musl-gcc LDDLL=musl-gcc \
	CFLAGS="$CFLAGS_DEPS -fPIC" DLL=no TOOLS=no TESTS=no lib
cp "$src"/build/libbearssl.a "$out/lib/"
cp "$src"/inc/*.h "$out/include/"

log "libfdt (from the kernel tree)"
tar -xJf "$KSRC" -C "$tmp" --wildcards 'linux-source-6.1/scripts/dtc/libfdt/*'
fdt=$tmp/linux-source-6.1/scripts/dtc/libfdt
mkdir -p "$tmp/fdt-obj"
for c in "$fdt"/*.c; do
	run musl-gcc $CFLAGS_DEPS -I"$fdt" -c "$c" -o "$tmp/fdt-obj/$(basename "${c%.c}").o"
done
run ar rcs "$out/lib/libfdt.a" "$tmp"/fdt-obj/*.o
cp "$fdt"/libfdt.h "$fdt"/fdt.h "$fdt"/libfdt_env.h "$out/include/"

echo "$versions" >"$out/VERSIONS"
touch "$out/.done"
find "$CACHE/deps" -mindepth 1 -maxdepth 1 -name '[0-9a-f]*' -not -name "$key" -exec rm -rf {} +
# The kinc links are absolute, so the prefix can move as a whole.
mv "$out" "$prefix"
log "built in $((SECONDS - t0)) s into $prefix"
echo "$prefix"
