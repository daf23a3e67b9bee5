/* Forks a managed process and runs its setup in the child; see spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../container/ns.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* The child's report and hold fds land here, right above stdio; everything above is closed. */
#define CHILD_REPORT_FD 3
#define CHILD_HOLD_FD 4

/* The child's ends; -1 where there is none. */
struct child_fds {
	int hold, report, in, out, err;
	int cgroup;	/* the cgroup.procs to join, or -1 */
	int master;	/* the pty's master (the parent's), -1 without a terminal */
	char slave[64];	/* the pty slave's path, for messages */
};

static void report(int fd, int kind, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report(int fd, int kind, int errnum, const char *fmt, ...)
{
	struct spawn_report r = { .kind = kind, .errnum = errnum };
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
	va_end(ap);
	do
		n = write(fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
}

/* In the child: where its reports go, first the pipe's own fd, then CHILD_REPORT_FD. */
static int report_fd = -1;

#define child_fail(...)                                                \
	do {                                                           \
		report(report_fd, REPORT_ERROR, errno, __VA_ARGS__);  \
		_exit(127);                                            \
	} while (0)

static _Noreturn void child_fail_err(struct err *err)
{
	report(report_fd, REPORT_ERROR, 0, "%s", err ? err->msg : "failed");
	_exit(127);
}

/* Signal handling is inherited and ignored signals survive exec: start from defaults. */
static void reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* dup2 onto a target, also when the fd is already there (dup2 would keep it close-on-exec). */
static int place_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

static void child_stdio(const struct child_fds *c)
{
	int tty, in = c->in;

	if (setsid() < 0)
		child_fail("setsid");
	if (c->master >= 0) {
		/* The peer of our master, whichever devpts instance it lives in: no path lookup. */
		tty = ioctl(c->master, TIOCGPTPEER, O_RDWR);
		if (tty < 0)
			child_fail("open terminal %s", c->slave);
		if (ioctl(tty, TIOCSCTTY, 0) < 0)
			child_fail("make %s the controlling terminal", c->slave);
		if (place_fd(tty, 0) < 0 || place_fd(tty, 1) < 0 || place_fd(tty, 2) < 0)
			child_fail("dup terminal");
		return;
	}
	if (in < 0) {
		in = open("/dev/null", O_RDONLY);
		if (in < 0)
			child_fail("open /dev/null");
	}
	if (place_fd(in, 0) < 0 || place_fd(c->out, 1) < 0 || place_fd(c->err, 2) < 0)
		child_fail("dup stdio");
}

/*
 * Close-on-exec would close the agent's fds only at exec, but a held child can wait long
 * before that, and its copies of other processes' stream sockets and pipes would hide their
 * EOFs meanwhile. So keep stdio and the two fds the child needs, and close the rest now.
 */
static void child_close_fds(const struct child_fds *c)
{
	int r = fcntl(c->report, F_DUPFD_CLOEXEC, 10);
	int h = fcntl(c->hold, F_DUPFD_CLOEXEC, 10);

	if (r < 0 || h < 0 || dup3(r, CHILD_REPORT_FD, O_CLOEXEC) < 0 ||
	    dup3(h, CHILD_HOLD_FD, O_CLOEXEC) < 0)
		child_fail("move the report and hold fds");
	report_fd = CHILD_REPORT_FD;
	if (syscall(SYS_close_range, CHILD_HOLD_FD + 1, ~0U, 0) < 0) {
		for (int fd = CHILD_HOLD_FD + 1; fd < 65536; fd++)
			close(fd);
	}
}

/* Before the root changes, which may leave no /proc, and while the child may still lower
 * its score. */
static void child_settings(const struct proc_spec *s)
{
	_cleanup_close_ int fd = -1;

	if (s->set_umask)
		umask(s->umask);
	if (!s->set_oom)
		return;
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || dprintf(fd, "%d", s->oom_score_adj) < 0)
		child_fail("oom_score_adj %d", s->oom_score_adj);
}

/* In runc's order: bounding set, keep caps across setuid, chdir as the user, then the sets. */
static void child_identity(const struct proc_spec *s)
{
	_cleanup_err_ struct err *err = NULL;

	for (size_t i = 0; i < s->nrlimits; i++)
		if (setrlimit(s->rlimits[i].resource, &s->rlimits[i].lim) < 0)
			child_fail("setrlimit %d", s->rlimits[i].resource);
	/* Into the process's root while we still may (a container's init has pivoted into it,
	 * an exec joined it); PATH is searched there, after this. */
	if (s->root && !(s->ns_new & CLONE_NEWNS) && (chroot(s->root) < 0 || chdir("/") < 0))
		child_fail("chroot '%s'", s->root);
	/* Without no_new_privileges, loading a filter takes CAP_SYS_ADMIN: do it before the
	 * capabilities go (runc's order); with it, as late as can be (child_main). */
	if (!s->no_new_privs && scfilter__load(&s->seccomp) < 0)
		child_fail("load the seccomp filter");
	if (caps__before_setuid(&s->caps, &err) < 0)
		child_fail_err(err);
	/* Unprivileged (tests), dropping the supplementary groups is neither possible nor asked. */
	if (s->ngids || (s->set_user && geteuid() == 0))
		if (setgroups(s->ngids, s->gids) < 0)
			child_fail("setgroups");
	if (s->set_user && setgid(s->gid) < 0)
		child_fail("setgid %u", (unsigned int)s->gid);
	if (s->set_user && setuid(s->uid) < 0)
		child_fail("setuid %u", (unsigned int)s->uid);
	if (s->cwd && chdir(s->cwd) < 0)
		child_fail("chdir '%s'", s->cwd);
	if (caps__after_setuid(&s->caps, &err) < 0)
		child_fail_err(err);
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail("no_new_privileges");
}

static const char *env_path(char **envp)
{
	for (; *envp; envp++)
		if (!strncmp(*envp, "PATH=", 5))
			return *envp + 5;
	return DEFAULT_PATH;
}

static int executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno;
	if (!S_ISREG(st.st_mode))
		return EACCES;
	return access(path, X_OK) < 0 ? errno : 0;
}

/* execvpe's lookup, but with the process's PATH (not the agent's) and done before start. */
static int find_exec(const char *name, char **envp, char *out, size_t len)
{
	const char *dir = env_path(envp), *end;
	int seen = ENOENT, e;

	if (!*name)
		return ENOENT;
	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return executable(out);
	}
	for (; dir; dir = *end ? end + 1 : NULL) {
		end = strchrnul(dir, ':');
		if (end == dir)
			snprintf(out, len, "./%s", name);
		else
			snprintf(out, len, "%.*s/%s", (int)(end - dir), dir, name);
		e = executable(out);
		if (!e)
			return 0;
		if (e == EACCES)
			seen = EACCES;
	}
	return seen;
}

/* Into the container's cgroup first, so its cgroup namespace (if new) is rooted there. */
static void child_cgroup(const struct child_fds *c)
{
	if (c->cgroup >= 0 && write(c->cgroup, "0", 1) != 1)
		child_fail("join the container's cgroup");
}

/*
 * An init's user namespace, made last: the namespaces and mounts before it stay the guest
 * root's, so the container's root is root over nothing but its ids (its mounts and
 * hostname are fixed). Its maps take a writer outside it: the agent, told on the report pipe,
 * answers on the hold pipe.
 */
static void child_userns(const struct proc_spec *s, const struct child_fds *c)
{
	ssize_t n;
	char go;

	if (!(s->ns_new & CLONE_NEWUSER) || s->ns_join)
		return;
	if (unshare(CLONE_NEWUSER) < 0)
		child_fail("new user namespace");
	report(report_fd, REPORT_MAP_IDS, 0, "map ids");
	do
		n = read(c->hold, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127); /* the agent could not map us, and said why */
}

static _Noreturn void child_main(const struct proc_spec *s, const struct child_fds *c,
				 const struct ns_fork *nf)
{
	_cleanup_err_ struct err *err = NULL;
	char path[4096], go;
	ssize_t n;
	int e;

	report_fd = c->report;
	reset_signals();
	child_stdio(c);
	child_settings(s);
	child_cgroup(c);
	/* While the join fds are still open, and /proc is the agent's. */
	if (ns__child(s, nf, &err) < 0)
		child_fail_err(err);
	child_userns(s, c);
	child_close_fds(c);
	child_identity(s);
	e = find_exec(s->argv[0], s->envp, path, sizeof(path));
	if (e) {
		errno = e;
		child_fail("exec: %s", s->argv[0]);
	}
	report(report_fd, REPORT_READY, 0, "ready");
	do
		n = read(CHILD_HOLD_FD, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127); /* the agent dropped us before start */
	close(CHILD_HOLD_FD);
	if (s->no_new_privs && scfilter__load(&s->seccomp) < 0)
		child_fail("load the seccomp filter");
	execve(path, s->argv, s->envp);
	child_fail("exec: %s", s->argv[0]);
}

static int set_nonblock(int fd, struct err **err)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return err_errno(err, "set O_NONBLOCK");
	return 0;
}

/* A pipe whose parent end is non-blocking; both ends close-on-exec. */
static int make_pipe(int *parent, int *child, bool parent_reads, struct err **err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return err_errno(err, "pipe");
	*parent = parent_reads ? p[0] : p[1];
	*child = parent_reads ? p[1] : p[0];
	return set_nonblock(*parent, err);
}

/*
 * A process in a container root gets its terminal from the container's own devpts (mounted
 * there from the spec), so that /dev/pts/N names it inside the container; -1 when the root
 * has none, and the guest's instance serves.
 */
static int container_ptmx(const struct proc_spec *s)
{
	char path[4096];
	struct stat st;

	if (!s->root || snprintf(path, sizeof(path), "%s/dev/pts/ptmx", s->root) >= (int)sizeof(path))
		return -1;
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	/* Only a devpts ptmx (5:2) will do: the container's tree is not to be trusted. */
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int open_pty(const struct proc_spec *s, struct spawn_fds *fds, struct child_fds *c,
		    struct err **err)
{
	static const struct winsize default_size = { .ws_row = 24, .ws_col = 80 };
	int e;

	fds->pty = container_ptmx(s);
	if (fds->pty < 0)
		fds->pty = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fds->pty < 0)
		return err_errno(err, "open a pty (posix_openpt)");
	c->master = fds->pty;
	if (grantpt(fds->pty) < 0 || unlockpt(fds->pty) < 0)
		return err_errno(err, "unlock the pty");
	e = ptsname_r(fds->pty, c->slave, sizeof(c->slave));
	if (e)
		return err_code(err, e, "ptsname");
	/* A new pty is 0x0, which many programs take for an error: default to 24x80. */
	if (ioctl(fds->pty, TIOCSWINSZ, s->has_size ? &s->size : &default_size) < 0)
		return err_errno(err, "set the console size");
	if (set_nonblock(fds->pty, err) < 0)
		return -1;
	/* One fd per direction: epoll registers (file, fd) pairs, so each gets its own watch. */
	fds->in = fcntl(fds->pty, F_DUPFD_CLOEXEC, 3);
	fds->out = fcntl(fds->pty, F_DUPFD_CLOEXEC, 3);
	if (fds->in < 0 || fds->out < 0)
		return err_errno(err, "dup the pty master");
	return 0;
}

static int open_stdio(const struct proc_spec *s, struct spawn_fds *fds, struct child_fds *c,
		      struct err **err)
{
	if (s->terminal)
		return open_pty(s, fds, c, err);
	if (s->has_stdin && make_pipe(&fds->in, &c->in, false, err) < 0)
		return -1;
	if (make_pipe(&fds->out, &c->out, true, err) < 0 ||
	    make_pipe(&fds->err, &c->err, true, err) < 0)
		return -1;
	return 0;
}

static void close_child_fds(struct child_fds *c)
{
	int *all[] = { &c->hold, &c->report, &c->in, &c->out, &c->err, &c->cgroup };

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (*all[i] >= 0) {
			close(*all[i]);
			*all[i] = -1;
		}
}

void spawn__close(struct spawn_fds *fds)
{
	int *all[] = { &fds->hold, &fds->report, &fds->pty, &fds->in, &fds->out, &fds->err };

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (*all[i] >= 0) {
			close(*all[i]);
			*all[i] = -1;
		}
}

int spawn__fork(const struct proc_spec *spec, const char *cgroup, pid_t *pid,
		struct spawn_fds *fds, struct err **err)
{
	struct child_fds c = { .hold = -1, .report = -1, .in = -1, .out = -1, .err = -1,
				.cgroup = -1, .master = -1 };
	char procs[PATH_MAX];
	struct ns_fork nf;
	pid_t child;

	*fds = (struct spawn_fds){ -1, -1, -1, -1, -1, -1 };
	if (cgroup) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
		c.cgroup = open(procs, O_WRONLY | O_CLOEXEC);
		if (c.cgroup < 0) {
			err_errno(err, "open %s", procs);
			goto fail;
		}
	}
	if (make_pipe(&fds->hold, &c.hold, false, err) < 0 ||
	    make_pipe(&fds->report, &c.report, true, err) < 0 ||
	    open_stdio(spec, fds, &c, err) < 0)
		goto fail;
	if (ns__parent_before(spec, &nf, err) < 0) {
		ns__parent_after(&nf);
		goto fail;
	}
	child = fork();
	if (child == 0)
		child_main(spec, &c, &nf);
	if (child < 0)
		err_errno(err, "fork");
	ns__parent_after(&nf);
	if (child < 0)
		goto fail;
	close_child_fds(&c);
	*pid = child;
	return 0;
fail:
	close_child_fds(&c);
	spawn__close(fds);
	return -1;
}
