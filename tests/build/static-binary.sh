#!/usr/bin/env bash
# build/kage is one static-pie musl binary: position independent (loaded at a random address),
# yet with no interpreter and no shared library; it runs from an empty chroot and carries the
# libraries the build compiled (their versions as the source packages give them).
. "$(dirname "$0")/../lib.sh"

[ -x "$KAGE" ] || { not_ok "build/kage exists (run make)"; finish; }
contains "file(1) says static-pie linked" "$(file -L "$KAGE")" "static-pie linked"
contains "ELF type DYN: position independent" "$(readelf -hW "$KAGE")" "DYN (Position-Independent Executable file)"
# A static-pie keeps a dynamic section for its own relocations, but needs nothing to load it.
check "no interpreter, no shared library needed" \
	bash -c "! readelf -lW '$KAGE' | grep -q INTERP && ! readelf -dW '$KAGE' | grep -q NEEDED"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
cp "$KAGE" "$root/kage"
out=$(chroot "$root" /kage --version 2>&1)
expect_status "runs from an empty chroot" 0 chroot "$root" /kage --version
contains "prints its version inside the chroot" "$out" "kage version"

deps=$(sed -n 's/^DEPS := //p' "$KAGE_REPO/build/deps.mk")
versions=$(cat "$deps/VERSIONS" 2>/dev/null)
seccomp=$(echo "$versions" | tr ' ' '\n' | sed -n 's/^libseccomp=\([0-9.]*\).*/\1/p')
jsonc=$(echo "$versions" | tr ' ' '\n' | sed -n 's/^json-c=\([0-9.]*\)-.*/\1/p')
contains "links the musl-built libseccomp ($seccomp)" "$out" "libseccomp: $seccomp"
contains "links the musl-built json-c ($jsonc)" "$out" "json-c: $jsonc"
for lib in libjson-c.a libseccomp.a libfdt.a libbearssl.a; do
	check "$lib built with musl into the cache" test -s "$deps/lib/$lib"
done
# A glibc-built archive would drag in fortify symbols musl lacks.
check "no glibc fortify symbols in the libraries" \
	bash -c "! nm '$deps'/lib/*.a 2>/dev/null | grep -v __stack_chk_fail | grep -qE ' U __[a-z_]+_chk$'"
finish
