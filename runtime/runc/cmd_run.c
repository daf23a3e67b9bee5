/* `kage run`: create and start a container, then wait for it (unless --detach). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "../../lib/log.h"
#include "../cli/cli.h"
#include "../container/lifecycle.h"

static volatile pid_t sandbox_pid;

/* What we are sent goes to the sandbox, which forwards it into the guest. */
static void forward(int sig)
{
	if (sandbox_pid > 0)
		kill(sandbox_pid, sig);
}

int cmd_run(const struct globals *g, int argc, char **argv, struct err **err)
{
	static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
					 SIGALRM, SIGWINCH };
	struct create_opts co = { 0 };
	bool detach = false;
	pid_t pid;
	int ret = cmd_create__parse(argc, argv, &co, &detach, err), st;

	if (ret == -2)
		return 0;
	if (ret < 0 || lifecycle__create(g, &co, &pid, err) < 0)
		return -1;
	sandbox_pid = pid;
	struct sigaction sa = { .sa_handler = forward, .sa_flags = SA_RESTART };

	for (size_t i = 0; !detach && i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	if (lifecycle__start(g, co.id, err) < 0) {
		_cleanup_err_ struct err *derr = NULL;

		if (lifecycle__delete(g, co.id, true, &derr) < 0)
			pr_warn("run: %s", derr->msg);
		return -1;
	}
	if (detach)
		return 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return err_errno(err, "run: wait for the sandbox");
	/* As runc run without --keep: the container's state goes with it. */
	if (lifecycle__delete(g, co.id, false, err) < 0)
		pr_warn("run: %s", (*err)->msg), err_free(err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
