# Sourced by tests/run and the benchmarks: testhost_reason prints why this machine's KVM
# cannot run a stock guest (so VMs go inside the test host), or nothing when it can.
testhost_reason() {
	if [ "${KAGE_TESTHOST:-0}" = 1 ]; then
		echo "KAGE_TESTHOST=1"
	elif [ -e /sys/module/kvm_pvm ]; then
		echo "this machine's KVM is PVM (kvm_pvm), which runs only PVM guest kernels"
	elif [ ! -c /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "no usable /dev/kvm here"
	elif ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
		echo "no hardware virtualization (vmx/svm) here"
	fi
}
