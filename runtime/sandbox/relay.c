/* A guest process's stdio, signals and exit, carried to host fds (see relay.h). */
#include "relay.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "../../devices/serial.h"
#include "../../devices/vsock/vsock.h"
#include "../../lib/cleanup.h"
#include "../../lib/io.h"
#include "../../lib/log.h"
#include "../../vmm/vm.h"
#include "../agent/client.h"

#define RELAY_BUF (64 * 1024)

struct relay {
	struct relay_cfg cfg;
	int ctl_wait;
	int in, out, errs;	/* streams; -1 when absent or finished */
	int64_t wait_id;
	int exit_status;	/* -1 until the wait answer */
	int stall_ms;		/* KAGE_DEBUG_STALL: dump the vsock state after this long idle */
	uint8_t pending[RELAY_BUF];
	size_t pending_len, pending_off;
	bool stdin_eof;
};

/* Copies one chunk from a stream to our fd; closes the stream at its end. */
static void pump_out(int *stream, int to)
{
	uint8_t buf[RELAY_BUF];
	ssize_t n = read(*stream, buf, sizeof(buf));

	/* If our reader left, the guest's output has nowhere to go: it is dropped. */
	if (n > 0) {
		io__write_all(to, buf, n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(*stream);
	*stream = -1;
}

/* Our stdin towards the guest, never buffering more than one chunk: backpressure. */
static void pump_in(struct relay *r, short our_ev, short stream_ev)
{
	if ((our_ev & (POLLIN | POLLHUP | POLLNVAL)) && !r->pending_len) {
		ssize_t n = read(r->cfg.in_fd, r->pending, sizeof(r->pending));

		if (n > 0) {
			r->pending_len = n;
			r->pending_off = 0;
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			r->stdin_eof = true;
		}
	}
	if (r->pending_len && (stream_ev & POLLOUT)) {
		ssize_t w = send(r->in, r->pending + r->pending_off, r->pending_len, MSG_DONTWAIT);

		if (w > 0) {
			r->pending_off += w;
			r->pending_len -= w;
		} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
			r->pending_len = 0;	/* the process is gone; drop what it cannot take */
			r->stdin_eof = true;
		}
	}
	if (r->stdin_eof && !r->pending_len) {
		/* Closing the stream is the process's EOF. */
		close(r->in);
		r->in = -1;
	}
}

static void forward_signal(struct relay *r)
{
	struct signalfd_siginfo si;
	_cleanup_err_ struct err *err = NULL;
	struct winsize ws;

	if (read(r->cfg.sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGWINCH) {
		if (!r->cfg.tty || r->cfg.winsize_fd < 0 ||
		    ioctl(r->cfg.winsize_fd, TIOCGWINSZ, &ws) < 0 || !ws.ws_row)
			return;
		agent__resize(r->cfg.ctl, r->cfg.process, ws.ws_row, ws.ws_col, &err);
	} else {
		agent__signal(r->cfg.ctl, r->cfg.process, si.ssi_signo, &err);
	}
	if (err)
		pr_debug("relay: forwarding signal %u: %s", si.ssi_signo, err->msg);
}

static int take_exit(struct relay *r, struct err **err)
{
	if (agent__wait_recv(r->ctl_wait, r->wait_id, &r->exit_status, err) < 0)
		return err_prefix(err, "waiting for %s", r->cfg.process);
	close(r->ctl_wait);
	r->ctl_wait = -1;
	return 0;
}

static void dump_stall(struct relay *r)
{
	const struct agent_link *l = r->cfg.link;

	pr_warn("relay: nothing moved for %d ms", r->stall_ms);
	if (!l->vm)
		return;
	pr_warn("relay: the devices' state:");
	vsock__dump(l->vs);
	vm__dump(l->vm);
	if (l->vm->console && *serial__tail(l->vm->console))
		pr_warn("relay: the guest console's last output:\n%s", serial__tail(l->vm->console));
}

int relay__run(struct relay *r, struct err **err)
{
	int stop_fd = agent_link__stop_fd(r->cfg.link);

	while (r->exit_status < 0 || r->out >= 0 || r->errs >= 0) {
		struct pollfd p[8] = {
			{ .fd = stop_fd, .events = POLLIN },
			{ .fd = r->cfg.sig_fd, .events = POLLIN },
			{ .fd = r->ctl_wait, .events = POLLIN },
			{ .fd = r->out, .events = POLLIN },
			{ .fd = r->errs, .events = POLLIN },
			{ .fd = (r->in >= 0 && !r->pending_len && !r->stdin_eof) ? r->cfg.in_fd : -1,
			  .events = POLLIN },
			{ .fd = r->in, .events = r->pending_len ? POLLOUT : 0 },
			{ .fd = r->cfg.on_aux ? r->cfg.aux_fd : -1, .events = POLLIN },
		};

		int n = poll(p, 8, r->stall_ms > 0 ? r->stall_ms : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(err, "relay: poll");
		}
		if (n == 0) {
			dump_stall(r);
			r->stall_ms = 0;	/* once is enough */
			continue;
		}
		if (p[0].revents) {
			struct vm *vm = r->cfg.link->vm;

			/* A panic or oops says more than "triple fault": show what it printed. */
			if (vm->console && *serial__tail(vm->console))
				pr_err("the guest console's last output:\n%s", serial__tail(vm->console));
			return err_msg(err, "the guest stopped before the command ended: %s",
				       vm->stop_msg);
		}
		if (p[1].revents)
			forward_signal(r);
		if (p[2].revents && take_exit(r, err) < 0)
			return -1;
		if (p[3].revents)
			pump_out(&r->out, r->cfg.out_fd);
		if (p[4].revents)
			pump_out(&r->errs, r->cfg.err_fd);
		if (r->in >= 0 && (p[5].revents || p[6].revents || r->stdin_eof))
			pump_in(r, p[5].revents, p[6].revents);
		if (p[7].revents)
			r->cfg.on_aux(r->cfg.aux_ctx);
	}
	return r->exit_status;
}

static int open_stream(struct relay *r, const char *name, struct err **err)
{
	int fd = agent_link__connect(r->cfg.link, AGENT_IO_PORT, err);

	if (fd < 0)
		return -1;
	if (agent__open_stream(fd, r->cfg.process, name, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int relay__attach(const struct relay_cfg *cfg, struct relay **out, struct err **err)
{
	struct relay *r = calloc(1, sizeof(*r));

	if (!r)
		return err_errno(err, "relay");
	*out = r;
	*r = (struct relay){ .cfg = *cfg, .ctl_wait = -1, .in = -1, .out = -1, .errs = -1,
			     .exit_status = -1 };
	/* A debugging aid, not an interface: how long the relay may idle before it says why. */
	const char *stall = getenv("KAGE_DEBUG_STALL");

	r->stall_ms = stall ? atoi(stall) * 1000 : 0;
	if ((r->out = open_stream(r, "stdout", err)) < 0 ||
	    (!cfg->tty && (r->errs = open_stream(r, "stderr", err)) < 0) ||
	    (cfg->in_fd >= 0 && (r->in = open_stream(r, "stdin", err)) < 0))
		return -1;
	/*
	 * wait answers only at the end: it gets a connection of its own. Every connection is up
	 * before the process starts, so once it runs the relay loop alone decides how it ends.
	 */
	r->ctl_wait = agent_link__connect(cfg->link, AGENT_CTL_PORT, err);
	if (r->ctl_wait < 0)
		return -1;
	r->wait_id = agent__wait_send(r->ctl_wait, cfg->process, err);
	return r->wait_id < 0 ? -1 : 0;
}

int relay__start(struct relay *r, struct err **err)
{
	return agent__start(r->cfg.ctl, r->cfg.process, err);
}

void relay__free(struct relay *r)
{
	if (!r)
		return;
	int fds[] = { r->ctl_wait, r->in, r->out, r->errs };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(r);
}

bool relay__raw_terminal(struct termios *saved)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, saved) < 0)
		return false;
	t = *saved;
	cfmakeraw(&t);
	return tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
}

void relay__restore_terminal(bool raw, const struct termios *saved)
{
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, saved);
}
