/* The process table: create, start, exit, and answering waits once output is delivered. */
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../../lib/wire/agent_proto.h"
#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../../../lib/log.h"
#include "../container/cgroup.h"

static struct proc *procs;
static unsigned long next_id = 1;

struct proc *proc__find(const char *id)
{
	for (struct proc *p = procs; p; p = p->next)
		if (!p->retired && !strcmp(p->id, id))
			return p;
	return NULL;
}

struct proc *proc__first(void)
{
	return procs;
}

/* Only a live process: an exited one kept for its wait may share a recycled pid. */
static struct proc *find_pid(pid_t pid)
{
	for (struct proc *p = procs; p; p = p->next)
		if (!p->retired && p->pid == pid && p->state != PROC_EXITED)
			return p;
	return NULL;
}

const char *proc__state_name(const struct proc *p)
{
	static const char *const names[] = {
		[PROC_SETUP] = "created",
		[PROC_CREATED] = "created",
		[PROC_RUNNING] = "running",
		[PROC_EXITED] = "exited",
	};

	return names[p->state];
}

int proc__exit_status(const struct proc *p)
{
	if (WIFSIGNALED(p->status))
		return 128 + WTERMSIG(p->status);
	return WEXITSTATUS(p->status);
}

/* Never signals a reaped pid: it may belong to someone else by now. */
static void kill_live(const struct proc *p, int sig)
{
	if (p->state != PROC_EXITED)
		kill(p->pid, sig);
}

/* The table forgets p after this event; its fds close now so peers see EOF promptly. */
static void proc_retire(struct proc *p)
{
	if (p->retired)
		return;
	p->retired = true;
	for (int i = 0; i < IO_COUNT; i++) {
		watch__close(&p->io[i].pipe);
		watch__close(&p->io[i].sock);
	}
	watch__close(&p->report);
	if (p->hold_fd >= 0)
		close(p->hold_fd);
	if (p->pty_fd >= 0)
		close(p->pty_fd);
	p->hold_fd = p->pty_fd = -1;
}

static struct json_object *exit_body(const struct proc *p)
{
	struct json_object *o = json_object_new_object();

	if (WIFSIGNALED(p->status))
		json_object_object_add(o, AGENT_KEY_SIGNAL, json_object_new_int(WTERMSIG(p->status)));
	else
		json_object_object_add(o, "exit_code", json_object_new_int(WEXITSTATUS(p->status)));
	json_object_object_add(o, AGENT_KEY_EXIT_STATUS, json_object_new_int(proc__exit_status(p)));
	return o;
}

/* Answers every pending wait; a process whose exit was reported is forgotten. */
static void answer_waits(struct proc *p)
{
	struct waiter *w;
	bool told = false;

	while ((w = p->waiters)) {
		p->waiters = w->next;
		if (w->r.conn) {
			conn__reply(w->r, exit_body(p));
			told = true;
		}
		free(w);
	}
	if (told || p->forget)
		proc_retire(p);
}

void proc__check_done(struct proc *p)
{
	if (p->done || p->retired || p->state != PROC_EXITED)
		return;
	for (int i = IO_STDOUT; i < IO_COUNT; i++)
		if (!p->io[i].closed)
			return;
	p->done = true;
	/* Output is complete; stdin has nobody left to feed. */
	io__close(&p->io[IO_STDIN]);
	pr_debug("agent: process %s (pid %d) done, status %d", p->id, p->pid,
		 proc__exit_status(p));
	answer_waits(p);
}

void proc__wait(struct proc *p, struct reply r)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (!w) {
		conn__reply_err(r, "out of memory");
		return;
	}
	w->r = r;
	w->next = p->waiters;
	p->waiters = w;
	if (p->done)
		answer_waits(p);
}

/* A pending answer leaves p before it is sent, so proc__owes() no longer counts it. */
static struct reply take_reply(struct reply *pending)
{
	struct reply r = *pending;

	pending->conn = NULL;
	return r;
}

static void update_ios(struct proc *p)
{
	for (int i = 0; i < IO_COUNT; i++)
		io__update(&p->io[i]);
}

static void on_ready(struct proc *p)
{
	struct json_object *o = json_object_new_object();

	p->ready = true;
	if (p->state == PROC_SETUP)
		p->state = PROC_CREATED;
	json_object_object_add(o, "pid", json_object_new_int(p->pid));
	json_object_object_add(o, AGENT_KEY_PROCESS, json_object_new_string(p->id));
	conn__reply(take_reply(&p->create_reply), o);
	/* The child holds the pty slave open now, so the master can be read without a false EIO. */
	update_ios(p);
}

/* The child failed in setup (create fails) or at exec (start fails). */
static void on_failure(struct proc *p, const char *msg)
{
	if (!p->ready) {
		conn__reply_err(take_reply(&p->create_reply), "%s", msg);
		/* Nobody learned its id: drop it; the reaper takes the pid as a stranger's. */
		kill_live(p, SIGKILL);
		proc_retire(p);
		return;
	}
	conn__reply_err(take_reply(&p->start_reply), "%s", msg);
	/* The host knows it failed: a wait is welcome but not required. */
	p->forget = true;
	if (p->done)
		proc_retire(p);
}

static void on_report_eof(struct proc *p)
{
	watch__close(&p->report);
	if (!p->ready) {
		on_failure(p, "process setup failed: the child exited");
	} else if (p->start_reply.conn) {
		/* close-on-exec closed the pipe: the exec succeeded */
		conn__reply(take_reply(&p->start_reply), NULL);
	}
}

static int write_map(pid_t pid, const char *file, const char *map, struct err **err)
{
	char path[64];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, map, strlen(map)) != (ssize_t)strlen(map))
		return err_errno(err, "write %s of the container's user namespace", file);
	return 0;
}

/* The child's user namespace is made: its maps, then on it goes (spawn.c child_userns). */
static void map_ids(struct proc *p)
{
	_cleanup_err_ struct err *err = NULL;

	if (!p->uid_map || !p->gid_map || write_map(p->pid, "uid_map", p->uid_map, &err) < 0 ||
	    write_map(p->pid, "gid_map", p->gid_map, &err) < 0) {
		on_failure(p, err ? err->msg : "a user namespace nobody asked for");
		return;
	}
	if (write(p->hold_fd, "", 1) != 1)
		on_failure(p, "let the container's init go on after its id maps");
}

static void report_event(struct watch *w, uint32_t events)
{
	struct proc *p = container_of(w, struct proc, report);
	struct spawn_report r;
	char msg[512];
	ssize_t n;

	while (!p->retired && p->report.fd >= 0) {
		n = read(p->report.fd, &r, sizeof(r));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0 || n != sizeof(r)) {
			on_report_eof(p);
			return;
		}
		r.msg[sizeof(r.msg) - 1] = 0;
		if (r.kind == REPORT_MAP_IDS && !p->ready) {
			map_ids(p);
			continue;
		}
		if (r.kind == REPORT_READY) {
			if (!p->ready)
				on_ready(p);
			continue;
		}
		if (r.errnum)
			snprintf(msg, sizeof(msg), "%s: %s", r.msg, strerror(r.errnum));
		else
			snprintf(msg, sizeof(msg), "%s", r.msg);
		on_failure(p, msg);
	}
}

static int proc_init(struct proc *p, const struct proc_spec *spec, struct spawn_fds *fds,
		     struct err **err)
{
	snprintf(p->id, sizeof(p->id), "p%lu", next_id++);
	p->terminal = spec->terminal;
	p->init = spec->init;
	/* What an exec into it enters: the namespaces it made and the pod's that it shares. */
	p->ns = spec->ns_join ? 0 : spec->ns_new | spec->ns_share;
	p->member = spec->member;
	if (p->init) {
		snprintf(p->owner, sizeof(p->owner), "%s", p->id);
	} else if (spec->ns_join) {
		const struct proc *init = find_pid(spec->ns_join);

		snprintf(p->owner, sizeof(p->owner), "%s", init ? init->id : "");
	}
	p->hold_fd = fds->hold;
	p->pty_fd = fds->pty;
	io__init(&p->io[IO_STDIN], p, IO_STDIN, fds->in);
	io__init(&p->io[IO_STDOUT], p, IO_STDOUT, fds->out);
	io__init(&p->io[IO_STDERR], p, IO_STDERR, fds->err);
	watch__init(&p->report, fds->report, report_event);
	*fds = (struct spawn_fds){ -1, -1, -1, -1, -1, -1 };
	return watch__set(&p->report, EPOLLIN, err);
}

void proc__create(const struct proc_spec *spec, struct json_object *args, struct reply r)
{
	_cleanup_err_ struct err *err = NULL;
	struct spawn_fds fds;
	struct proc *p = calloc(1, sizeof(*p));

	if (!p) {
		conn__reply_err(r, "out of memory");
		return;
	}
	if (spec->init && spec->cgroup &&
	    cgroup__make(spec->cgroup, spec->dev_rules, spec->ndev_rules, p->cgroup,
			 sizeof(p->cgroup), &err) < 0) {
		conn__reply_err(r, "create: %s", err->msg);
		free(p);
		return;
	}
	if ((spec->uid_map && !(p->uid_map = strdup(spec->uid_map))) ||
	    (spec->gid_map && !(p->gid_map = strdup(spec->gid_map))) ||
	    spawn__fork(spec, spec->init ? (*p->cgroup ? p->cgroup : NULL) : spec->cgroup_dir,
			&p->pid, &fds, &err) < 0) {
		conn__reply_err(r, "create: %s", err ? err->msg : "out of memory");
		cgroup__remove(p->cgroup);
		free(p->uid_map);
		free(p->gid_map);
		free(p);
		return;
	}
	p->args = json_object_get(args);
	p->create_reply = r;
	p->next = procs;
	procs = p;
	if (proc_init(p, spec, &fds, &err) < 0) {
		conn__reply_err(r, "create: %s", err->msg);
		kill_live(p, SIGKILL);
		proc_retire(p);
		return;
	}
	pr_debug("agent: process %s forked as pid %d", p->id, p->pid);
}

void proc__start(struct proc *p, struct reply r)
{
	if (p->started || p->state != PROC_CREATED) {
		conn__reply_err(r, "process %s %s", p->id,
				p->started ? "is already started" : "exited before it was started");
		return;
	}
	if (write(p->hold_fd, "", 1) != 1) {
		conn__reply_err(r, "start %s: %s", p->id, strerror(errno));
		return;
	}
	close(p->hold_fd);
	p->hold_fd = -1;
	p->started = true;
	p->state = PROC_RUNNING;
	p->start_reply = r;
	for (int i = IO_STDOUT; i < IO_COUNT; i++)
		io__discard_unattached(&p->io[i]);
	/* Already told (EOF came first)? Only a child that died before exec can do that. */
	if (p->report.fd < 0) {
		conn__reply_err(r, "process %s exited before it was started", p->id);
		p->start_reply.conn = NULL;
	}
}

/* A pod member's init has exited: its cgroup's processes and its execs end, no others. */
static void kill_the_container(const struct proc *init)
{
	char path[128];
	FILE *f;

	pr_debug("agent: member init %s exited: killing its container", init->id);
	snprintf(path, sizeof(path), "%s/cgroup.kill", init->cgroup);
	if (*init->cgroup && (f = fopen(path, "we"))) {
		fputs("1", f);
		if (fclose(f) != 0)
			pr_warn("agent: %s: %s", path, strerror(errno));
	} else if (*init->cgroup) {
		pr_warn("agent: %s: %s", path, strerror(errno));
	}
	for (struct proc *p = procs; p; p = p->next)
		if (!p->retired && !strcmp(p->owner, init->id))
			kill_live(p, SIGKILL);
}

/*
 * When a container's init exits, the kernel ends its PID namespace; the agent also ends what
 * lives outside one (a container without a PID namespace of its own, processes still held
 * before exec), or a daemon left holding init's stdout would keep init's wait from answering.
 */
static void kill_the_rest(const struct proc *init)
{
	if (init->member) {
		kill_the_container(init);
		return;
	}
	pr_debug("agent: init %s exited: killing every other process", init->id);
	if (getpid() == 1)
		kill(-1, SIGKILL);
	else
		kill(-init->pid, SIGKILL); /* test mode: its group, which its children share */
	for (struct proc *p = procs; p; p = p->next)
		if (!p->retired)
			kill_live(p, SIGKILL);
}

static void on_exit_status(struct proc *p, int status)
{
	p->status = status;
	p->state = PROC_EXITED;
	pr_debug("agent: pid %d (%s) exited, status %d", p->pid, p->id, proc__exit_status(p));
	if (p->init) {
		kill_the_rest(p);
		cgroup__remove(p->cgroup);
	}
	/* Killed while held: nobody will attach output streams any more. */
	for (int i = IO_STDOUT; i < IO_COUNT; i++)
		io__discard_unattached(&p->io[i]);
	proc__check_done(p);
}

void proc__reap(void)
{
	struct proc *p;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		p = find_pid(pid);
		if (p)
			on_exit_status(p, status);
	}
}

bool proc__owes(const struct conn *c)
{
	for (struct proc *p = procs; p; p = p->next) {
		if (p->retired)
			continue;
		if (p->create_reply.conn == c || p->start_reply.conn == c)
			return true;
		for (struct waiter *w = p->waiters; w; w = w->next)
			if (w->r.conn == c)
				return true;
	}
	return false;
}

void proc__forget_conn(struct conn *c)
{
	for (struct proc *p = procs; p; p = p->next) {
		for (struct waiter *w = p->waiters; w; w = w->next)
			if (w->r.conn == c)
				w->r.conn = NULL;
		if (p->start_reply.conn == c)
			p->start_reply.conn = NULL;
		if (p->create_reply.conn == c) {
			/* Nobody will ever learn this process's id. */
			p->create_reply.conn = NULL;
			p->forget = true;
			kill_live(p, SIGKILL);
		}
	}
}

static void proc_free(struct proc *p)
{
	struct waiter *w;

	while ((w = p->waiters)) {
		p->waiters = w->next;
		free(w);
	}
	for (int i = 0; i < IO_COUNT; i++)
		free(p->io[i].buf);
	json_object_put(p->args);
	if (p->init)
		cgroup__remove(p->cgroup); /* its processes are gone by now */
	free(p->uid_map);
	free(p->gid_map);
	free(p);
}

void proc__collect(void)
{
	struct proc **pp = &procs, *p;

	while ((p = *pp)) {
		if (p->retired) {
			*pp = p->next;
			proc_free(p);
		} else {
			pp = &p->next;
		}
	}
}

/* Test mode's stand-in for kill(-1): our children, orphans that the subreaper adopted too. */
static void signal_children(int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid();

	while (d && (de = readdir(d))) {
		char path[64];
		int pid = atoi(de->d_name), ppid = 0;
		_cleanup_fclose_ FILE *f = NULL;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "re");
		if (f && fscanf(f, "%*d (%*[^)]) %*c %d", &ppid) == 1 && ppid == self)
			kill(pid, sig);
	}
	if (d)
		closedir(d);
}

void proc__signal_all(bool pid1, int sig)
{
	if (pid1) {
		kill(-1, sig); /* everything but init itself */
		return;
	}
	/* Each process leads its own session and group; an exited one's group may live on. */
	for (struct proc *p = procs; p; p = p->next)
		if (!p->retired && !p->done)
			kill(-p->pid, sig);
	signal_children(sig);
}

bool proc__all_done(void)
{
	for (struct proc *p = procs; p; p = p->next)
		if (!p->retired && !p->done)
			return false;
	return true;
}

/* Last resort at exit: SIGKILL what is left and reap it for up to timeout_ms. */
void proc__kill_rest(bool pid1, int timeout_ms)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };

	proc__signal_all(pid1, SIGKILL);
	for (int t = 0; t < timeout_ms; t += 10) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid < 0 && errno == ECHILD)
			return;
		if (pid == 0)
			nanosleep(&pause, NULL);
	}
}
