/* The process that runs a VM: its signals and its threads' confinement (see vm_plan.h). */
#include <signal.h>
#include <sys/signalfd.h>

#include "../../confine/seccomp.h"
#include "../../lib/cleanup.h"
#include "vm_plan.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM,
				  SIGWINCH };

int machine__confine(struct err **err)
{
	enum seccomp_mode mode;

	if (seccomp__mode_from_env(SECCOMP_MODE_KILL, &mode, err) < 0)
		return -1;
	return seccomp__setup(mode, err);
}

void machine__forwarded_signals(sigset_t *mask)
{
	sigemptyset(mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(mask, forwarded[i]);
}

void machine__block_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&mask, forwarded[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* A closed stdout must end our writes with EPIPE, not kill us mid-relay. */
	signal(SIGPIPE, SIG_IGN);
}

int machine__signal_fd(struct err **err)
{
	sigset_t mask;
	int fd;

	machine__forwarded_signals(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (fd < 0)
		return err_errno(err, "signalfd");
	return fd;
}
