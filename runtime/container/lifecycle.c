/* create, start, kill and delete (see lifecycle.h). */
#include "lifecycle.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/io.h"
#include "../../lib/log.h"
#include "../agent/client.h"
#include "../agent/link.h"
#include "../sandbox/cgroup.h"
#include "../oci/settings.h"
#include "state.h"
#include "../sandbox/hooks.h"
#include "../plan/plan.h"
#include "../plan/sizing.h"
#include "../oci/spec.h"
#include "../sandbox/relay.h"
#include "../sandbox/sandbox.h"
#include "../sandbox/net.h"
#include "../pod/pod.h"

/* The state directory's copy of config.json as create read it. */
#define SPEC_COPY "config.json"

/* How long delete waits for a killed sandbox to be gone. */
#define KILL_WAIT_MS 10000

static void spec_freep(struct oci_spec **s)
{
	oci_spec__free(*s);
}
#define _cleanup_spec_ __attribute__((cleanup(spec_freep)))

static void json_putp(struct json_object **o)
{
	json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_putp)))

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },	    { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT },   { "IOT", SIGIOT },	 { "BUS", SIGBUS },
	{ "FPE", SIGFPE },   { "KILL", SIGKILL },   { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },   { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },   { "TTOU", SIGTTOU }, { "URG", SIGURG },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO },	    { "POLL", SIGPOLL }, { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

int lifecycle__parse_signal(const char *s, struct err **err)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end)
		return n >= 1 && n <= 64 ? (int)n :
					   err_msg(err, "invalid signal number %s (1..64)", s);
	const char *name = strncasecmp(s, "SIG", 3) ? s : s + 3;

	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (!strcasecmp(name, signals[i].name))
			return signals[i].sig;
	if (!strncasecmp(name, "RTMIN+", 6) || !strncasecmp(name, "RTMAX-", 6)) {
		n = strtol(name + 6, &end, 10);
		int sig = toupper((unsigned char)name[4]) == 'N' ? SIGRTMIN + n : SIGRTMAX - n;

		if (!*end && n >= 0 && sig >= SIGRTMIN && sig <= SIGRTMAX)
			return sig;
	}
	return err_msg(err, "unknown signal \"%s\"", s);
}

int lifecycle__write_pid_file(const char *path, pid_t pid, struct err **err)
{
	char tmp[PATH_MAX], buf[32];
	int n = snprintf(tmp, sizeof(tmp), "%s.kage-tmp", path);

	if (n < 0 || (size_t)n >= sizeof(tmp))
		return err_msg(err, "pid file path '%s' is too long", path);
	/*
	 * As runc: a fresh file beside the pid file, renamed over it. The caller's directory may
	 * be writable by others, so the temporary name is never followed: a leftover or planted
	 * entry (a symlink to /etc/shadow, say) is removed, not opened, and O_EXCL|O_NOFOLLOW
	 * refuses one planted again in between. rename() replaces a symlink at path itself.
	 */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return err_errno(err, "write pid file %s: remove %s", path, tmp);
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				      0644);

	n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (fd < 0)
		return err_errno(err, "write pid file %s", path);
	if (io__write_all(fd, buf, n) < 0 || rename(tmp, path) < 0) {
		int ret = err_errno(err, "write pid file %s", path);

		unlink(tmp);
		return ret;
	}
	return 0;
}

int lifecycle__connect(struct container *c, unsigned int port, struct err **err)
{
	char path[PATH_MAX];
	struct agent_link l = { .uds_path = path };

	if (container__vm_sock_path(c, "vsock.sock", path, sizeof(path), err) < 0)
		return -1;
	return agent_link__connect(&l, port, err);
}

static char *now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
	return strdup(buf);
}

static struct json_object *annotations(const struct oci_spec *s)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < s->n_annotations; i++)
		json_object_object_add(o, s->annotations[i].key,
				       json_object_new_string(s->annotations[i].value));
	return o;
}

/* Kills a sandbox and waits (bounded) until it is gone, whoever its parent is. */
static void kill_sandbox(pid_t pid, unsigned long long start)
{
	struct container c = { .pid = pid, .pid_start = start };

	if (container__kill(&c, KILL_WAIT_MS) < 0)
		pr_warn("sandbox %d outlived SIGKILL for %d ms", (int)pid, KILL_WAIT_MS);
}

void lifecycle__agent_settings(const struct globals *g)
{
	_cleanup_(config__free) struct kage_config cfg = { 0 };
	_cleanup_err_ struct err *err = NULL;

	/* A broken settings file must not stop kill or delete: create reports it. */
	if (config__load(g->config_path, &cfg, &err) < 0) {
		pr_debug("settings: %s; the guest agent's deadlines are the defaults", err->msg);
		return;
	}
	agent__set_timeout(cfg.agent_timeout_s);
}

static int run_hooks(const struct oci_spec *s, struct container *c, enum oci_hook_kind kind,
		     struct err **err)
{
	_cleanup_json_ struct json_object *state = container__state_json(c);

	if (!s->hooks[kind].n)
		return 0;
	return hooks__run(s, kind, state, err);
}

/* A member's pod sandbox: there, alive, and made as one. */
static int pod_sandbox(const struct globals *g, const char *id, struct container **out,
		       struct err **err)
{
	_cleanup_container_ struct container *c = NULL;

	/* Held until the member is made: the sandbox's delete waits, and so do other members'
	 * creates, so the pod's directory never changes under one. */
	if (container__check_id(id, err) < 0 || container__load(g->root, id, &c, err) < 0)
		return err_prefix(err, "the pod's sandbox");
	enum ctr_status st = container__status(c);

	if (c->sandbox)
		return err_msg(err, "the pod's sandbox %s is itself a member of pod %s", id,
			       c->sandbox);
	if (st != CTR_CREATED && st != CTR_RUNNING)
		return err_msg(err, "the pod's sandbox %s is %s", id, container__status_name(st));
	if (!pod_dir__exists(c->dir))
		return err_msg(err, "container %s cannot hold a pod: its VM was booted without the "
			       "pod's shares (by an older kage)", id);
	*out = TAKE_PTR(c);
	return 0;
}

int lifecycle__create(const struct globals *g, struct create_opts *co, pid_t *pid,
		      struct err **err)
{
	_cleanup_spec_ struct oci_spec *spec = NULL;
	_cleanup_container_ struct container *c = NULL;
	_cleanup_(config__free) struct kage_config cfg = { 0 };
	_cleanup_container_ struct container *sandbox = NULL;
	struct pod_ref pod;
	_cleanup_free_ char *joined = NULL;
	struct sandbox_settings ss;
	char bundle[PATH_MAX];
	_cleanup_free_ char *spec_text = NULL;
	size_t spec_len = 0;

	if (container__check_id(co->id, err) < 0)
		return -1;
	if (!realpath(co->bundle ? co->bundle : ".", bundle))
		return err_errno(err, "bundle %s", co->bundle ? co->bundle : ".");
	/* Everything that can be refused is checked before anything is made. */
	if (oci_spec__load_from(bundle, bundle, &spec, &spec_text, &spec_len, err) < 0 ||
	    config__load(g->config_path, &cfg, err) < 0 ||
	    config__sandbox(&cfg, spec->has_linux && spec->linux_.has_resources ?
					  &spec->linux_.resources : NULL,
			    spec->annotations, spec->n_annotations, &ss, err) < 0)
		return -1;
	if (!g->debug)
		log__set_level(cfg.log_level);
	agent__set_timeout(cfg.agent_timeout_s);
	if (pod__role(spec, co->id, &pod, err) < 0 || oci_guest__check_user(spec, err) < 0 ||
	    (pod.role == POD_SANDBOX && pod__size(spec, &cfg, &ss, err) < 0) ||
	    (pod.role == POD_ALONE && pod__by_netns(g->root, co->id, spec, &joined, err) < 0))
		return -1;
	if (joined)
		pod = (struct pod_ref){ .role = POD_MEMBER, .sandbox_id = joined };
	if (pod.role == POD_MEMBER) {
		if (pod_sandbox(g, pod.sandbox_id, &sandbox, err) < 0 ||
		    pod_member__check(spec, sandbox, err) < 0)
			return -1;
	} else if (sandbox_net__check_spec(spec, err) < 0 ||
		   oci_guest__check_namespaces(spec, err) < 0) {
		return -1;
	}
	oci_guest__warn_unapplied(spec);
	if (container__create(g->root, co->id, &c, err) < 0)
		return -1;
	if (sandbox) {
		c->sandbox = strdup(sandbox->id);
		c->sandbox_start = sandbox->pid_start;
		if (!c->sandbox) {
			err_errno(err, "create");
			goto fail;
		}
	}
	c->bundle = strdup(bundle);
	c->rootfs = strdup(spec->root.path);
	c->created = now_rfc3339();
	c->annotations = annotations(spec);
	if (!c->bundle || !c->rootfs || !c->created) {
		err_errno(err, "create");
		goto fail;
	}
	/* The spec as created is the container's: start, exec and delete read this copy, so its
	 * hooks and process defaults cannot change under it through the bundle (as runc keeps
	 * its config in its state). */
	if (container__save_file(c, SPEC_COPY, spec_text, spec_len, err) < 0)
		goto fail;

	char cg[4096];

	if (cgroup__dir(spec->linux_.cgroups_path, g->systemd_cgroup, cg, sizeof(cg), err) < 0)
		goto fail;
	if (*cg && !(c->cgroup = strdup(cg))) {
		err_errno(err, "create");
		goto fail;
	}

	struct sandbox_args a = { .c = c, .spec = spec, .console_socket = co->console_socket,
				  .base = co->base, .settings = ss, .pod = !sandbox };

	/* Any VM may come to hold a pod (pod.h). The pod's directory is a mount of the host's,
	 * made before the sandbox has its own. */
	if (a.pod && pod_dir__make(c->dir, err) < 0)
		goto fail;
	if ((sandbox ? pod_member__spawn(&a, sandbox, pid, err) : sandbox__spawn(&a, pid, err)) < 0)
		goto fail;
	c->pid = *pid;
	c->pid_start = container__pid_start(*pid);
	c->status = CTR_CREATED;
	if (container__save(c, err) < 0 || run_hooks(spec, c, OCI_HOOK_PRESTART, err) < 0 ||
	    run_hooks(spec, c, OCI_HOOK_CREATE_RUNTIME, err) < 0 ||
	    run_hooks(spec, c, OCI_HOOK_CREATE_CONTAINER, err) < 0 ||
	    (co->pid_file && lifecycle__write_pid_file(co->pid_file, *pid, err) < 0) ||
	    sandbox__release(&a, err) < 0) {
		if (a.creator_fd >= 0)
			close(a.creator_fd);
		/* A member's process is the pod agent's: asked to die before its relay goes. */
		if (sandbox)
			pod__kill_member(c);
		kill_sandbox(*pid, c->pid_start);
		if (sandbox)
			pod__remove_member(c);
		goto fail;
	}
	return 0;
fail:
	if (!sandbox)
		pod_dir__remove(c->dir);
	if (c->cgroup && cgroup__remove(c->cgroup, NULL) < 0)
		pr_debug("create %s: cgroup %s left behind", co->id, c->cgroup);
	container__remove(c, NULL);
	return -1;
}

static int sandbox_request(struct container *c, const char *what, struct err **err);

int lifecycle__spec(const struct container *c, struct oci_spec **spec, struct err **err)
{
	char copy[PATH_MAX];

	*spec = NULL;
	if (!c->bundle)
		return err_msg(err, "container %s has no bundle in its state", c->id);
	snprintf(copy, sizeof(copy), "%s/%s", c->dir, SPEC_COPY);
	/* A container an older kage created has no copy: its bundle is all there is. */
	if (access(copy, F_OK) < 0)
		return oci_spec__load(c->bundle, spec, err);
	return oci_spec__load_from(c->dir, c->bundle, spec, NULL, NULL, err);
}

int lifecycle__start(const struct globals *g, const char *id, struct err **err)
{
	_cleanup_container_ struct container *c = NULL;
	_cleanup_spec_ struct oci_spec *spec = NULL;
	_cleanup_close_ int ctl = -1;

	lifecycle__agent_settings(g);
	if (container__load(g->root, id, &c, err) < 0)
		return -1;
	switch (container__status(c)) {
	case CTR_CREATED:
		break;
	case CTR_STOPPED:
		return err_msg(err, "cannot start a container that has stopped");
	case CTR_RUNNING:
	case CTR_PAUSED:
		return err_msg(err, "cannot start an already running container");
	default:
		return err_msg(err, "cannot start a container that is still being created");
	}
	if (lifecycle__spec(c, &spec, err) < 0 ||
	    run_hooks(spec, c, OCI_HOOK_START_CONTAINER, err) < 0)
		return -1;
	/* The network is plugged now: Docker 26 and later move the veth in after create. */
	if (!c->sandbox && sandbox_request(c, "network", err) < 0)
		return err_prefix(err, "start %s", id);
	ctl = lifecycle__connect(c, AGENT_CTL_PORT, err);
	if (ctl < 0 || agent__start(ctl, c->process, err) < 0)
		return err_prefix(err, "start %s", id);
	c->status = CTR_RUNNING;
	if (container__save(c, err) < 0)
		return -1;
	/* As runc: a failing poststart hook is reported, the container keeps running. */
	return run_hooks(spec, c, OCI_HOOK_POSTSTART, err);
}

/*
 * Every process the agent manages, for kill --all; in a pod's VM only the container's own
 * (those whose owner is its init, c->process).
 */
static int signal_all(int ctl, const struct container *c, int sig, struct err **err)
{
	bool pod = c->sandbox || pod_dir__exists(c->dir);
	struct agent_ps ps;

	if (agent__ps(ctl, false, NULL, &ps, err) < 0)
		return -1;
	for (size_t i = 0; i < ps.n_procs; i++) {
		_cleanup_err_ struct err *e = NULL;

		if (pod && (!c->process || strcmp(ps.procs[i].owner, c->process)))
			continue;
		/* One that exits meanwhile is not an error: it is what kill asked for. */
		if (!ps.procs[i].exited && agent__signal(ctl, ps.procs[i].process, sig, &e) < 0)
			pr_debug("kill --all: %s: %s", ps.procs[i].process, e->msg);
	}
	agent_ps__free(&ps);
	return 0;
}

/*
 * SIGKILL ends the whole VM from the host: the guest is not trusted to deliver it. No lock:
 * a verb wedged on the guest may hold it, and the pid and its start time are checked.
 */
static int kill_vm(const struct globals *g, const char *id, struct err **err)
{
	_cleanup_container_ struct container *c = NULL;

	if (container__read(g->root, id, &c, err) < 0)
		return -1;
	enum ctr_status st = container__status(c);

	if (st != CTR_CREATED && st != CTR_RUNNING && st != CTR_PAUSED)
		return err_msg(err, "container not running");
	/* A pod member: the guest is asked, and its relay ends whatever the guest does. */
	if (c->sandbox)
		pod__kill_member(c);
	if (container__kill(c, KILL_WAIT_MS) < 0)
		return err_errno(err, "kill the sandbox of %s (pid %d)", id, (int)c->pid);
	return 0;
}

int lifecycle__kill(const struct globals *g, const char *id, int sig, bool all,
		    struct err **err)
{
	_cleanup_container_ struct container *c = NULL;
	_cleanup_close_ int ctl = -1;

	if (sig == SIGKILL)
		return kill_vm(g, id, err);
	lifecycle__agent_settings(g);
	if (container__load(g->root, id, &c, err) < 0)
		return -1;
	enum ctr_status st = container__status(c);

	if (st != CTR_CREATED && st != CTR_RUNNING && st != CTR_PAUSED)
		return err_msg(err, "container not running");
	/* A paused guest cannot take a signal; SIGKILL (above) ends the whole VM instead. */
	if (st == CTR_PAUSED)
		return err_msg(err, "container %s is paused: resume it first", id);
	ctl = lifecycle__connect(c, AGENT_CTL_PORT, err);
	if (ctl < 0)
		return -1;
	if (all)
		return signal_all(ctl, c, sig, err);
	if (agent__signal(ctl, c->process, sig, err) < 0) {
		if (strstr((*err)->msg, "has exited"))
			return err_prefix(err, "container not running");
		return -1;
	}
	return 0;
}

/*
 * delete --force must finish whatever holds the lock: the sandbox is killed first (without
 * the lock, its pid checked), which ends any verb talking to its VM, then the lock is
 * waited for; if it still does not come, the state goes anyway.
 */
static int force_load(const struct globals *g, const char *id, struct container **c,
		      struct err **err)
{
	_cleanup_container_ struct container *r = NULL;

	if (container__read(g->root, id, &r, err) < 0)
		return -1;
	if (r->status != CTR_STOPPED && container__kill(r, KILL_WAIT_MS) < 0)
		pr_warn("delete %s: its sandbox (pid %d) outlived SIGKILL", id, (int)r->pid);
	if (container__load(g->root, id, c, err) == 0)
		return 0;
	if ((*err)->errnum != EBUSY)
		return -1;
	pr_warn("delete %s: %s; deleting it anyway", id, (*err)->msg);
	err_free(err);
	*c = TAKE_PTR(r);
	return 0;
}

int lifecycle__delete(const struct globals *g, const char *id, bool force, struct err **err)
{
	_cleanup_container_ struct container *c = NULL;
	_cleanup_spec_ struct oci_spec *spec = NULL;
	_cleanup_err_ struct err *spec_err = NULL;

	if ((force ? force_load(g, id, &c, err) : container__load(g->root, id, &c, err)) < 0) {
		/* runc: forcing the delete of what is not there is not an error. */
		if (force && (*err)->errnum == ENOENT) {
			err_free(err);
			return 0;
		}
		return -1;
	}
	enum ctr_status st = container__status(c);

	if ((st == CTR_RUNNING || st == CTR_PAUSED) && !force)
		return err_msg(err, "cannot delete container %s that is not stopped: %s", id,
			       container__status_name(st));
	/* A created container was never started: runc deletes it without --force too. A
	 * member's process is asked to die whatever its relay's state (--force ended that). */
	if (c->sandbox)
		pod__kill_member(c);
	if (st != CTR_STOPPED && c->pid)
		kill_sandbox(c->pid, c->pid_start);
	c->status = CTR_STOPPED;
	if (c->sandbox)
		pod__remove_member(c);
	else
		pod_dir__remove(c->dir);
	if (lifecycle__spec(c, &spec, &spec_err) == 0) {
		_cleanup_err_ struct err *hook_err = NULL, *net_err = NULL;

		/* As runc: poststop failures are logged, the container goes anyway. */
		if (run_hooks(spec, c, OCI_HOOK_POSTSTOP, &hook_err) < 0)
			pr_warn("delete %s: %s", id, hook_err->msg);
		/* A killed sandbox could not take its redirect off a namespace that lives on
		 * (a member's namespace is its pod's, which the sandbox's delete cleans). */
		if (!c->sandbox && sandbox_net__cleanup(spec, &net_err) < 0)
			pr_warn("delete %s: %s", id, net_err->msg);
	} else if (spec_err) {
		pr_debug("delete %s: no poststop hooks: %s", id, spec_err->msg);
	}
	if (c->cgroup) {
		_cleanup_err_ struct err *cg_err = NULL;

		if (cgroup__remove(c->cgroup, &cg_err) < 0)
			pr_warn("delete %s: %s", id, cg_err->msg);
	}
	return container__remove(c, err);
}

/* Asks the sandbox over its control socket; it answers once the vCPUs have done it. */
static int sandbox_request(struct container *c, const char *what, struct err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char line[256];
	ssize_t n;

	if (container__sock_path(c, "sandbox.sock", sa.sun_path, sizeof(sa.sun_path), err) < 0)
		return -1;
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return err_errno(err, "the sandbox of %s", c->id);
	dprintf(fd, "%s\n", what);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, KILL_WAIT_MS) <= 0 || (n = read(fd, line, sizeof(line) - 1)) <= 0)
		return err_msg(err, "the sandbox of %s did not answer %s", c->id, what);
	line[n] = 0;
	line[strcspn(line, "\n")] = 0;
	return strcmp(line, "ok") ? err_msg(err, "%s: %s", what, line) : 0;
}

int lifecycle__pause(const struct globals *g, const char *id, bool pause, struct err **err)
{
	_cleanup_container_ struct container *c = NULL;

	if (container__load(g->root, id, &c, err) < 0)
		return -1;
	enum ctr_status st = container__status(c);

	if (pause && st != CTR_RUNNING)
		return err_msg(err, "container not running");
	if (!pause && st != CTR_PAUSED)
		return err_msg(err, "container not paused");
	/* A member alone is frozen in the guest (its cgroup); a sandbox's pause stops its
	 * whole VM, the pod's members with it (docs/oci.md, "Pods"). */
	if (c->sandbox) {
		_cleanup_close_ int ctl = -1;

		if (!c->process)
			return err_msg(err, "container %s has no process in its pod", id);
		ctl = lifecycle__connect(c, AGENT_CTL_PORT, err);
		if (ctl < 0 || agent__freeze(ctl, c->process, pause, err) < 0)
			return -1;
	} else if (sandbox_request(c, pause ? "pause" : "resume", err) < 0) {
		return -1;
	}
	c->status = pause ? CTR_PAUSED : CTR_RUNNING;
	return container__save(c, err);
}
