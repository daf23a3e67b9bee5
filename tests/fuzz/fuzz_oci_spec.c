// sources: runtime/oci/spec.c runtime/oci/spec_json.c runtime/oci/spec_process.c runtime/oci/spec_linux.c runtime/oci/spec_seccomp.c lib/wire/json.c lib/file.c lib/err.c lib/wire/frame.c lib/log.c lib/io.c
// libs: -ljson-c
/*
 * config.json parsing fed arbitrary bytes: it must never crash or leak, and a spec it accepts
 * must hold every promise runtime/oci/spec.h makes about the fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "runtime/oci/spec.h"
#include "fuzz.h"

static void check_strv(const struct oci_strv *v)
{
	if (v->v && v->v[v->n])
		abort();	/* not NULL-terminated */
	if (!v->v && v->n)
		abort();
}

static void check_linux(const struct oci_linux *l)
{
	unsigned int seen = 0;

	for (size_t i = 0; i < l->n_namespaces; i++) {
		unsigned int t = l->namespaces[i].type;

		if (t >= OCI_NS_NTYPES || (seen & (1u << t)))
			abort();
		seen |= 1u << t;
		if (l->namespaces[i].path && l->namespaces[i].path[0] != '/')
			abort();
	}
	for (size_t i = 0; i < l->n_uid_mappings; i++)
		if (l->uid_mappings[i].size == 0)
			abort();
	for (size_t i = 0; i < l->n_devices; i++)
		if (l->devices[i].path[0] != '/' || !strchr("cbup", l->devices[i].type))
			abort();
	for (size_t i = 0; i < l->resources.n_devices; i++) {
		const char *a = l->resources.devices[i].access;

		if (!a[0] || strspn(a, "rwm") != strlen(a))
			abort();
	}
	check_strv(&l->masked_paths);
	check_strv(&l->readonly_paths);
	for (size_t i = 0; i < l->masked_paths.n; i++)
		if (l->masked_paths.v[i][0] != '/')
			abort();
	if (l->seccomp) {
		for (size_t i = 0; i < l->seccomp->n_syscalls; i++) {
			const struct oci_seccomp_syscall *sc = &l->seccomp->syscalls[i];

			check_strv(&sc->names);
			if (sc->names.n == 0)
				abort();
			for (size_t j = 0; j < sc->n_args; j++)
				if (sc->args[j].index > 5 ||
				    sc->args[j].op > OCI_SCMP_CMP_MASKED_EQ)
					abort();
		}
	}
}

static int ends_with_dots(const char *p)
{
	size_t n = strlen(p);

	return (n >= 2 && !strcmp(p + n - 2, "/.")) || (n >= 3 && !strcmp(p + n - 3, "/.."));
}

static void check_spec(struct oci_spec *s)
{
	const struct oci_process *p = &s->process;

	check_strv(&p->args);
	check_strv(&p->env);
	if (p->args.n == 0 || !p->args.v[0][0] || p->cwd[0] != '/' || !s->root.path[0])
		abort();
	for (size_t i = 0; i < p->env.n; i++)
		if (!strchr(p->env.v[i], '=') || p->env.v[i][0] == '=')
			abort();
	for (int set = 0; set < OCI_CAP_NSETS; set++)
		if (p->caps[set] >> 41)
			abort();
	for (size_t i = 0; i < p->n_rlimits; i++)
		if (p->rlimits[i].soft > p->rlimits[i].hard)
			abort();
	if (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
		abort();
	if (p->user.uid == UINT32_MAX || p->user.gid == UINT32_MAX)
		abort();
	for (size_t i = 0; i < s->n_mounts; i++) {
		if (s->mounts[i].destination[0] != '/')
			abort();
		check_strv(&s->mounts[i].options);
	}
	for (int k = 0; k < OCI_HOOK_NKINDS; k++)
		for (size_t i = 0; i < s->hooks[k].n; i++)
			if (s->hooks[k].v[i].path[0] != '/' || s->hooks[k].v[i].timeout < 0)
				abort();
	check_linux(&s->linux_);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_spec *s = NULL;
	struct err *err = NULL;
	/* A copy of exactly size bytes, so ASan sees any read past the end. */
	char *text = malloc(size ? size : 1);

	memcpy(text, data, size);
	if (oci_spec__parse(text, size, &s, &err) == 0) {
		if (!s || err)
			abort();
		check_spec(s);
		/* Resolution against a bundle leaves a clean absolute root path. */
		if (oci_spec__resolve(s, "/bundle/./x", &err) < 0 || s->root.path[0] != '/' ||
		    strstr(s->root.path, "//") || strstr(s->root.path, "/./") ||
		    strstr(s->root.path, "/../") || ends_with_dots(s->root.path))
			abort();
	} else if (s || !err || !err->msg || strncmp(err->msg, "config.json: ", 13)) {
		abort();	/* a failure must leave no spec and say what is wrong */
	}
	oci_spec__free(s);
	err_free(&err);
	free(text);
	return 0;
}
