/* A container's place in a pod, from its annotations (see pod.h). */
#include "pod.h"

#include <string.h>

#include "../oci/spec.h"

static const char *annotation(const struct oci_spec *s, const char *key)
{
	for (size_t i = 0; i < s->n_annotations; i++)
		if (!strcmp(s->annotations[i].key, key))
			return s->annotations[i].value;
	return NULL;
}

/* One CRI's pair of annotations: its container type and its sandbox's id. */
static int cri_role(const struct oci_spec *s, const char *type_key, const char *sandbox_key,
		    struct pod_ref *out, struct err **err)
{
	const char *type = annotation(s, type_key), *sandbox = annotation(s, sandbox_key);

	out->role = POD_ALONE;
	out->sandbox_id = NULL;
	if (!type)
		return 0;
	if (!strcmp(type, "sandbox")) {
		out->role = POD_SANDBOX;
		return 0;
	}
	if (strcmp(type, "container"))
		return err_msg(err, "annotation %s: '%s' is neither 'sandbox' nor 'container'",
			       type_key, type);
	if (!sandbox || !*sandbox)
		return err_msg(err, "annotation %s is 'container' but %s does not name its sandbox",
			       type_key, sandbox_key);
	out->role = POD_MEMBER;
	out->sandbox_id = sandbox;
	return 0;
}

static bool same(const struct pod_ref *a, const struct pod_ref *b)
{
	return a->role == b->role &&
	       (a->role != POD_MEMBER || !strcmp(a->sandbox_id, b->sandbox_id));
}

int pod__role(const struct oci_spec *s, const char *id, struct pod_ref *out, struct err **err)
{
	struct pod_ref containerd, crio, kage = { .role = POD_ALONE };
	const char *own = annotation(s, POD_ANN_KAGE_SANDBOX);

	*out = (struct pod_ref){ .role = POD_ALONE };
	if (cri_role(s, POD_ANN_CRI_TYPE, POD_ANN_CRI_SANDBOX, &containerd, err) < 0 ||
	    cri_role(s, POD_ANN_CRIO_TYPE, POD_ANN_CRIO_SANDBOX, &crio, err) < 0)
		return -1;
	if (own) {
		if (!*own)
			return err_msg(err, "annotation " POD_ANN_KAGE_SANDBOX " is empty");
		kage.role = strcmp(own, id) ? POD_MEMBER : POD_SANDBOX;
		kage.sandbox_id = kage.role == POD_MEMBER ? own : NULL;
	}
	/* Each that is there must agree with the others: a CRI's are set by the CRI itself,
	 * so an annotation a pod's author passed through cannot move it into another pod. */
	const struct pod_ref *given[] = { &containerd, &crio, &kage };
	const char *names[] = { POD_ANN_CRI_TYPE, POD_ANN_CRIO_TYPE, POD_ANN_KAGE_SANDBOX };

	for (size_t i = 0; i < 3; i++) {
		if (given[i]->role == POD_ALONE)
			continue;
		if (out->role != POD_ALONE && !same(out, given[i]))
			return err_msg(err, "annotation %s disagrees with the pod the other "
				       "annotations name", names[i]);
		*out = *given[i];
	}
	if (out->role == POD_MEMBER && !strcmp(out->sandbox_id, id))
		return err_msg(err, "container %s names itself as the sandbox of its pod", id);
	return 0;
}
