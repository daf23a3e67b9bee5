#!/usr/bin/env bash
# `kage vm` rejects bad options with a clear message and exit 1, before touching KVM.
. "$(dirname "$0")/../lib.sh"

bad() {
	local name=$1 want=$2 out rc
	shift 2
	out=$("$KAGE" vm "$@" 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && [[ "$out" == *"$want"* ]]; then
		ok "$name"
	else
		not_ok "$name (status $rc)"
		diag "$out"
	fi
}

bad "--cpus 0" "not a vCPU count" --cpus 0
bad "--cpus -1" "not a vCPU count" --cpus -1
bad "--cpus abc" "not a vCPU count" --cpus abc
bad "--cpus 1000" "at most" --cpus 1000
bad "--mem 0" "too little" --mem 0
bad "--mem 16" "too little" --mem 16
bad "--mem beyond the host" "more than this host's" --mem 100000G
bad "--mem with a bad unit" "unknown unit" --mem 12T
bad "--mem not a number" "not a size" --mem lots
bad "unknown option" "unknown option '--frob'" --frob
bad "stray argument" "unexpected argument 'extra'" extra
bad "--kernel missing file" "/nonexistent/bzImage" --kernel /nonexistent/bzImage
bad "--initrd missing file" "/nonexistent/initrd" --initrd /nonexistent/initrd
bad "--share without a guest path" "not HOSTDIR:/GUESTPATH" run --share /tmp -- true
bad "--share with a relative guest path" "not HOSTDIR:/GUESTPATH" run --share /tmp:mnt -- true
bad "--share with an unknown cache mode" "not cache=none, auto or always" \
	run --share /tmp:/mnt:cache=sometimes -- true
bad "--share of a missing directory" "/nonexistent/dir" run --share /nonexistent/dir:/mnt -- true
bad "--share without run needs an --initrd of one's own" "needs the agent (kage vm run) or an --initrd" \
	--share /tmp:/mnt
bad "--tap with an empty name" "--tap: no tap name given" --tap ""
bad "--disk with an empty path" "not PATH[:ro]" --disk :ro
bad "--disk of a missing file" "/nonexistent/disk.img" --disk /nonexistent/disk.img
contains "vm --help" "$("$KAGE" vm --help)" "Usage: kage vm"
check "the kernel and initramfs are embedded (binary over 1 MiB)" test "$(stat -c %s "$KAGE")" -gt 1048576

if [ ! -e /dev/kvm ]; then
	bad "no /dev/kvm: points at kage check" "kage check" --mem 64
fi
finish
