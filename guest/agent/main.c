/*
 * kage-agent: PID 1 of every kage microVM. It mounts a minimal system, reaps every orphan and
 * serves the control protocol (docs/agent-protocol.md) on vsock, running the container's
 * processes. `--listen-unix PREFIX` serves the same protocol on unix sockets for host tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "../../lib/log.h"
#include "conn.h"
#include "listen.h"
#include "loop.h"
#include "mount/mounts.h"
#include "ops.h"
#include "proc/proc.h"
#include "proc/stream.h"

/* Shutdown: SIGTERM, then SIGKILL after the grace time, then give up on draining output. */
#define SHUTDOWN_GRACE_MS 2000
#define SHUTDOWN_KILL_MS 1000

enum shutdown_phase { RUNNING, TERMINATING, KILLING };

struct agent {
	bool pid1;
	bool test_mode;
	enum shutdown_phase phase;
	struct listeners listen;
	struct watch ctl_w, io_w, sig_w, timer_w;
};

static struct agent agent = { .listen = { -1, -1 } };

static void arm_timer(int ms)
{
	struct itimerspec its = { .it_value = { ms / 1000, (ms % 1000) * 1000000L } };

	if (timerfd_settime(agent.timer_w.fd, 0, &its, NULL) < 0 ||
	    watch__set(&agent.timer_w, EPOLLIN, NULL) < 0)
		loop__quit(); /* no timer, no grace: exit now */
}

bool agent__test_mode(void)
{
	return agent.test_mode;
}

bool agent__shutting_down(void)
{
	return agent.phase != RUNNING;
}

static void stop_listening(void)
{
	watch__close(&agent.ctl_w);
	watch__close(&agent.io_w);
	agent.listen.ctl = agent.listen.io = -1;
}

/* No child left at all, managed or orphan (WNOWAIT: the reaper still gets the statuses). */
static bool no_children(void)
{
	siginfo_t si;

	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD;
}

/*
 * Processes get SIGTERM and the loop keeps running, so their exits and last output still
 * reach the host's waits; collect() ends the loop once all are done, the timer otherwise.
 */
void agent__request_shutdown(void)
{
	if (agent.phase != RUNNING)
		return;
	pr_debug("agent: shutting down");
	sync(); /* what was written so far is safe even if a process hangs in its exit */
	agent.phase = TERMINATING;
	stop_listening();
	proc__signal_all(agent.pid1, SIGTERM);
	arm_timer(SHUTDOWN_GRACE_MS);
}

static void timer_event(struct watch *w, uint32_t events)
{
	uint64_t ticks;

	if (read(w->fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	if (agent.phase == TERMINATING) {
		agent.phase = KILLING;
		proc__signal_all(agent.pid1, SIGKILL);
		arm_timer(SHUTDOWN_KILL_MS);
	} else {
		loop__quit();
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kage-agent [--listen-unix PREFIX] [--debug]\n\n"
		"The guest agent of kage microVMs: PID 1, serving on vsock ports %d (control)\n"
		"and %d (stdio). --listen-unix serves on PREFIX.ctl and PREFIX.io instead.\n"
		"--debug (or KAGE_AGENT_DEBUG=1, e.g. on the kernel command line) logs each\n"
		"request's effects on stderr.\n",
		AGENT_CTL_PORT, AGENT_IO_PORT);
}

/* The children's stdio is dup2'd over 0-2: those must not be free for pipes to land on. */
static void ensure_stdio(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			break;
}

static void signal_event(struct watch *w, uint32_t events)
{
	struct signalfd_siginfo si;
	bool reap = false;

	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap = true;
		else
			agent__request_shutdown();
	}
	if (reap)
		proc__reap();
}

static void ctl_event(struct watch *w, uint32_t events)
{
	conn__accept(w->fd);
}

static void io_event(struct watch *w, uint32_t events)
{
	stream__accept(w->fd);
}

/* SIGCHLD and the shutdown signals arrive through the loop, never as handlers; the timer
 * paces shutdown. */
static int setup_signals(struct err **err)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return err_errno(err, "sigprocmask");
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return err_errno(err, "signalfd");
	watch__init(&agent.sig_w, fd, signal_event);
	if (watch__set(&agent.sig_w, EPOLLIN, err) < 0)
		return -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return err_errno(err, "timerfd_create");
	watch__init(&agent.timer_w, fd, timer_event);
	return 0;
}

static int setup(const char *unix_prefix, struct err **err)
{
	if (agent.pid1)
		mounts__setup();
	else if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return err_errno(err, "PR_SET_CHILD_SUBREAPER");
	if (loop__init(err) < 0 || setup_signals(err) < 0)
		return -1;
	if (unix_prefix ? listen__unix(&agent.listen, unix_prefix, err) :
			  listen__vsock(&agent.listen, err))
		return -1;
	watch__init(&agent.ctl_w, agent.listen.ctl, ctl_event);
	watch__init(&agent.io_w, agent.listen.io, io_event);
	if (watch__set(&agent.ctl_w, EPOLLIN, err) < 0 || watch__set(&agent.io_w, EPOLLIN, err) < 0)
		return -1;
	return 0;
}

static void collect(void)
{
	conn__collect();
	proc__collect();
	if (agent.phase != RUNNING && proc__all_done() && no_children())
		loop__quit();
}

/* The answers are out (as far as the host reads them); the rest dies and the VM resets. */
static void shut_down(void)
{
	conn__flush_all(1000);
	proc__kill_rest(agent.pid1, 1000);
	sync();
	if (agent.pid1) {
		mounts__unmount_all();
		/* kage takes the guest's reset as a clean end of the VM */
		reboot(RB_AUTOBOOT);
		pr_err("agent: reboot: %s", strerror(errno));
	}
}

static int parse_args(int argc, char **argv, const char **unix_prefix, bool *debug)
{
	static const struct option opts[] = {
		{ "listen-unix", required_argument, NULL, 'u' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = !agent.pid1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			*unix_prefix = optarg;
			break;
		case 'd':
			*debug = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			/* As PID 1 the kernel passes its unknown boot options here: ignore them. */
			if (!agent.pid1)
				return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_err_ struct err *err = NULL;
	const char *unix_prefix = NULL;
	const char *env_debug = getenv("KAGE_AGENT_DEBUG");
	bool debug = env_debug && *env_debug && strcmp(env_debug, "0");

	agent.pid1 = getpid() == 1;
	if (parse_args(argc, argv, &unix_prefix, &debug) < 0) {
		usage(stderr);
		return 2;
	}
	agent.test_mode = unix_prefix != NULL;
	ensure_stdio();
	log__init(NULL, LOG_TEXT, debug ? LOG_DEBUG : LOG_INFO, NULL);
	if (setup(unix_prefix, &err) < 0 || loop__run(collect, &err) < 0) {
		/* As PID 1 this exit panics the guest, whose console shows this line. */
		pr_err("agent: %s", err ? err->msg : "failed");
		return 1;
	}
	if (agent.phase != RUNNING)
		shut_down();
	return 0;
}
