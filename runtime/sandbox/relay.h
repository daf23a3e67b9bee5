/*
 * The relay between a process in the guest and the host fds standing for its stdio: opens
 * its streams and a wait on the agent, starts it when asked, then carries stdin, stdout,
 * stderr, forwarded signals and terminal size changes until it has exited and its output
 * has drained. `kage vm run`, the container's sandbox process and `kage exec` all use it.
 */
#ifndef KAGE_RUNTIME_SANDBOX_RELAY_H
#define KAGE_RUNTIME_SANDBOX_RELAY_H

#include <stdbool.h>
#include <termios.h>

#include "../../lib/err.h"
#include "../agent/link.h"

struct relay_cfg {
	const struct agent_link *link;
	int ctl;		/* a control connection, borrowed: signals, resize, start */
	const char *process;	/* the agent's name of the process, created and not started */
	int in_fd;		/* stdin comes from here; -1: the process was created without */
	int out_fd, err_fd;	/* err_fd is unused for a terminal */
	bool tty;
	int winsize_fd;		/* a terminal whose size the process follows, or -1 */
	int sig_fd;		/* a signalfd whose signals go to the process, or -1 */
	/* Another fd the owner serves while the relay runs (the sandbox's control socket). */
	int aux_fd;		/* -1: none */
	void (*on_aux)(void *ctx);
	void *aux_ctx;
};

struct relay;

/* Opens the process's streams and the wait for its end. */
int relay__attach(const struct relay_cfg *cfg, struct relay **out, struct err **err);
/* Lets the held process exec. */
int relay__start(struct relay *r, struct err **err);
/* Relays until the process has exited and its output drained; returns its exit status. */
int relay__run(struct relay *r, struct err **err);
void relay__free(struct relay *r);

/*
 * Puts our stdin's terminal (when it is one) in raw mode for a process that has a terminal of
 * its own in the guest, which does the line editing and echo; *saved is what to restore with
 * relay__restore_terminal. Returns whether it changed anything.
 */
bool relay__raw_terminal(struct termios *saved);
void relay__restore_terminal(bool raw, const struct termios *saved);

#endif
