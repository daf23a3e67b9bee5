/*
 * exec: another process in a running container, created by the guest agent with the
 * container's defaults (or a whole OCI process from --process) under its seccomp filter. This
 * process (or, detached, a child whose pid goes to --pid-file) stands for it: stdio, signals,
 * exit status, as runc exec does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/file.h"
#include "../../lib/io.h"
#include "../../lib/log.h"
#include "../agent/client.h"
#include "../agent/link.h"
#include "../machine/vm_plan.h"
#include "../oci/spec.h"
#include "../plan/plan.h"
#include "../sandbox/relay.h"
#include "../sandbox/sandbox.h"
#include "lifecycle.h"
#include "state.h"

#define PROCESS_FILE_MAX (1 << 20)

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* COMMAND with the container's own process for defaults, as runc exec does. */
static int process_from_args(struct exec_opts *eo, const struct oci_process *base,
			     struct oci_process *p, struct err **err)
{
	size_t n = 0;

	while (eo->args[n])
		n++;
	p->args.v = calloc(n + 1, sizeof(char *));
	p->env.v = calloc(base->env.n + eo->n_env + 1, sizeof(char *));
	if (!p->args.v || !p->env.v)
		return err_errno(err, "exec");
	for (size_t i = 0; i < n; i++)
		p->args.v[p->args.n++] = strdup(eo->args[i]);
	for (size_t i = 0; i < base->env.n; i++)
		p->env.v[p->env.n++] = strdup(base->env.v[i]);
	for (size_t i = 0; i < eo->n_env; i++)
		p->env.v[p->env.n++] = strdup(eo->env[i]);
	p->cwd = xstrdup(eo->cwd ? eo->cwd : base->cwd);
	p->user.uid = base->user.uid;
	p->user.gid = base->user.gid;
	p->terminal = eo->tty;
	/* As runc exec: the container's privileges and limits, not the agent's full set. */
	p->has_capabilities = base->has_capabilities;
	memcpy(p->caps, base->caps, sizeof(p->caps));
	p->no_new_privileges = base->no_new_privileges;
	if (base->n_rlimits) {
		p->rlimits = calloc(base->n_rlimits, sizeof(*p->rlimits));
		if (!p->rlimits)
			return err_errno(err, "exec");
		memcpy(p->rlimits, base->rlimits, base->n_rlimits * sizeof(*p->rlimits));
		p->n_rlimits = base->n_rlimits;
	}
	if (base->user.n_additional_gids && !eo->user) {
		size_t ng = base->user.n_additional_gids;

		p->user.additional_gids = calloc(ng, sizeof(*p->user.additional_gids));
		if (!p->user.additional_gids)
			return err_errno(err, "exec");
		memcpy(p->user.additional_gids, base->user.additional_gids,
		       ng * sizeof(*p->user.additional_gids));
		p->user.n_additional_gids = ng;
	}
	if (eo->user) {
		char *end;
		unsigned long uid = strtoul(eo->user, &end, 10), gid = uid;

		if (end == eo->user || (*end && *end != ':'))
			return err_msg(err, "exec: --user '%s' is not UID[:GID]", eo->user);
		if (*end == ':') {
			const char *gs = end + 1;

			gid = strtoul(gs, &end, 10);
			if (end == gs || *end)
				return err_msg(err, "exec: --user '%s' is not UID[:GID]", eo->user);
		}
		p->user.uid = uid;
		p->user.gid = gid;
	}
	if (p->cwd && p->cwd[0] != '/')
		return err_msg(err, "exec: --cwd '%s' must be absolute", p->cwd);
	return 0;
}

/* The process from --process or from the arguments over the container's own process. */
static int load_process(struct exec_opts *eo, const struct oci_spec *spec, struct oci_process *p,
			struct err **err)
{
	if (eo->process_file) {
		_cleanup_free_ char *text = NULL;
		size_t len = 0;

		if (file__read_at(AT_FDCWD, eo->process_file, PROCESS_FILE_MAX, &text, &len,
				  err) < 0 ||
		    oci_spec__parse_process(text, len, p, err) < 0)
			return err_prefix(err, "exec: %s", eo->process_file);
		return 0;
	}
	return process_from_args(eo, &spec->process, p, err);
}

/* Creates the process in the guest, held before exec, under the container's seccomp filter
 * (as runc does for exec); returns its name. */
static int create_in_guest(int ctl, const struct oci_process *p, const struct oci_seccomp *sc,
			   const char *init, char **name, struct err **err)
{
	struct json_object *req = oci_guest__create_request(p, sc, NULL, init, true);

	if (agent__create(ctl, req, name, err) < 0)
		return err_prefix(err, "exec %s", p->args.v[0]);
	return 0;
}

/* Wires the streams, starts the process, tells the parent (detached), then relays. */
static int relay_process(struct agent_link *link, int ctl, const char *name,
			 const struct oci_process *p, struct exec_opts *eo, int notify,
			 struct err **err)
{
	_cleanup_close_ int sig_fd = -1, tty = -1;
	struct relay *r = NULL;
	struct termios saved;
	bool raw = false;
	int ret = -1;

	sig_fd = machine__signal_fd(err);
	if (sig_fd < 0)
		return -1;
	if (p->terminal && eo->console_socket &&
	    sandbox__open_console(eo->console_socket, &tty, err) < 0)
		return -1;

	int in = tty >= 0 ? tty : STDIN_FILENO, out = tty >= 0 ? tty : STDOUT_FILENO;
	struct relay_cfg cfg = { .link = link, .ctl = ctl, .process = name, .in_fd = in,
				 .out_fd = out, .err_fd = STDERR_FILENO, .tty = p->terminal,
				 .winsize_fd = out, .sig_fd = sig_fd, .aux_fd = -1 };

	if (relay__attach(&cfg, &r, err) < 0 || relay__start(r, err) < 0) {
		err_prefix(err, "exec %s", p->args.v[0]);
		goto out;
	}
	/* Detached with its terminal handed over, as containerd runs `docker exec -t`: the
	 * shim reads exec's output until every writer has closed it, so let go of it. */
	if (notify >= 0 && tty >= 0 && io__release_stdio() < 0)
		pr_warn("exec: stdio to /dev/null: %s", strerror(errno));
	if (notify >= 0) {
		io__write_all(notify, "ok\n", 3);
		close(notify);
	}
	if (p->terminal && tty < 0)
		raw = relay__raw_terminal(&saved);
	ret = relay__run(r, err);
out:
	relay__restore_terminal(raw, &saved);
	relay__free(r);
	return ret;
}

int lifecycle__exec(const struct globals *g, struct exec_opts *eo, struct err **err)
{
	_cleanup_container_ struct container *c = NULL;
	_cleanup_close_ int ctl = -1;
	_cleanup_free_ char *name = NULL;
	struct oci_process p = { 0 };
	struct oci_spec *spec = NULL;
	char vsock[PATH_MAX];
	int ret = -1;

	signal(SIGPIPE, SIG_IGN);
	lifecycle__agent_settings(g);
	if (container__load(g->root, eo->id, &c, err) < 0)
		return -1;
	enum ctr_status st = container__status(c);

	if (st != CTR_RUNNING && st != CTR_CREATED)
		return err_msg(err, "cannot exec in a container that is %s",
			       container__status_name(st));
	if (lifecycle__spec(c, &spec, err) < 0 || load_process(eo, spec, &p, err) < 0)
		goto out;
	if (p.terminal && eo->detach && !eo->console_socket) {
		err_msg(err, "exec: a detached terminal needs --console-socket");
		goto out;
	}
	if (container__vm_sock_path(c, "vsock.sock", vsock, sizeof(vsock), err) < 0)
		goto out;
	struct agent_link link = { .uds_path = vsock };

	ctl = agent_link__connect(&link, AGENT_CTL_PORT, err);
	if (ctl < 0 || create_in_guest(ctl, &p, spec->linux_.seccomp, c->process, &name, err) < 0)
		goto out;
	/* The container's lock is for our setup only; the process may outlive it. */
	close(c->lock_fd);
	c->lock_fd = -1;
	if (!eo->detach) {
		if (eo->pid_file && lifecycle__write_pid_file(eo->pid_file, getpid(), err) < 0)
			goto out;
		ret = relay_process(&link, ctl, name, &p, eo, -1, err);
		goto out;
	}
	int pfd[2];

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		err_errno(err, "pipe");
		goto out;
	}
	fflush(NULL);
	pid_t pid = fork();

	if (pid == 0) {
		_cleanup_err_ struct err *cerr = NULL;

		close(pfd[0]);
		ret = relay_process(&link, ctl, name, &p, eo, pfd[1], &cerr);
		if (ret < 0) {
			pr_err("exec: %s", cerr->msg);
			dprintf(pfd[1], "error %s\n", cerr->msg);
			_exit(255);
		}
		_exit(ret & 0xff);
	}
	close(pfd[1]);
	char buf[1024] = "";
	ssize_t n = pid < 0 ? -1 : read(pfd[0], buf, sizeof(buf) - 1);

	close(pfd[0]);
	if (pid < 0 || n < 3 || strncmp(buf, "ok\n", 3)) {
		buf[n > 0 ? n : 0] = 0;
		err_msg(err, "exec: %s", n > 6 ? buf + 6 : "the process could not be started");
		goto out;
	}
	ret = eo->pid_file ? lifecycle__write_pid_file(eo->pid_file, pid, err) : 0;
out:
	oci_process__free(&p);
	oci_spec__free(spec);
	return ret;
}
