#!/usr/bin/env bash
# `kage vm` with an initramfs of one's own (no agent): its init mounts the --share tags and
# addresses the --tap card itself, as bench/lib/vmpeer.py's guests do; and the bad input around
# them fails before a VM, naming the option, with no tap left behind.
. "$(dirname "$0")/../lib.sh"

base=$(mktemp -d /var/tmp/kage-own-init.XXXXXX)
tap=kage-tvm0
trap 'ip link del "$tap" 2>/dev/null; rm -rf "$base"' EXIT
mkdir -p "$base/root/bin" "$base/share"
cp /bin/busybox "$base/root/bin/busybox"
cat >"$base/root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /data
mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev
mount -t virtiofs share0 /data && echo from-guest >/data/out && echo MOUNT-OK
ip link set eth0 up && ip addr add 10.78.0.2/24 dev eth0 && ping -c 1 -W 20 10.78.0.1 >/dev/null &&
	echo PING-OK
echo "MAC $(cat /sys/class/net/eth0/address)"
sync
reboot -f
EOF
chmod +x "$base/root/init"
(cd "$base/root" && find . | busybox cpio -o -H newc 2>/dev/null) >"$base/initrd.cpio"

ip tuntap add dev "$tap" mode tap && ip addr add 10.78.0.1/24 dev "$tap" && ip link set "$tap" up
out=$(kage_bounded 300 "$KAGE" vm --console --mem 256 --initrd "$base/initrd.cpio" \
	--share "$base/share:/data" --tap "$tap" 2>&1)
rc=$?
check "the guest rebooted and kage exited 0" test "$rc" = 0
contains "its init mounted tag share0" "$out" "MOUNT-OK"
check "what it wrote there is on the host" grep -qx from-guest "$base/share/out"
contains "it reached the host across the tap" "$out" "PING-OK"
mac=$(sed -n 's/^MAC \([0-9a-f:]*\).*/\1/p' <<<"$out" | tr -d '\r')
first=$((16#${mac%%:*}))
check "the card's MAC ($mac) is unicast and locally administered" test $((first & 3)) = 2

# Bad input: each refused before a VM, naming what was wrong.
out=$("$KAGE" vm --share "$base/share:/data" 2>&1)
check "--share without --initrd or run is refused" test $? = 1
contains "... saying what it needs" "$out" "--share needs the agent (kage vm run) or an --initrd"
out=$("$KAGE" vm --tap kage-name-far-too-long 2>&1)
contains "a tap name longer than 15 characters names --tap" "$out" "--tap: tap 'kage-name-far-too-long'"
out=$("$KAGE" vm --tap kage-tvm1 --tap kage-tvm2 2>&1)
contains "a second --tap is refused" "$out" "--tap: one network card at most"
check "... and the first tap it had made is gone" sh -c '! ip link show kage-tvm1 2>/dev/null'
out=$(KAGE_IRQ_RESEND=maybe "$KAGE" vm --initrd "$base/initrd.cpio" --tap kage-tvm1 2>&1)
contains "a bad KAGE_IRQ_RESEND is named" "$out" "KAGE_IRQ_RESEND: unknown value 'maybe' (one of off, on)"
check "... and the tap it had made is gone" sh -c '! ip link show kage-tvm1 2>/dev/null'
finish
