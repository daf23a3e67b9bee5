#!/usr/bin/env bash
# kage's own VMM boots its embedded kernel and initramfs: to the init marker and a clean end,
# with the vCPUs, memory and kernel arguments asked for, and a guest crash is an error.
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vm() { kage_bounded 240 "$KAGE" vm "$@"; }

vm --console >"$tmp/boot" 2>&1
rc=$?
[ "$rc" = 0 ] && ok "boot to the init marker and power off: exit 0" || not_ok "boot exit 0 (got $rc)"
out=$(cat "$tmp/boot")
contains "--console shows the kernel banner" "$out" "Linux version 6.1"
contains "--console shows the init marker" "$out" "kage-init: guest is up"
contains "the guest found the serial port at 0x3f8, IRQ 4" "$out" "ttyS0 at I/O 0x3f8 (irq = 4"
contains "default: one vCPU" "$out" "kage-init: cpus online 1"
mem=$(sed -n 's/.*MemTotal: *\([0-9]*\) kB.*/\1/p' "$tmp/boot")
check "default: about 128 MiB (saw ${mem:-?} kB)" test "${mem:-0}" -gt 100000 -a "${mem:-0}" -le 131072
case "$out" in *"BUG:"* | *"Oops"*) not_ok "no kernel BUG or Oops at boot"; grep -m3 -E 'BUG:|Oops' "$tmp/boot" ;; *) ok "no kernel BUG or Oops at boot" ;; esac

out=$(vm --console --cpus 2 2>&1)
contains "--cpus 2: both vCPUs online in the guest" "$out" "kage-init: cpus online 2 (0-1)"
contains "--cpus 2: the MP table lists both" "$out" "Allowing 2 CPUs"

out=$(vm --console --mem 512 2>&1)
mem=$(echo "$out" | sed -n 's/.*MemTotal: *\([0-9]*\) kB.*/\1/p')
check "--mem 512: the guest sees about 512 MiB (${mem:-?} kB)" test "${mem:-0}" -gt 480000 -a "${mem:-0}" -le 524288

# Above 3 GiB the RAM splits around the 32-bit MMIO hole.
out=$(vm --console --mem 3584 2>&1)
rc=$?
mem=$(echo "$out" | sed -n 's/.*MemTotal: *\([0-9]*\) kB.*/\1/p')
check "--mem 3584 (RAM above 4 GiB) boots, exit 0 (got $rc)" test "$rc" = 0
check "--mem 3584: the guest sees about 3.5 GiB (${mem:-?} kB)" test "${mem:-0}" -gt 3400000 -a "${mem:-0}" -le 3670016

out=$(vm --console --cmdline "kage.test=hello-42" 2>&1)
check "an extra kernel argument is in the guest's /proc/cmdline" \
	grep -q "kage-init: cmdline .*kage.test=hello-42" <<<"$out"

out=$(vm --cmdline "rdinit=/does-not-exist" 2>&1)
rc=$?
check "a guest kernel panic exits non-zero (got $rc)" test "$rc" != 0
contains "and says it panicked, with the panic message" "$out" "the guest kernel panicked: Kernel panic - not syncing"
contains "and shows the console's last output" "$out" "guest console's last output"

# reboot=t makes the guest reset by triple fault.
out=$(vm --cmdline "reboot=t" 2>&1)
rc=$?
check "a triple fault exits non-zero (got $rc)" test "$rc" != 0
contains "and names the triple fault" "$out" "triple fault"

head -c 65536 /dev/zero >"$tmp/zeros"
out=$(vm --kernel "$tmp/zeros" 2>&1)
rc=$?
check "--kernel with a file that is not a bzImage fails (got $rc)" test "$rc" = 1
contains "and says why" "$out" "not a Linux bzImage"
out=$(vm --kernel "$tmp/none" 2>&1)
contains "--kernel with a missing file names it" "$out" "$tmp/none"
finish
