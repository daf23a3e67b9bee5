/* Builds, loads and reports the per-role seccomp filters (see seccomp.h). */
#include "seccomp.h"
#include "seccomp_filter.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/log.h"

static const filter_fn role_filters[THREAD_ROLES] = {
	[THREAD_MAIN] = filter__main,
	[THREAD_VCPU] = filter__vcpu,
	[THREAD_LOOP] = filter__loop,
	[THREAD_BLK] = filter__blk,
	[THREAD_FS] = filter__fs,
	[THREAD_DNS] = filter__dns,
	[THREAD_NETWATCH] = filter__netwatch,
};

/* Syscall names by number, resolved before any filter: the SIGSYS handler cannot allocate. */
#define NAMES_MAX 512
static char sys_names[NAMES_MAX][24];

static enum seccomp_mode confine_mode;
static int violate_role = -1;	/* KAGE_TEST_SECCOMP_VIOLATE: the tests' forbidden call */
static pid_t confine_pid;
static __thread char thread_name[16];

int seccomp__mode_from_name(const char *name)
{
	if (!strcmp(name, "kill"))
		return SECCOMP_MODE_KILL;
	if (!strcmp(name, "log"))
		return SECCOMP_MODE_LOG;
	return -1;
}

const char *seccomp__mode_name(enum seccomp_mode mode)
{
	return mode == SECCOMP_MODE_LOG ? "log" : "kill";
}

int seccomp__mode_from_env(enum seccomp_mode fallback, enum seccomp_mode *mode, struct err **err)
{
	const char *v = getenv("KAGE_SECCOMP");
	int m;

	*mode = fallback;
	if (!v || !*v)
		return 0;
	m = seccomp__mode_from_name(v);
	if (m < 0)
		return err_msg(err, "KAGE_SECCOMP: unknown value '%s' (one of kill, log)", v);
	*mode = m;
	return 0;
}

static void append(char *buf, size_t size, size_t *len, const char *s)
{
	for (; *s && *len + 1 < size; s++)
		buf[(*len)++] = *s;
	buf[*len] = 0;
}

static void append_num(char *buf, size_t size, size_t *len, long v)
{
	char digits[24];
	int i = sizeof(digits) - 1;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;

	digits[i] = 0;
	do
		digits[--i] = '0' + u % 10;
	while ((u /= 10) && i > 1);
	if (v < 0)
		digits[--i] = '-';
	append(buf, size, len, digits + i);
}

/* Async-signal-safe: fixed buffers, one write, then the process ends. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[256];
	size_t len = 0;
	int nr = si->si_syscall;

	(void)sig;
	(void)uc;
	append(msg, sizeof(msg), &len, "seccomp: thread ");
	append(msg, sizeof(msg), &len, *thread_name ? thread_name : "?");
	append(msg, sizeof(msg), &len, " made syscall ");
	append_num(msg, sizeof(msg), &len, nr);
	append(msg, sizeof(msg), &len, " (");
	append(msg, sizeof(msg), &len,
	       nr >= 0 && nr < NAMES_MAX && *sys_names[nr] ? sys_names[nr] : "unknown");
	append(msg, sizeof(msg), &len, "), not in its list; killing the sandbox");
	log__write_signal_safe(LOG_ERROR, msg);
	/* Both are in every thread's list; exit_group only if SIGKILL somehow did not land. */
	syscall(SYS_kill, confine_pid, SIGKILL);
	syscall(SYS_exit_group, 128 + SIGSYS);
}

static void resolve_names(void)
{
	for (int nr = 0; nr < NAMES_MAX; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (name) {
			strncpy(sys_names[nr], name, sizeof(sys_names[nr]) - 1);
			free(name);
		}
	}
}

static int build(enum thread_role role, enum seccomp_mode mode, scmp_filter_ctx *out,
		 size_t *rules, struct err **err)
{
	struct filter f = { .pid = confine_pid ? confine_pid : getpid() };
	int r;

	*out = NULL;
	if (rules)
		*rules = 0;
	if ((unsigned int)role >= THREAD_ROLES)
		return err_msg(err, "seccomp: no thread role %d", role);
	f.ctx = seccomp_init(mode == SECCOMP_MODE_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	if (!f.ctx)
		return err_msg(err, "seccomp: cannot start the %s thread's filter",
			       thread_role__name(role));
	/* no_new_privs is set once for the process (seccomp__setup), not per filter. */
	r = seccomp_attr_set(f.ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* A binary search over the syscall numbers instead of a linear list: every syscall of
	 * every thread runs the filter, the FUSE and blk workers' above all. */
	if (!r)
		r = seccomp_attr_set(f.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (!r)
		r = filter__common(&f);
	if (!r)
		r = role_filters[role](&f);
	if (r < 0) {
		seccomp_release(f.ctx);
		return err_code(err, -r, "seccomp: the %s thread's filter", thread_role__name(role));
	}
	*out = f.ctx;
	if (rules)
		*rules = f.rules;
	return 0;
}

int seccomp__load(enum thread_role role, enum seccomp_mode mode, struct err **err)
{
	scmp_filter_ctx ctx;
	int r;

	if (build(role, mode, &ctx, NULL, err) < 0)
		return -1;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return err_code(err, -r, "seccomp: load the %s thread's filter",
				thread_role__name(role));
	return 0;
}

int seccomp__measure(enum thread_role role, size_t *rules, size_t *insns, struct err **err)
{
	scmp_filter_ctx ctx;
	size_t len = 0;
	int fd, r;

	*insns = 0;
	if (build(role, SECCOMP_MODE_KILL, &ctx, rules, err) < 0)
		return -1;
	fd = memfd_create("kage-bpf", MFD_CLOEXEC);
	r = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
	if (!r)
		len = lseek(fd, 0, SEEK_END);
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	if (r < 0)
		return err_code(err, -r, "seccomp: export the %s thread's filter",
				thread_role__name(role));
	*insns = len / 8;	/* struct sock_filter is 8 bytes */
	return 0;
}

int seccomp__enter(enum thread_role role, struct err **err)
{
	sigset_t sys;

	if (prctl(PR_GET_NAME, thread_name) < 0)
		thread_name[0] = 0;
	/* A blocked SIGSYS would kill without the report: workers start with all blocked. */
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	if (seccomp__load(role, confine_mode, err) < 0)
		return -1;
	if ((int)role == violate_role) {
		pr_warn("seccomp: KAGE_TEST_SECCOMP_VIOLATE: the %s thread makes a forbidden call",
			thread_role__name(role));
		syscall(SYS_getcpu, NULL, NULL, NULL);
	}
	return 0;
}

/* The hook: a thread that cannot be confined must not run unconfined. */
static void enter_role(enum thread_role role)
{
	_cleanup_err_ struct err *err = NULL;

	if (seccomp__enter(role, &err) < 0) {
		pr_err("%s; ending the process", err->msg);
		syscall(SYS_exit_group, 1);
	}
}

int seccomp__setup(enum seccomp_mode mode, struct err **err)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	const char *violate = getenv("KAGE_TEST_SECCOMP_VIOLATE");

	confine_mode = mode;
	confine_pid = getpid();
	if (violate && *violate && (violate_role = thread_role__from_name(violate)) < 0)
		return err_msg(err, "KAGE_TEST_SECCOMP_VIOLATE: no thread role '%s'", violate);
	/* Probed once here, unfiltered: libseccomp caches what the kernel supports. */
	if (seccomp_api_get() < 1)
		return err_msg(err, "seccomp: the kernel has no seccomp filters");
	resolve_names();
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return err_errno(err, "seccomp: SIGSYS handler");
	/* What lets an unprivileged thread load a filter; the sandbox execs nothing after. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_errno(err, "seccomp: no_new_privs");
	if (mode == SECCOMP_MODE_LOG)
		pr_warn("seccomp: log mode (KAGE_SECCOMP=log): calls outside a thread's list are "
			"logged by the kernel, not stopped");
	thread_role__register(enter_role);
	return 0;
}
