/* Request envelope checks and one small handler per op; processes live in proc.c. */
#include "ops.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "conn.h"
#include "container/cgroup.h"
#include "container/devices.h"
#include "container/ns.h"
#include "container/disk.h"
#include "mount/mount_op.h"
#include "net/net.h"
#include "proc/proc.h"
#include "req.h"
#include "container/settings.h"
#include "container/stats.h"
#include "proc/spec.h"

#ifndef KAGE_VERSION
#define KAGE_VERSION "dev"
#endif

/*
 * An op answers on its own (fn), or is one that changes the guest (change): it checks the
 * request, then acts when apply is set, and is answered {} or "<op>: <error>". In test mode
 * those only check: acting would change the host the test runs on.
 */
/* Indexed by enum agent_op (lib/wire/agent_proto.h, which names them). */
struct op {
	void (*fn)(struct reply r, struct json_object *req);
	int (*change)(struct json_object *req, bool apply, struct err **err);
};

/* The process a request names, or NULL after answering why not. */
static struct proc *req_proc(struct reply r, struct json_object *req)
{
	_cleanup_err_ struct err *err = NULL;
	const char *id = NULL;
	struct proc *p;

	if (req__string(req, AGENT_KEY_PROCESS, true, &id, &err) < 0) {
		conn__reply_err(r, "%s", err->msg);
		return NULL;
	}
	p = proc__find(id);
	if (!p)
		conn__reply_err(r, "no such process '%s'", id);
	return p;
}

static void op_version(struct reply r, struct json_object *req)
{
	struct json_object *o = json_object_new_object();
	struct utsname u;

	uname(&u);
	json_object_object_add(o, "version", json_object_new_string(KAGE_VERSION));
	json_object_object_add(o, "protocol", json_object_new_int(AGENT_PROTOCOL));
	json_object_object_add(o, "kernel", json_object_new_string(u.release));
	conn__reply(r, o);
}

/*
 * "join": the container init whose namespaces an exec enters. Namespaces act on the whole
 * guest, so test mode (on the host the tests run on) refuses them too.
 */
static int join_container(struct json_object *req, struct proc_spec *s, struct err **err)
{
	const char *id = NULL;
	struct proc *init;

	if (req__string(req, "join", false, &id, err) < 0)
		return -1;
	if ((id || s->ns_new) && agent__test_mode())
		return err_msg(err, "namespaces are refused in test mode (--listen-unix): they "
			       "would change this host");
	if (!id)
		return 0;
	if (s->init)
		return err_msg(err, "a container's init makes its namespaces; it joins none");
	init = proc__find(id);
	if (!init || !init->ns)
		return err_msg(err, "'join': no container init '%s'", id);
	if (!init->ready || init->state == PROC_EXITED)
		return err_msg(err, "'join': the container's init %s %s", id,
			       init->ready ? "has exited" : "is still being set up");
	s->ns_new = init->ns;
	s->ns_join = init->pid;
	s->cgroup_dir = *init->cgroup ? init->cgroup : NULL;
	return 0;
}

/* The pod's namespaces a member may enter rather than make: as a Kubernetes pod shares. */
#define SHAREABLE (CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS)

/*
 * A pod member's init: "member" (its end ends its own container only) and "share": {"process":
 * the pod's first init, "namespaces": those of its that the member enters}.
 */
static int share_pod(struct json_object *req, struct proc_spec *s, struct err **err)
{
	struct json_object *share = NULL;
	const char *id = NULL;
	struct proc *init;

	if (req__bool(req, "member", &s->member, err) < 0)
		return -1;
	if (s->member && !s->init)
		return err_msg(err, "'member' is a container init's");
	if (!json_object_object_get_ex(req, "share", &share))
		return 0;
	if (!json_object_is_type(share, json_type_object))
		return err_msg(err, "'share' must be an object");
	if (!s->member)
		return err_msg(err, "'share' is a pod member's ('member': true)");
	if (req__string(share, AGENT_KEY_PROCESS, true, &id, err) < 0 ||
	    ns__parse_list(share, "namespaces", &s->ns_share, err) < 0)
		return err_prefix(err, "'share'");
	if (s->ns_share & ~SHAREABLE)
		return err_msg(err, "'share': only the pid, ipc and uts namespaces are shared");
	if (s->ns_share & s->ns_new)
		return err_msg(err, "'share': a namespace is either shared or made, not both");
	init = proc__find(id);
	if (!init || !init->init || init->member)
		return err_msg(err, "'share': no pod init '%s'", id);
	if (!init->ready || init->state == PROC_EXITED)
		return err_msg(err, "'share': the pod's init %s %s", id,
			       init->ready ? "has exited" : "is still being set up");
	if ((s->ns_share & init->ns) != s->ns_share)
		return err_msg(err, "'share': the pod's init %s made no such namespace", id);
	s->share_pid = init->pid;
	return 0;
}

static void op_create(struct reply r, struct json_object *req)
{
	_cleanup_err_ struct err *err = NULL;
	struct proc_spec spec;

	if (agent__shutting_down()) {
		conn__reply_err(r, "create: the agent is shutting down");
		return;
	}
	if (spec__parse(req, &spec, &err) < 0 || join_container(req, &spec, &err) < 0 ||
	    share_pod(req, &spec, &err) < 0)
		conn__reply_err(r, "create: %s", err->msg);
	else
		proc__create(&spec, json_object_object_get(req, "args"), r);
	spec__free(&spec);
}

static void op_start(struct reply r, struct json_object *req)
{
	struct proc *p = req_proc(r, req);

	if (p && agent__shutting_down())
		conn__reply_err(r, "start: the agent is shutting down");
	else if (p)
		proc__start(p, r);
}

static void op_signal(struct reply r, struct json_object *req)
{
	_cleanup_err_ struct err *err = NULL;
	struct proc *p = req_proc(r, req);
	int64_t sig;

	if (!p)
		return;
	if (req__int(req, AGENT_KEY_SIGNAL, true, 0, _NSIG - 1, &sig, &err) < 0) {
		conn__reply_err(r, "signal: %s", err->msg);
		return;
	}
	/* Once reaped, the pid may belong to someone else. */
	if (p->state == PROC_EXITED) {
		conn__reply_err(r, "no such process: %s has exited", p->id);
		return;
	}
	if (kill(p->pid, sig) < 0) {
		conn__reply_err(r, "signal %s: %s", p->id, strerror(errno));
		return;
	}
	conn__reply(r, NULL);
}

/* A pod member's pause: its container's processes, and only theirs, frozen by its cgroup. */
static void op_freeze(struct reply r, struct json_object *req)
{
	_cleanup_err_ struct err *err = NULL;
	struct proc *p = req_proc(r, req);
	struct json_object *v;

	if (!p)
		return;
	if (!json_object_object_get_ex(req, AGENT_KEY_FROZEN, &v) ||
	    !json_object_is_type(v, json_type_boolean)) {
		conn__reply_err(r, "freeze: '%s' must be true or false", AGENT_KEY_FROZEN);
		return;
	}
	if (p->state == PROC_EXITED) {
		conn__reply_err(r, "freeze: %s has exited", p->id);
		return;
	}
	if (cgroup__freeze(p->cgroup, json_object_get_boolean(v), &err) < 0) {
		conn__reply_err(r, "freeze: %s", err->msg);
		return;
	}
	conn__reply(r, NULL);
}

static void op_wait(struct reply r, struct json_object *req)
{
	struct proc *p = req_proc(r, req);

	if (p)
		proc__wait(p, r);
}

static void op_resize(struct reply r, struct json_object *req)
{
	_cleanup_err_ struct err *err = NULL;
	struct proc *p = req_proc(r, req);
	int64_t rows, cols;
	struct winsize ws = { 0 };

	if (!p)
		return;
	if (req__int(req, AGENT_KEY_ROWS, true, 0, 65535, &rows, &err) < 0 ||
	    req__int(req, AGENT_KEY_COLS, true, 0, 65535, &cols, &err) < 0) {
		conn__reply_err(r, "resize: %s", err->msg);
		return;
	}
	if (p->pty_fd < 0) {
		conn__reply_err(r, "process %s has no terminal", p->id);
		return;
	}
	ws.ws_row = rows;
	ws.ws_col = cols;
	if (ioctl(p->pty_fd, TIOCSWINSZ, &ws) < 0) {
		conn__reply_err(r, "resize %s: %s", p->id, strerror(errno));
		return;
	}
	conn__reply(r, NULL);
}

static void op_close_stdin(struct reply r, struct json_object *req)
{
	struct proc *p = req_proc(r, req);

	if (!p)
		return;
	io__close(&p->io[IO_STDIN]);
	conn__reply(r, NULL);
}

static struct json_object *proc_json(const struct proc *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, AGENT_KEY_PROCESS, json_object_new_string(p->id));
	json_object_object_add(o, "pid", json_object_new_int(p->pid));
	json_object_object_add(o, "args", json_object_get(p->args));
	json_object_object_add(o, "status", json_object_new_string(proc__state_name(p)));
	json_object_object_add(o, "terminal", json_object_new_boolean(p->terminal));
	if (*p->owner)
		json_object_object_add(o, "owner", json_object_new_string(p->owner));
	if (p->state == PROC_EXITED)
		json_object_object_add(o, AGENT_KEY_EXIT_STATUS,
				       json_object_new_int(proc__exit_status(p)));
	return o;
}

/* Every pid in the guest, from /proc: {pid, ppid, state, comm}. */
/* Whether pid's cgroup is cg (its cgroup v2 path, "/kage-3") or under it. */
static bool in_cgroup(int pid, const char *cg)
{
	char path[64], line[512];
	_cleanup_fclose_ FILE *f = NULL;
	size_t n = strlen(cg);

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		return !strncmp(line + 3, cg, n) && (line[3 + n] == 0 || line[3 + n] == '/');
	}
	return false;
}

/* Every process of the guest, or only those under cgroup cg when not NULL. */
static struct json_object *all_pids(const char *cg)
{
	struct json_object *list = json_object_new_array();
	DIR *d = opendir("/proc");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char path[64], comm[64], state;
		int pid = atoi(de->d_name), ppid;
		_cleanup_fclose_ FILE *f = NULL;
		struct json_object *o;

		if (pid <= 0 || (cg && !in_cgroup(pid, cg)))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "re");
		/* comm may hold spaces and parens: it runs to the last ')' */
		if (!f || fscanf(f, "%*d (%63[^)]) %c %d", comm, &state, &ppid) != 3)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "pid", json_object_new_int(pid));
		json_object_object_add(o, "ppid", json_object_new_int(ppid));
		json_object_object_add(o, "state", json_object_new_string_len(&state, 1));
		json_object_object_add(o, "comm", json_object_new_string(comm));
		json_object_array_add(list, o);
	}
	if (d)
		closedir(d);
	return list;
}

/*
 * The processes the agent runs; with "all", every process of the guest too, or with
 * "process" as well only those in the cgroup of the container that process is the init of
 * (ps of one container of a pod).
 */
static void op_ps(struct reply r, struct json_object *req)
{
	_cleanup_err_ struct err *err = NULL;
	struct json_object *o, *list;
	const char *of = NULL, *cg = NULL;
	bool all = false;

	if (req__bool(req, AGENT_KEY_ALL, &all, &err) < 0 ||
	    req__string(req, AGENT_KEY_PROCESS, false, &of, &err) < 0) {
		conn__reply_err(r, "ps: %s", err->msg);
		return;
	}
	if (of) {
		const struct proc *init = proc__find(of);

		if (!init || !*init->cgroup) {
			conn__reply_err(r, "ps: '%s' is no container's init", of);
			return;
		}
		cg = init->cgroup + strlen(CGROUP_ROOT);
	}
	o = json_object_new_object();
	list = json_object_new_array();
	for (struct proc *p = proc__first(); p; p = p->next)
		if (!p->retired && p->ready)
			json_object_array_add(list, proc_json(p));
	json_object_object_add(o, "processes", list);
	if (all)
		json_object_object_add(o, AGENT_KEY_ALL, all_pids(cg));
	conn__reply(r, o);
}

/*
 * The figures of the container the named process is the init of (container/stats.h); an
 * exec has no cgroup of its own to read, so it gets only its network's.
 */
static void op_stats(struct reply r, struct json_object *req)
{
	struct proc *p = req_proc(r, req);

	if (!p)
		return;
	if (p->state == PROC_EXITED) {
		conn__reply_err(r, "stats: %s has exited", p->id);
		return;
	}
	conn__reply(r, stats__collect(p->cgroup, p->pid));
}

static void run_change(enum agent_op id, const struct op *op, struct reply r,
		       struct json_object *req)
{
	_cleanup_err_ struct err *err = NULL;
	bool test = agent__test_mode();

	if (op->change(req, !test, &err) < 0)
		conn__reply_err(r, "%s: %s", agent_op__name(id), err->msg);
	else if (test)
		conn__reply_err(r, "%s: refused in test mode (--listen-unix): it would change "
				   "this host", agent_op__name(id));
	else
		conn__reply(r, NULL);
}

/* Reads only: a disk's node and number, for the runtime to mount it or mknod it elsewhere. */
static void op_disk(struct reply r, struct json_object *req)
{
	_cleanup_err_ struct err *err = NULL;
	const char *serial = NULL;
	struct disk d;
	struct json_object *o;

	if (req__string(req, AGENT_KEY_SERIAL, true, &serial, &err) < 0 ||
	    disk__find("/sys", serial, &d, &err) < 0) {
		conn__reply_err(r, "disk: %s", err->msg);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "device", json_object_new_string(d.device));
	json_object_object_add(o, "major", json_object_new_int64(d.major));
	json_object_object_add(o, "minor", json_object_new_int64(d.minor));
	conn__reply(r, o);
}

static void op_shutdown(struct reply r, struct json_object *req)
{
	conn__reply(r, NULL);
	agent__request_shutdown();
}

static const struct op ops[AGENT_OP_COUNT] = {
	[AGENT_OP_VERSION] = { .fn = op_version },
	[AGENT_OP_CREATE] = { .fn = op_create },
	[AGENT_OP_START] = { .fn = op_start },
	[AGENT_OP_SIGNAL] = { .fn = op_signal },
	[AGENT_OP_WAIT] = { .fn = op_wait },
	[AGENT_OP_RESIZE] = { .fn = op_resize },
	[AGENT_OP_CLOSE_STDIN] = { .fn = op_close_stdin },
	[AGENT_OP_PS] = { .fn = op_ps },
	[AGENT_OP_SHUTDOWN] = { .fn = op_shutdown },
	[AGENT_OP_DISK] = { .fn = op_disk },
	[AGENT_OP_MOUNT] = { .change = mount_op__mount },
	[AGENT_OP_UNMOUNT] = { .change = mount_op__unmount },
	[AGENT_OP_MKNOD] = { .change = devices__mknod },
	[AGENT_OP_HOSTNAME] = { .change = settings__hostname },
	[AGENT_OP_SYSCTL] = { .change = settings__sysctl },
	[AGENT_OP_NETWORK] = { .change = net__configure },
	[AGENT_OP_STATS] = { .fn = op_stats },
	[AGENT_OP_FREEZE] = { .fn = op_freeze },
};

void ops__dispatch(struct conn *c, struct json_object *req)
{
	_cleanup_err_ struct err *err = NULL;
	struct reply r = { c, NO_ID };
	const char *name = NULL;
	int64_t v = 0;

	if (req__int(req, AGENT_KEY_ID, true, 0, INT64_MAX, &r.id, &err) < 0) {
		conn__reply_err(r, "request: %s", err->msg);
		return;
	}
	if (req__int(req, AGENT_KEY_VERSION, true, INT64_MIN, INT64_MAX, &v, &err) < 0) {
		conn__reply_err(r, "request: %s", err->msg);
		return;
	}
	if (v != AGENT_PROTOCOL) {
		conn__reply_err(r, "unsupported protocol version %lld (this agent speaks %d)",
				(long long)v, AGENT_PROTOCOL);
		return;
	}
	if (req__string(req, AGENT_KEY_OP, true, &name, &err) < 0) {
		conn__reply_err(r, "request: %s", err->msg);
		return;
	}
	enum agent_op op = agent_op__find(name);

	if (op == AGENT_OP_COUNT)
		conn__reply_err(r, "unknown op '%s'", name);
	else if (ops[op].fn)
		ops[op].fn(r, req);
	else
		run_change(op, &ops[op], r, req);
}
