/* What `kage check` looks for on x86 (see arch__kvm_caps in vmm/arch.h). */
#include <linux/kvm.h>
#include <stddef.h>

#include "../../lib/cleanup.h"
#include "../../vmm/arch.h"

#define CAP(name) { KVM_CAP_##name, #name }

/* The in-kernel irqchip with its PIT, the TSS region VT-x needs, CPUID, and the notification
 * paths every device uses (ioeventfd, irqfd). */
static const struct arch_kvm_cap caps[] = {
	CAP(IRQCHIP), CAP(USER_MEMORY), CAP(SET_TSS_ADDR), CAP(EXT_CPUID), CAP(PIT2),
	CAP(IOEVENTFD), CAP(IRQFD), CAP(IMMEDIATE_EXIT), CAP(MP_STATE),
};

static const struct arch_virt_ext exts[] = {
	{ .flag = "vmx", .name = "VT-x", .module = "kvm_intel", .firmware = "Intel VT" },
	{ .flag = "svm", .name = "AMD-V", .module = "kvm_amd", .firmware = "SVM Mode" },
};

const struct arch_kvm_cap *arch__kvm_caps(size_t *n)
{
	*n = ARRAY_SIZE(caps);
	return caps;
}

const struct arch_virt_ext *arch__virt_exts(size_t *n)
{
	*n = ARRAY_SIZE(exts);
	return exts;
}

const char *arch__cpuinfo_features(void)
{
	return "flags";
}
