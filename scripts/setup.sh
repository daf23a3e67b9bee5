#!/usr/bin/env bash
# Installs every Debian package that building and testing kage needs, idempotently.
# Also adds a deb-src entry derived from the machine's own apt sources, because the static
# libraries are rebuilt with musl-gcc from Debian's source packages.
set -euo pipefail

PKGS=(
	# toolchain: musl for the static binary, clang for sanitizers and libFuzzer
	build-essential musl-tools clang llvm libclang-rt-14-dev pkg-config file
	# sanitizer builds of the unit tests link against glibc and these
	libjson-c-dev libseccomp-dev
	# building json-c, libseccomp, BearSSL from source packages
	dpkg-dev cmake gperf autoconf automake libtool xz-utils
	# the guest kernel (linux-source-6.1 also provides libfdt)
	linux-source-6.1 bc bison flex libelf-dev libssl-dev cpio kmod
	# the nested test host
	qemu-system-x86 qemu-utils mmdebstrap e2fsprogs busybox-static
	# test tools
	git python3 procps util-linux iproute2
)

if [ "$(id -u)" != 0 ]; then
	echo "setup: must run as root (it installs packages)" >&2
	exit 1
fi

# deb-src entries: derived from the machine's own configuration, never a hard-coded address.
SRC=/etc/apt/sources.list.d/kage-deb-src.sources
src_changed=0
if [ ! -f "$SRC" ]; then
	tmp=$(mktemp)
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$tmp"
	elif [ -f /etc/apt/sources.list ]; then
		# one-line format: turn each "deb URI SUITE COMPONENTS" into a deb822 stanza
		awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i+1);
			for (j = i + 2; j <= NF; j++) printf " %s", $j; printf "\n\n" }' \
			/etc/apt/sources.list >"$tmp"
	fi
	if [ ! -s "$tmp" ]; then
		echo "setup: found no Debian apt source to derive deb-src entries from" >&2
		rm -f "$tmp"
		exit 1
	fi
	install -m 0644 "$tmp" "$SRC"
	rm -f "$tmp"
	src_changed=1
fi

missing=()
for p in "${PKGS[@]}"; do
	case "$p" in \#*) continue ;; esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

# apt-get source needs the deb-src lists even when every package is present.
if [ "$src_changed" = 1 ] || [ "${#missing[@]}" -gt 0 ] || \
   ! ls /var/lib/apt/lists/*_source_Sources* >/dev/null 2>&1; then
	apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "setup: all build and test packages present"
