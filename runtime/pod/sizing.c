/*
 * A pod's VM is sized for the whole pod when it boots: containerd's CRI tells the sandbox
 * what its containers will ask for in all (the sums kubelet passes since Kubernetes 1.23),
 * and those come on top of the sandbox's own size, as Kata sizes a pod's VM. A member's
 * limits apply to its cgroup in the guest; the VM does not grow later.
 */
#include "pod.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/log.h"
#include "../oci/settings.h"
#include "../oci/spec.h"
#include "../plan/sizing.h"

#define POD_ANN_MEMORY "io.kubernetes.cri.sandbox-memory"
#define POD_ANN_CPU_QUOTA "io.kubernetes.cri.sandbox-cpu-quota"
#define POD_ANN_CPU_PERIOD "io.kubernetes.cri.sandbox-cpu-period"

/* The annotation key's value as a count (0 when absent), refused naming it otherwise. */
static int number(const struct oci_spec *s, const char *key, uint64_t *out, struct err **err)
{
	*out = 0;
	for (size_t i = 0; i < s->n_annotations; i++) {
		const char *v = s->annotations[i].value;
		char *end;

		if (strcmp(s->annotations[i].key, key))
			continue;
		/* kubelet writes -1 or 0 for "no limit" */
		if (!strcmp(v, "-1"))
			return 0;
		errno = 0;
		*out = strtoull(v, &end, 10);
		/* digits only, and small enough that the sums below cannot wrap */
		if (!isdigit((unsigned char)*v) || *end || errno || *out > (UINT64_MAX >> 2))
			return err_msg(err, "annotation %s: '%s' is not a number", key, v);
	}
	return 0;
}

static unsigned int up_to(uint64_t v, unsigned int max, const char *what)
{
	if (v <= max)
		return (unsigned int)v;
	pr_warn("the pod's %s asks for %" PRIu64 ", more than the configured maximum %u: using %u",
		what, v, max, max);
	return max;
}

int pod__size(const struct oci_spec *s, const struct kage_config *c,
	      struct sandbox_settings *out, struct err **err)
{
	uint64_t mem, quota, period;

	if (number(s, POD_ANN_MEMORY, &mem, err) < 0 ||
	    number(s, POD_ANN_CPU_QUOTA, &quota, err) < 0 ||
	    number(s, POD_ANN_CPU_PERIOD, &period, err) < 0)
		return -1;
	if (mem)
		out->memory_mib = up_to((uint64_t)out->memory_mib + ((mem + (1u << 20) - 1) >> 20),
					c->max_memory_mib, "memory (MiB, with the sandbox's own)");
	if (quota && period) {
		uint64_t cpus = (quota + period - 1) / period;

		if (cpus > out->vcpus)
			out->vcpus = up_to(cpus, c->max_vcpus, "CPU (vCPUs)");
	}
	return 0;
}
