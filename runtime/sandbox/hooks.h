/*
 * OCI hooks, run on the host as runc runs them: each with the container's state JSON on its
 * stdin, in the order the spec lists them, the first failure (non-zero exit, signal, or its
 * timeout) ending the run with the hook's output in the error.
 */
#ifndef KAGE_RUNTIME_SANDBOX_HOOKS_H
#define KAGE_RUNTIME_SANDBOX_HOOKS_H

#include "../../lib/err.h"
#include "../oci/spec.h"

struct json_object;

int hooks__run(const struct oci_spec *s, enum oci_hook_kind kind, struct json_object *state,
	       struct err **err);

#endif
