// sources: guest/agent/proc/spec.c guest/agent/container/devcgroup.c guest/agent/req.c guest/agent/proc/caps.c guest/agent/proc/scfilter.c guest/agent/container/ns.c guest/agent/mount/mount_op.c guest/agent/mount/unmount_op.c guest/agent/mount/mount_opts.c guest/agent/mount/resolve.c guest/agent/mount/rootfs.c guest/agent/container/settings.c guest/agent/mount/mounts.c lib/wire/frame.c lib/err.c lib/log.c lib/io.c
// libs: -ljson-c -lseccomp
/*
 * The guest agent's request checks fed what a hostile host could send: one frame body is
 * parsed as the agent does (frame__parse) and handed to the parsing layer of the create and
 * mount ops, spec__parse() and mount_op__mount() in check-only mode (apply false), and
 * the unmount op's mount_op__unmount() likewise. The ops'
 * handlers themselves fork, mount and write, so they stay out; everything they would act on
 * comes from these two. What is accepted must hold the promises the spawner and the mount
 * code rely on; a refusal must carry a message. The request's "options" words also go
 * straight through mount_opts__parse.
 */
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "guest/agent/mount/mount_op.h"
#include "guest/agent/mount/mount_opts.h"
#include "guest/agent/proc/spec.h"
#include "lib/err.h"
#include "lib/wire/frame.h"
#include "lib/log.h"
#include "fuzz.h"

/* The checks resolve__check_path applies: absolute, no ".." component. */
static void check_path(const char *p)
{
	size_t n = strlen(p);

	ASSERT(p[0] == '/');
	ASSERT(!strstr(p, "/../") && strcmp(p + (n >= 3 ? n - 3 : 0), "/.."));
}

static void check_spec(const struct proc_spec *s)
{
	ASSERT(s->argv && s->argv[0] && s->envp);
	for (char **e = s->envp; *e; e++)
		ASSERT(strchr(*e, '=') && **e != '=');
	ASSERT(!s->cwd || s->cwd[0] == '/');
	ASSERT(!s->root || s->root[0] == '/');
	/* (uid_t)-1 would mean "leave unchanged" to setresuid: never a target. */
	ASSERT(!s->set_user || (s->uid != (uid_t)-1 && s->gid != (gid_t)-1));
	ASSERT(!s->ngids || s->gids);
	for (size_t i = 0; i < s->ngids; i++)
		ASSERT(s->gids[i] != (gid_t)-1);
	for (size_t i = 0; i < s->nrlimits; i++)
		ASSERT(s->rlimits[i].resource >= 0 &&
		       s->rlimits[i].lim.rlim_cur <= s->rlimits[i].lim.rlim_max);
	ASSERT(!s->set_oom || (s->oom_score_adj >= -1000 && s->oom_score_adj <= 1000));
	ASSERT(!s->set_umask || s->umask <= 0777);
	/* Namespaces: a mount namespace with any, only for an init that has a root. */
	ASSERT(!s->ns_new || ((s->ns_new & CLONE_NEWNS) && s->init && s->root));
	for (char **p = s->masked; p && *p; p++)
		check_path(*p);
	for (char **p = s->readonly; p && *p; p++)
		check_path(*p);
	ASSERT(!((s->masked && *s->masked) || (s->readonly && *s->readonly)) || s->ns_new);
}

static void check_opts(struct json_object *req)
{
	struct json_object *v;
	struct mount_opts o;
	struct err *err = NULL;
	char **words;
	size_t n;

	if (!json_object_object_get_ex(req, "options", &v) ||
	    !json_object_is_type(v, json_type_array))
		return;
	n = json_object_array_length(v);
	words = calloc(n + 1, sizeof(*words));
	if (!words)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct json_object *w = json_object_array_get_idx(v, i);

		words[i] = (char *)(json_object_is_type(w, json_type_string) ?
				    json_object_get_string(w) : "");
	}
	if (mount_opts__parse(words, &o, &err) == 0) {
		ASSERT(o.npropagation <= MOUNT_MAX_PROPAGATION);
		ASSERT(memchr(o.data, 0, sizeof(o.data)));
		ASSERT(!(o.rro && o.rrw));
	} else {
		ASSERT(err && err->msg);
		err_free(&err);
	}
	free(words);
}

/* A mount or unmount check's answer ret: a refusal with a message, or a target it may act on
 * (not the root itself when not_root). */
static void check_target(struct json_object *req, int ret, struct err **err, bool not_root)
{
	const char *target;

	if (ret < 0) {
		ASSERT(*err && (*err)->msg && (*err)->msg[0]);
		err_free(err);
		return;
	}
	target = json_object_get_string(json_object_object_get(req, "target"));
	ASSERT(!*err && target);
	check_path(target);
	ASSERT(!not_root || strspn(target, "/") < strlen(target));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	struct json_object *req = NULL;
	struct proc_spec spec;
	struct err *err = NULL;

	if (!quiet++)
		log__set_level(LOG_ERROR);
	if (size == 0 || frame__parse((const char *)data, size, &req, &err) < 0) {
		err_free(&err);
		return 0;
	}
	if (spec__parse(req, &spec, &err) == 0) {
		ASSERT(!err);
		check_spec(&spec);
	} else {
		ASSERT(err && err->msg && err->msg[0]);
		err_free(&err);
	}
	spec__free(&spec);

	check_target(req, mount_op__mount(req, false, &err), &err, false);
	/* never the guest's root for unmount: that would take every mount of the VM */
	check_target(req, mount_op__unmount(req, false, &err), &err, true);
	check_opts(req);
	json_object_put(req);
	return 0;
}
