/*
 * The per-role seccomp filters: each builds, a forbidden call kills the thread's process
 * while its allowed calls go through, the argument filters (ioctl numbers, PROT_EXEC, clone
 * for threads only, socket domains) hold, and the SIGSYS report names thread and call.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine/seccomp.h"
#include "lib/log.h"
#include "tests/unit/tap.h"

enum probe {
	PROBE_GETPID,		/* in every list */
	PROBE_GETCPU,		/* in none */
	PROBE_KVM_RUN,		/* an allowed ioctl number, on a bad fd */
	PROBE_TIOCGWINSZ,	/* an ioctl number the vCPU list lacks */
	PROBE_MMAP_RW,
	PROBE_MMAP_EXEC,
	PROBE_FORK,		/* clone without CLONE_THREAD */
	PROBE_INET_SOCKET,
	PROBE_UNIX_SOCKET,
};

static void probe(enum probe p)
{
	switch (p) {
	case PROBE_GETPID:
		syscall(SYS_getpid);
		break;
	case PROBE_GETCPU:
		syscall(SYS_getcpu, NULL, NULL, NULL);
		break;
	case PROBE_KVM_RUN:
		syscall(SYS_ioctl, -1, KVM_RUN, 0);
		break;
	case PROBE_TIOCGWINSZ:
		syscall(SYS_ioctl, -1, TIOCGWINSZ, 0);
		break;
	case PROBE_MMAP_RW:
		syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case PROBE_MMAP_EXEC:
		syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case PROBE_FORK:
		/* A fork that would return 0 in a child that exits at once. */
		if (syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) == 0)
			syscall(SYS_exit_group, 0);
		break;
	case PROBE_INET_SOCKET:
		syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
		break;
	case PROBE_UNIX_SOCKET:
		syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
		break;
	}
}

/* The wait status of a child that loads role's filter in mode, then makes call p. */
static int run(enum thread_role role, enum seccomp_mode mode, enum probe p)
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		struct err *err = NULL;

		if (seccomp__load(role, mode, &err) < 0)
			_exit(99);
		probe(p);
		syscall(SYS_exit_group, 0);
	}
	waitpid(pid, &st, 0);
	return st;
}

static bool killed(int st)
{
	return WIFSIGNALED(st) && (WTERMSIG(st) == SIGSYS || WTERMSIG(st) == SIGKILL);
}

static bool passed(int st)
{
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The reporter: a child set up as the sandbox is, whose vCPU-role thread calls getcpu. */
static void check_report(void)
{
	int p[2], st = -1;
	char out[1024] = "";
	ssize_t n;

	if (pipe(p) < 0)
		return;
	pid_t pid = fork();

	if (pid == 0) {
		struct err *err = NULL;

		dup2(p[1], STDERR_FILENO);
		prctl(PR_SET_NAME, "vcpu7");
		if (seccomp__setup(SECCOMP_MODE_KILL, &err) < 0 ||
		    seccomp__enter(THREAD_VCPU, &err) < 0)
			_exit(99);
		probe(PROBE_GETCPU);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the reporter ends the process by SIGKILL");
	CHECK(strstr(out, "seccomp: thread vcpu7 made syscall ") && strstr(out, "(getcpu)"),
	      "the report names the thread and the call: %s", out);
}

int main(void)
{
	for (int r = 0; r < THREAD_ROLES; r++) {
		struct err *err = NULL;
		size_t rules = 0, insns = 0;
		const char *name = thread_role__name(r);

		CHECK(seccomp__measure(r, &rules, &insns, &err) == 0 && rules > 10 && insns > rules,
		      "%s: the filter builds (%zu rules, %zu BPF instructions)", name, rules, insns);
		CHECK(killed(run(r, SECCOMP_MODE_KILL, PROBE_GETCPU)),
		      "%s: a call outside the list kills", name);
		CHECK(passed(run(r, SECCOMP_MODE_KILL, PROBE_GETPID)), "%s: an allowed call runs",
		      name);
		CHECK(passed(run(r, SECCOMP_MODE_LOG, PROBE_GETCPU)),
		      "%s: in log mode the call outside the list runs", name);
		CHECK(passed(run(r, SECCOMP_MODE_KILL, PROBE_MMAP_RW)), "%s: mmap read-write runs",
		      name);
		CHECK(killed(run(r, SECCOMP_MODE_KILL, PROBE_MMAP_EXEC)), "%s: mmap PROT_EXEC kills",
		      name);
		CHECK(killed(run(r, SECCOMP_MODE_KILL, PROBE_FORK)), "%s: a fork (clone without "
		      "CLONE_THREAD) kills", name);
		err_free(&err);
	}
	CHECK(passed(run(THREAD_VCPU, SECCOMP_MODE_KILL, PROBE_KVM_RUN)),
	      "vcpu: ioctl KVM_RUN runs");
	CHECK(killed(run(THREAD_VCPU, SECCOMP_MODE_KILL, PROBE_TIOCGWINSZ)),
	      "vcpu: an ioctl number outside its list kills");
	CHECK(killed(run(THREAD_FS, SECCOMP_MODE_KILL, PROBE_UNIX_SOCKET)),
	      "fs: socket() kills");
	CHECK(killed(run(THREAD_LOOP, SECCOMP_MODE_KILL, PROBE_INET_SOCKET)),
	      "loop: an AF_INET socket kills");
	CHECK(passed(run(THREAD_LOOP, SECCOMP_MODE_KILL, PROBE_UNIX_SOCKET)),
	      "loop: an AF_UNIX socket runs");
	check_report();

	enum seccomp_mode m;
	struct err *err = NULL;

	setenv("KAGE_SECCOMP", "audit", 1);
	CHECK(seccomp__mode_from_env(SECCOMP_MODE_KILL, &m, &err) < 0 && err &&
	      strstr(err->msg, "KAGE_SECCOMP"), "an unknown KAGE_SECCOMP is an error naming it");
	err_free(&err);
	setenv("KAGE_SECCOMP", "log", 1);
	CHECK(seccomp__mode_from_env(SECCOMP_MODE_KILL, &m, &err) == 0 && m == SECCOMP_MODE_LOG,
	      "KAGE_SECCOMP=log selects log mode");
	return tap_done();
}
