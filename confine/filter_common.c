/*
 * What every thread may do, and the helpers the role lists are written with. Memory is never
 * made executable after start: kage is one static binary and loads no code.
 */
#include "seccomp_filter.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>

int filter__rule(struct filter *f, int nr, unsigned int n, const struct scmp_arg_cmp *args)
{
	int r = seccomp_rule_add_array(f->ctx, SCMP_ACT_ALLOW, nr, n, args);

	if (!r)
		f->rules++;
	return r;
}

int filter__allow(struct filter *f, const int *nrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = filter__rule(f, nrs[i], 0, NULL);

		if (r < 0)
			return r;
	}
	return 0;
}

int filter__allow_ioctls(struct filter *f, const unsigned long *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* musl passes the request as an int, sign-extended: compare its low 32 bits,
		 * which are all the kernel reads. */
		struct scmp_arg_cmp req = ARG_MASKED(1, 0xffffffffu, reqs[i]);
		int r = filter__rule(f, SCMP_SYS(ioctl), 1, &req);

		if (r < 0)
			return r;
	}
	return 0;
}

int filter__allow_sockets(struct filter *f, const int *domains, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct scmp_arg_cmp dom = ARG_EQ(0, domains[i]);
		int r = filter__rule(f, SCMP_SYS(socket), 1, &dom);

		if (r < 0)
			return r;
	}
	return 0;
}

int filter__allow_threads(struct filter *f)
{
	struct scmp_arg_cmp thread = ARG_MASKED(0, CLONE_THREAD, CLONE_THREAD);
	int r = filter__rule(f, SCMP_SYS(clone), 1, &thread);

	/* clone3's flags sit in memory a filter cannot read: say "no such call", and a libc
	 * that tries it first (glibc) falls back to clone. */
	if (!r)
		r = seccomp_rule_add(f->ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	return r;
}

static const int common_syscalls[] = {
	/* malloc, thread stacks and the exit of a thread */
	SCMP_SYS(brk),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(madvise),
	SCMP_SYS(futex),
	SCMP_SYS(sched_yield),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	/* signals: the vCPU kick, SIGSYS's report, a call restarted after a handler */
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(restart_syscall),
	/* log lines, and the time they carry when the vDSO cannot answer */
	SCMP_SYS(write),
	SCMP_SYS(writev),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	SCMP_SYS(close),
};

int filter__common(struct filter *f)
{
	struct scmp_arg_cmp no_exec = ARG_MASKED(2, PROT_EXEC, 0);
	struct scmp_arg_cmp self = ARG_EQ(0, (scmp_datum_t)f->pid);
	struct scmp_arg_cmp self_kill[] = { self, ARG_EQ(1, SIGKILL) };
	int r = filter__allow(f, common_syscalls, FILTER_LEN(common_syscalls));

	if (!r)
		r = filter__rule(f, SCMP_SYS(mmap), 1, &no_exec);
	if (!r)
		r = filter__rule(f, SCMP_SYS(mprotect), 1, &no_exec);
	/* Threads signal their own process only: the vCPU kick, abort(), and SIGSYS's end. */
	if (!r)
		r = filter__rule(f, SCMP_SYS(tgkill), 1, &self);
	if (!r)
		r = filter__rule(f, SCMP_SYS(kill), 2, self_kill);
	return r;
}
