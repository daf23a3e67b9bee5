#!/usr/bin/env bash
# `kage check` judges the machine the build runs on. Every expectation here comes from the
# machine's own facts, read independently of kage (/dev/kvm, kvm_pvm, vmx/svm, tun, cgroups),
# so the test holds on a PVM host, a host without KVM and a fit host alike.
. "$(dirname "$0")/../lib.sh"

[ -x "$KAGE" ] || { not_ok "build/kage exists (run make)"; finish; }
quiet() { "$@" >/dev/null 2>&1; }

out=$("$KAGE" check 2>&1)
rc=$?
verbose=$("$KAGE" check --verbose 2>&1)
json=$("$KAGE" check --format json 2>&1)
diag "kage check --verbose on this machine:"
while IFS= read -r line; do diag "  $line"; done <<<"$verbose"

# Facts that make this host unfit whatever else holds.
bad=()
[ -c /dev/kvm ] || bad+=("no /dev/kvm")
[ -e /sys/module/kvm_pvm ] && bad+=("KVM is PVM")
grep -qwE 'vmx|svm' /proc/cpuinfo || bad+=("no vmx/svm")
[ -e /sys/module/kvm_intel ] || [ -e /sys/module/kvm_amd ] || bad+=("no kvm_intel/kvm_amd")
# Facts a fit host has; the capabilities are left to kage (every kernel since 4.11 has them).
good=1
[ ${#bad[@]} = 0 ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ -c /dev/net/tun ] &&
	[ -r /dev/net/tun ] && [ -w /dev/net/tun ] || good=0
case $(stat -f -c %T /sys/fs/cgroup 2>/dev/null) in
cgroup2fs | tmpfs) ;;
*) good=0 ;;
esac

if [ ${#bad[@]} -gt 0 ]; then
	check "exits 1 on an unfit host ($(IFS=,; echo "${bad[*]}"))" test "$rc" = 1
	contains "says the host is not fit" "$out" "this host is NOT fit to run kage ("
elif [ "$good" = 1 ]; then
	check "exits 0 on a fit host" test "$rc" = 0
	contains "says the host is fit" "$out" "kage check: this host is fit to run kage"
else
	skip "verdict follows the host's facts" "this host's facts are mixed; see the checks below"
fi

# The verdict, the exit status and the problems counted agree with each other.
fails=$(grep -c '^\[FAIL\]' <<<"$verbose")
if [ "$fails" = 0 ]; then
	check "no FAIL: exit 0 and 'fit'" test "$rc" = 0 -a "${out##*$'\n'}" = \
		"kage check: this host is fit to run kage"
else
	contains "verdict counts the $fails FAIL lines" "${out##*$'\n'}" "NOT fit to run kage ($fails problem"
	check "a FAIL exits 1" test "$rc" = 1
fi
check "every FAIL is followed by its fix" python3 -c '
import sys
lines = sys.argv[1].splitlines()
for i, l in enumerate(lines):
    if l.startswith("[FAIL]"):
        assert lines[i + 1].startswith("      fix: ") and len(lines[i + 1]) > 16, lines[i:i + 2]
' "$verbose"
check "the default output lists only FAIL and warn lines" \
	bash -c '! grep -qE "^\[( ok |skip)\]" <<<"$1"' _ "$out"

for name in "KVM device" "KVM access" "KVM API version" "KVM capabilities" "KVM vCPU limits" \
	"hardware virtualization" "PVM" "TUN device" "traffic control" "cgroups" "sandbox jail"; do
	check "--verbose lists '$name'" grep -qE "^\[(FAIL| ok |warn|skip)\] $name: " <<<"$verbose"
done
contains "--verbose gives each thread role's seccomp filter size" "$verbose" \
	"[ ok ] seccomp filters: one per thread role: main "
contains "-v is --verbose" "$("$KAGE" check -v 2>&1)" "] KVM device: "
# The jail probe's child leaves nothing behind it.
check "the jail probe leaves no directory in /tmp" \
	bash -c "! ls -d /tmp/kage-jail-probe.* 2>/dev/null"

if [ -e /sys/module/kvm_pvm ]; then
	contains "names PVM" "$out" "[FAIL] PVM: this host's KVM is PVM (kvm_pvm)"
	contains "explains why PVM cannot run the stock guest kernel" "$out" \
		"kage's stock guest kernel would run in PVM's instruction emulator"
	contains "the PVM fix offers a PVM guest kernel" "$out" "kage vm --kernel"
else
	contains "PVM: ok without kvm_pvm" "$verbose" "[ ok ] PVM: "
fi

if [ ! -e /dev/kvm ]; then
	contains "/dev/kvm check fails" "$out" "[FAIL] KVM device: /dev/kvm: No such file or directory"
	contains "/dev/kvm fix says how to get one" "$out" "fix: load KVM (modprobe kvm_intel or kvm_amd)"
	for name in "KVM access" "KVM API version" "KVM capabilities" "KVM vCPU limits"; do
		contains "'$name' skipped without /dev/kvm" "$verbose" "[skip] $name: skipped: no /dev/kvm"
	done
elif [ -c /dev/kvm ]; then
	contains "/dev/kvm check passes" "$verbose" "[ ok ] KVM device: /dev/kvm is a character device"
fi

if grep -qwE 'vmx|svm' /proc/cpuinfo; then
	check "hardware virtualization not FAIL for lack of vmx/svm" \
		bash -c '! grep -q "neither vmx (VT-x) nor svm" <<<"$1"' _ "$verbose"
else
	contains "hardware virtualization fails without vmx/svm" "$verbose" \
		"[FAIL] hardware virtualization: the CPU flags have neither vmx (VT-x) nor svm (AMD-V)"
fi

# Checks that do not need /dev/kvm still run when it is missing.
if [ -c /dev/net/tun ] && [ -r /dev/net/tun ] && [ -w /dev/net/tun ]; then
	contains "TUN device ok" "$verbose" "[ ok ] TUN device: /dev/net/tun opens"
else
	contains "TUN device fails" "$verbose" "[FAIL] TUN device: "
fi
case $(stat -f -c %T /sys/fs/cgroup 2>/dev/null) in
cgroup2fs) contains "reports cgroup v2" "$verbose" "] cgroups: cgroup v2 (unified); controllers: " ;;
tmpfs)
	# The sandbox applies cgroupsPath on cgroup2 only (runtime/sandbox/cgroup.c).
	contains "warns on cgroup v1" "$verbose" "[warn] cgroups: cgroup v1"
	contains "the v1 warning says a container gets no host cgroup" "$verbose" \
		"a container gets no host cgroup of its own"
	;;
*) contains "cgroups fails" "$verbose" "[FAIL] cgroups: " ;;
esac

# The tc modules networking needs, each placed from the module lists read here.
moddir=/lib/modules/$(uname -r)
tc_state() {
	local re="(^|/)${1//_/[-_]}\.ko"
	if grep -qs "^$1 " /proc/modules; then echo loaded
	elif grep -qsE "$re" "$moddir/modules.builtin" || [ -e "/sys/module/$1" ]; then echo "built in"
	elif grep -qsE "$re[^:]*:" "$moddir/modules.dep"; then echo loadable
	elif [ -r "$moddir/modules.builtin" ] || [ -r "$moddir/modules.dep" ]; then echo "not found"
	else echo unverified; fi
}
tc_detail= tc_result=" ok "
for m in sch_ingress cls_matchall act_mirred; do
	st=$(tc_state "$m")
	tc_detail+="${tc_detail:+, }$m $st"
	case $st in
	unverified) tc_result=warn ;;
	"not found") [ "$tc_result" = warn ] || tc_result=FAIL ;;
	esac
done
diag "tc modules from the lists: $tc_detail"
contains "traffic control: $tc_result, each module placed as the lists say" "$verbose" \
	"[$tc_result] traffic control: $tc_detail"
if [ "$tc_result" != " ok " ]; then
	contains "the traffic control fix names the kernel options" "$verbose" \
		"CONFIG_NET_SCH_INGRESS"
fi

check "--format json matches the text verdict and the exit status" python3 -c '
import json, sys
o = json.loads(sys.argv[1])
rc, verbose = int(sys.argv[2]), sys.argv[3]
assert o["fit"] == (rc == 0), (o["fit"], rc)
names = [l.split("] ", 1)[1].split(":", 1)[0] for l in verbose.splitlines() if l.startswith("[")]
assert [c["name"] for c in o["checks"]] == names, names
for c in o["checks"]:
    assert c["result"] in ("ok", "warn", "fail", "skip"), c
    assert c["detail"], c
    assert (c["fix"] is not None) == (c["result"] in ("fail", "warn")), c
' "$json" "$rc" "$verbose"
expect_status "--format json exits as text does" "$rc" quiet "$KAGE" check --format=json
check "--format json has the traffic control and cgroups checks, as the text says" python3 -c '
import json, sys
o = json.loads(sys.argv[1])
by = {c["name"]: c for c in o["checks"]}
word = {"ok": " ok ", "warn": "warn", "fail": "FAIL", "skip": "skip"}
for name in ("traffic control", "cgroups"):
    c = by[name]
    line = "[%s] %s: %s" % (word[c["result"]], name, c["detail"])
    assert line in sys.argv[2].splitlines(), (line, name)
' "$json" "$verbose"

expect_status "--help exits 0" 0 quiet "$KAGE" check --help
contains "--help prints the usage" "$("$KAGE" check --help)" "Usage: kage check"
contains "kage --help lists check" "$("$KAGE" --help)" "  check "
expect_status "--bogus is an error" 1 quiet "$KAGE" check --bogus
contains "--bogus names the option" "$("$KAGE" check --bogus 2>&1)" "unknown option '--bogus'"
expect_status "a bad --format is an error" 1 quiet "$KAGE" check --format yaml
expect_status "--format needs a value" 1 quiet "$KAGE" check --format
expect_status "an extra argument is an error" 1 quiet "$KAGE" check extra
finish
