#!/usr/bin/env bash
# Builds the guest kernel (bzImage, vmlinux, config) into a cache outside the repo and prints its path.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
ROOT=$(dirname "$(dirname "$SELF")")
FRAG=$ROOT/guest/kernel/x86_64.config
KSRC=/usr/src/linux-source-6.1.tar.xz
CACHE=$(realpath -m "${KAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kage}")
KDIR=$CACHE/kernel

log() { echo "build-kernel: $*" >&2; }

if [ ! -f "$KSRC" ] || ! kver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null); then
	log "linux-source-6.1 is not installed: run 'make setup'"
	exit 1
fi
key=$( (cat "$FRAG" "$SELF"; echo "linux-source-6.1=$kver") | sha256sum | cut -c1-16)
out=$KDIR/$key

# A result directory only ever appears by rename, so if it exists it is complete and needs no lock.
if [ -f "$out/bzImage" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$KDIR"
exec 9>"$KDIR/.lock"
flock 9
if [ -f "$out/bzImage" ]; then
	echo "$out"
	exit 0
fi

# Holding the lock means no other build is running, so leftovers are from interrupted builds.
rm -rf "$KDIR"/.build.*
tmp=$(mktemp -d "$KDIR/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
buildlog=$tmp/build.log
src=$tmp/linux-source-6.1
t0=$SECONDS

step() {
	if ! "$@" >>"$buildlog" 2>&1; then
		log "failed: $*"
		log "last 40 lines of the build log (kept in $KDIR/failed.log):"
		tail -n 40 "$buildlog" >&2
		cp "$buildlog" "$KDIR/failed.log"
		exit 1
	fi
}

# Every CONFIG_ line of the fragment must survive verbatim: olddefconfig silently drops symbols
# whose dependencies are unmet, and silently re-enables defaults the fragment switched off.
verify_config() {
	local bad
	bad=$(awk '
		NR == FNR {
			if ($0 ~ /^CONFIG_[A-Za-z0-9_]+=/) { want[$0] = 1 }
			else if ($0 ~ /^# CONFIG_[A-Za-z0-9_]+ is not set$/) { off[$2] = 1 }
			next
		}
		/^CONFIG_/ { have[$0] = 1; split($0, kv, "="); on[kv[1]] = $0 }
		END {
			for (l in want) if (!(l in have)) {
				split(l, kv, "=")
				printf "  wanted %s, got %s\n", l, (kv[1] in on) ? on[kv[1]] : "unset"
			}
			for (s in off) if (s in on) printf "  wanted %s off, got %s\n", s, on[s]
		}' "$FRAG" "$src/.config" | sort)
	if [ -n "$bad" ]; then
		log "the final .config does not match $FRAG (unmet dependencies or a default turned back on):"
		echo "$bad" >&2
		cp "$src/.config" "$KDIR/failed.config"
		log "the final .config is kept in $KDIR/failed.config"
		exit 1
	fi
}

log "building kernel $kver ($key) in $tmp, log in $buildlog"
step tar -xf "$KSRC" -C "$tmp"
kmake() { make -C "$src" ARCH=x86_64 KBUILD_BUILD_USER=kage KBUILD_BUILD_HOST=kage "$@"; }
step kmake tinyconfig
# merge_config.sh resolves its output relative to the working directory.
step bash -c 'cd "$1" && scripts/kconfig/merge_config.sh -m .config "$2"' _ "$src" "$FRAG"
step kmake olddefconfig
verify_config
log "config verified, compiling bzImage with $(nproc) jobs"
step kmake -j"$(nproc)" bzImage

mkdir "$tmp/out"
cp "$src/arch/x86/boot/bzImage" "$src/vmlinux" "$tmp/out/"
cp "$src/.config" "$tmp/out/config"
rm -rf "$src"
mv -T "$tmp/out" "$out"
rm -f "$KDIR/failed.log" "$KDIR/failed.config"

# Only the current key is ever used again; older ones are dead weight of several MiB each.
for d in "$KDIR"/*; do
	if [ -d "$d" ] && [ "$d" != "$out" ]; then
		case ${d##*/} in
		[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f])
			log "pruning old build ${d##*/}"
			rm -rf "$d"
			;;
		esac
	fi
done

log "done in $((SECONDS - t0))s: bzImage $(stat -c %s "$out/bzImage") bytes"
echo "$out"
