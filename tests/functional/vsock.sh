#!/usr/bin/env bash
# The userspace virtio-vsock device, end to end: host processes reach guest ports through the
# hybrid Unix socket, data crosses intact both ways under flow control, the guest connects out
# to host Unix sockets, refused ports and bad handshakes are refused, and the VM ends cleanly.
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
"$KAGE" vm --mem 256 --initrd "$KAGE_REPO/build/tests/vsock-echo.cpio.gz" \
	--vsock-socket "$tmp/v.sock" --console >"$tmp/console" 2>&1 &
pid=$!
for _ in $(seq 300); do [ -S "$tmp/v.sock" ] && break; sleep 0.1; done
python3 "$KAGE_REPO/tests/helpers/vsock_check.py" "$tmp/v.sock"
for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
wait $pid
rc=$?
[ "$rc" = 0 ] && ok "the guest powered off and kage exited 0" || not_ok "kage exit status $rc"
[ "$rc" = 0 ] || tail -20 "$tmp/console"
check "the Unix socket is removed when the VM ends" test ! -e "$tmp/v.sock"
finish
