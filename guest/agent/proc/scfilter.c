/* Builds and loads a container process's seccomp filter; see scfilter.h. */
#include "scfilter.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../req.h"

#define MAX_RULES 4096	/* Docker's default profile has under 100 */
#define MAX_NAMES 1024
#define MAX_ARGS 6

static void release_ctx(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* An action word and its errno (EPERM unless given, as runc) as libseccomp's action. */
static int action(const char *word, struct json_object *o, const char *errno_key, uint32_t *out,
		  struct err **err)
{
	int64_t e = EPERM;

	if (req__int(o, errno_key, false, 0, 4095, &e, err) < 0)
		return -1;
	if (!strcmp(word, "allow"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(word, "errno"))
		*out = SCMP_ACT_ERRNO((uint16_t)e);
	else if (!strcmp(word, "trace"))
		*out = SCMP_ACT_TRACE((uint16_t)e);
	else if (!strcmp(word, "kill_thread"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(word, "kill_process"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(word, "trap"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(word, "log"))
		*out = SCMP_ACT_LOG;
	else	/* "notify" included: no listener can live here */
		return err_msg(err, "unsupported seccomp action '%s'", word);
	return 0;
}

static int op_of(const char *word, enum scmp_compare *out)
{
	static const struct { const char *w; enum scmp_compare op; } ops[] = {
		{ "ne", SCMP_CMP_NE }, { "lt", SCMP_CMP_LT }, { "le", SCMP_CMP_LE },
		{ "eq", SCMP_CMP_EQ }, { "ge", SCMP_CMP_GE }, { "gt", SCMP_CMP_GT },
		{ "masked_eq", SCMP_CMP_MASKED_EQ },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(word, ops[i].w)) {
			*out = ops[i].op;
			return 0;
		}
	return -1;
}

static int u64_member(struct json_object *o, const char *key, uint64_t *out, struct err **err)
{
	struct json_object *v;

	*out = 0;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return err_msg(err, "'%s' must be an unsigned number", key);
	errno = 0;
	*out = json_object_get_uint64(v);
	if (errno || (json_object_get_int64(v) < 0 && *out == 0))
		return err_msg(err, "'%s' must be an unsigned number", key);
	return 0;
}

static int parse_args(struct json_object *rule, struct scmp_arg_cmp *cmp, unsigned int *n,
		      struct err **err)
{
	struct json_object *args, *a;
	const char *opw;
	int64_t idx;

	*n = 0;
	if (!json_object_object_get_ex(rule, "args", &args) || !args)
		return 0;
	if (!json_object_is_type(args, json_type_array) ||
	    json_object_array_length(args) > MAX_ARGS)
		return err_msg(err, "'args' must be an array of at most %d comparisons", MAX_ARGS);
	for (size_t i = 0; i < json_object_array_length(args); i++) {
		a = json_object_array_get_idx(args, i);
		if (!json_object_is_type(a, json_type_object))
			return err_msg(err, "args[%zu] must be an object", i);
		if (req__int(a, "index", true, 0, 5, &idx, err) < 0 ||
		    u64_member(a, "value", &cmp[i].datum_a, err) < 0 ||
		    u64_member(a, "value_two", &cmp[i].datum_b, err) < 0 ||
		    req__string(a, "op", true, &opw, err) < 0)
			return err_prefix(err, "args[%zu]", i);
		if (op_of(opw, &cmp[i].op) < 0)
			return err_msg(err, "args[%zu]: unknown operator '%s'", i, opw);
		cmp[i].arg = idx;
	}
	*n = json_object_array_length(args);
	return 0;
}

/* Comparisons on different arguments must all hold (one rule); several on the same argument
 * are alternatives (a rule each), as runc adds them. */
static bool shared_index(const struct scmp_arg_cmp *cmp, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = i + 1; j < n; j++)
			if (cmp[i].arg == cmp[j].arg)
				return true;
	return false;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t def, struct json_object *rule, size_t ri,
		    struct err **err)
{
	struct scmp_arg_cmp cmp[MAX_ARGS];
	struct json_object *names;
	unsigned int n;
	const char *aw;
	uint32_t act;

	if (!json_object_is_type(rule, json_type_object))
		return err_msg(err, "syscalls[%zu] must be an object", ri);
	if (req__string(rule, "action", true, &aw, err) < 0 ||
	    action(aw, rule, "errno", &act, err) < 0 || parse_args(rule, cmp, &n, err) < 0)
		return err_prefix(err, "syscalls[%zu]", ri);
	if (!json_object_object_get_ex(rule, "names", &names) ||
	    !json_object_is_type(names, json_type_array) || !json_object_array_length(names) ||
	    json_object_array_length(names) > MAX_NAMES)
		return err_msg(err, "syscalls[%zu]: 'names' must be an array of 1 to %d names", ri,
			       MAX_NAMES);
	if (act == def)	/* libseccomp refuses a rule that changes nothing; runc skips it */
		return 0;
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		struct json_object *v = json_object_array_get_idx(names, i);
		const char *name = json_object_get_string(v);
		int nr, r = 0;

		if (!json_object_is_type(v, json_type_string))
			return err_msg(err, "syscalls[%zu].names[%zu] is not a string", ri, i);
		/* A name this kernel's libseccomp does not know is skipped, as runc does:
		 * profiles list calls of newer kernels and other architectures. */
		nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (n && shared_index(cmp, n)) {
			for (unsigned int k = 0; k < n && !r; k++)
				r = seccomp_rule_add_array(ctx, act, nr, 1, &cmp[k]);
		} else {
			r = seccomp_rule_add_array(ctx, act, nr, n, cmp);
		}
		if (r < 0)
			return err_msg(err, "seccomp rule for '%s': %s", name, strerror(-r));
	}
	return 0;
}

static int add_arches(scmp_filter_ctx ctx, struct json_object *sc, struct err **err)
{
	_cleanup_free_ char **names = NULL;

	if (req__strings(sc, "architectures", false, &names, NULL, err) < 0)
		return -1;
	for (size_t i = 0; names && names[i]; i++) {
		uint32_t arch = seccomp_arch_resolve_name(names[i]);
		int r;

		if (!arch)
			continue;	/* unknown to libseccomp: nothing of it runs here */
		r = seccomp_arch_add(ctx, arch);
		if (r < 0 && r != -EEXIST)
			return err_msg(err, "seccomp architecture '%s': %s", names[i], strerror(-r));
	}
	return 0;
}

static int parse_flags(struct json_object *sc, unsigned int *flags, struct err **err)
{
	_cleanup_free_ char **names = NULL;

	*flags = 0;
	if (req__strings(sc, "flags", false, &names, NULL, err) < 0)
		return -1;
	for (size_t i = 0; names && names[i]; i++) {
		if (!strcmp(names[i], "log"))
			*flags |= SECCOMP_FILTER_FLAG_LOG;
		else if (!strcmp(names[i], "spec_allow"))
			*flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		/* tsync: the child is single-threaded; wait_killable_recv: notify only */
		else if (strcmp(names[i], "tsync") && strcmp(names[i], "wait_killable_recv"))
			return err_msg(err, "unknown seccomp flag '%s'", names[i]);
	}
	return 0;
}

/* The program libseccomp generates, read back through a memfd (2.5 exports to fds only). */
static int export(scmp_filter_ctx ctx, struct sc_prog *out, struct err **err)
{
	_cleanup_close_ int fd = memfd_create("kage-seccomp", MFD_CLOEXEC);
	off_t size;
	int r;

	if (fd < 0)
		return err_errno(err, "memfd for the seccomp filter");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return err_msg(err, "seccomp filter: %s", strerror(-r));
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return err_msg(err, "the seccomp filter is %lld bytes: at most %d instructions fit",
			       (long long)size, BPF_MAXINSNS);
	out->insns = malloc(size);
	if (!out->insns)
		return err_errno(err, "seccomp filter");
	if (pread(fd, out->insns, size, 0) != size) {
		free(out->insns);
		out->insns = NULL;
		return err_errno(err, "read the seccomp filter");
	}
	out->len = size / sizeof(struct sock_filter);
	return 0;
}

int scfilter__build(struct json_object *req, struct sc_prog *out, struct err **err)
{
	__attribute__((cleanup(release_ctx))) scmp_filter_ctx ctx = NULL;
	struct json_object *sc, *rules;
	const char *dw;
	uint32_t def;

	memset(out, 0, sizeof(*out));
	if (!json_object_object_get_ex(req, "seccomp", &sc) || !sc)
		return 0;
	if (!json_object_is_type(sc, json_type_object))
		return err_msg(err, "'seccomp' must be an object");
	if (req__string(sc, "default_action", true, &dw, err) < 0 ||
	    action(dw, sc, "default_errno", &def, err) < 0 || parse_flags(sc, &out->flags, err) < 0)
		return err_prefix(err, "seccomp");
	ctx = seccomp_init(def);
	if (!ctx)
		return err_msg(err, "seccomp: libseccomp could not start a filter");
	if (add_arches(ctx, sc, err) < 0)
		return err_prefix(err, "seccomp");
	if (json_object_object_get_ex(sc, "syscalls", &rules) && rules) {
		if (!json_object_is_type(rules, json_type_array) ||
		    json_object_array_length(rules) > MAX_RULES)
			return err_msg(err, "seccomp: 'syscalls' must be an array of at most %d rules",
				       MAX_RULES);
		for (size_t i = 0; i < json_object_array_length(rules); i++)
			if (add_rule(ctx, def, json_object_array_get_idx(rules, i), i, err) < 0)
				return err_prefix(err, "seccomp");
	}
	return export(ctx, out, err);
}

int scfilter__load(const struct sc_prog *p)
{
	struct sock_fprog prog = { .len = p->len, .filter = p->insns };

	if (!p->insns)
		return 0;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog) < 0 ? -1 : 0;
}

void scfilter__free(struct sc_prog *p)
{
	free(p->insns);
	p->insns = NULL;
}
