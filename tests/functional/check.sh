#!/usr/bin/env bash
# Where the VM tests run (the test host, or a machine with VT-x/AMD-V), `kage check` must find
# the host fit: a hardware-backed /dev/kvm with every capability kage uses, tun, the tc
# modules container networking uses, and cgroups.
. "$(dirname "$0")/../lib.sh"

[ -x "$KAGE" ] || { not_ok "build/kage exists (run make)"; finish; }

out=$("$KAGE" check 2>&1)
rc=$?
verbose=$("$KAGE" check --verbose 2>&1)
diag "kage check --verbose here:"
while IFS= read -r line; do diag "  $line"; done <<<"$verbose"

check "exits 0" test "$rc" = 0
contains "says the host is fit" "$out" "kage check: this host is fit to run kage"
contains "KVM device ok" "$verbose" "[ ok ] KVM device: /dev/kvm is a character device"
contains "KVM access ok" "$verbose" "[ ok ] KVM access: /dev/kvm opens read-write"
contains "KVM API version 12" "$verbose" "[ ok ] KVM API version: KVM_GET_API_VERSION is 12"
contains "every KVM capability present" "$verbose" "[ ok ] KVM capabilities: all present: "
contains "vCPU limits reported" "$verbose" "[ ok ] KVM vCPU limits: NR_VCPUS "
contains "hardware virtualization ok" "$verbose" "[ ok ] hardware virtualization: "
contains "not PVM" "$verbose" "[ ok ] PVM: kvm_pvm is not loaded"
contains "tun opens" "$verbose" "[ ok ] TUN device: /dev/net/tun opens"
contains "the tc modules networking needs are there" "$verbose" "[ ok ] traffic control: sch_ingress "
contains "cgroups usable" "$verbose" "] cgroups: cgroup v"

# Name the module and the nesting from the CPU's own flags.
if grep -qw svm /proc/cpuinfo; then
	contains "AMD-V backed by kvm_amd" "$verbose" "AMD-V (svm), backed by kvm_amd"
elif grep -qw vmx /proc/cpuinfo; then
	contains "VT-x backed by kvm_intel" "$verbose" "VT-x (vmx), backed by kvm_intel"
fi
if grep -qw hypervisor /proc/cpuinfo; then
	contains "says the virtualization is nested" "$verbose" \
		"nested: the hypervisor exposes VT-x/AMD-V"
fi

check "--format json says fit" python3 -c '
import json, sys
o = json.loads(sys.argv[1])
bad = [c for c in o["checks"] if c["result"] not in ("ok", "warn")]
assert o["fit"] is True and not bad, bad
' "$("$KAGE" check --format json)"
finish
