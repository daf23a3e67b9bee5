/*
 * `kage vm run`'s relay: reaches the guest agent over the VM's vsock device, creates the
 * command, and carries its stdin, stdout, stderr, signals, terminal size and exit status until
 * it ends; then asks the agent to shut the guest down.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../devices/serial.h"
#include "../devices/virtio/vsock.h"
#include "../lib/cleanup.h"
#include "../lib/io.h"
#include "../lib/log.h"
#include "agent_client.h"
#include "vm_cli.h"

#define AGENT_CTL_PORT 1024
#define AGENT_IO_PORT 1025
/* The guest boots before the agent listens; under nested emulation that takes a while. */
#define AGENT_CONNECT_TIMEOUT_MS 180000
#define RELAY_BUF (64 * 1024)
/* Where a share given as the guest's "/" is mounted; the command is chrooted there. */
#define GUEST_ROOT "/run/kage/root"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static bool vm_stopped(struct vm *vm)
{
	struct pollfd p = { .fd = vm->stop_fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* One attempt at the hybrid handshake; 1 connected, 0 refused (nobody listens yet). */
static int handshake(int fd, unsigned int port, struct vm *vm)
{
	char line[32];
	size_t len = 0;

	if (dprintf(fd, "CONNECT %u\n", port) < 0)
		return 0;
	while (len < sizeof(line) - 1) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = vm->stop_fd, .events = POLLIN } };

		if (poll(p, 2, 10000) <= 0 || (p[1].revents & POLLIN))
			return 0;
		if (read(fd, line + len, 1) != 1)
			return 0;
		if (line[len++] == '\n')
			break;
	}
	line[len] = 0;
	return !strncmp(line, "OK ", 3);
}

static int connect_port(struct vsock *vs, struct vm *vm, unsigned int port, struct err **err)
{
	long long deadline = now_ms() + AGENT_CONNECT_TIMEOUT_MS;

	for (;;) {
		int fd;

		if (vsock__connect_local(vs, &fd, err) < 0)
			return -1;
		if (handshake(fd, port, vm))
			return fd;
		close(fd);
		if (vm_stopped(vm))
			return err_msg(err, "the guest stopped before its agent answered: %s",
				       vm->stop_msg);
		if (now_ms() > deadline)
			return err_msg(err, "the guest agent did not answer on vsock port %u", port);
		usleep(20000);
	}
}

static struct json_object *string_array(const char *const *v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static int parse_user(const char *s, long *uid, long *gid, struct err **err)
{
	char *end;

	*uid = *gid = 0;
	if (!s)
		return 0;
	*uid = strtol(s, &end, 10);
	if (end == s || *uid < 0 || (*end && *end != ':'))
		return err_msg(err, "vm run: --user '%s' is not UID[:GID]", s);
	*gid = *uid;
	if (*end == ':') {
		const char *g = end + 1;

		*gid = strtol(g, &end, 10);
		if (end == g || *end || *gid < 0)
			return err_msg(err, "vm run: --user '%s' is not UID[:GID]", s);
	}
	return 0;
}

static struct json_object *create_request(struct vm_opts *o, struct err **err)
{
	const char *env[VM_ENV_MAX + 4];
	size_t n_env = 0, n_args = 0;
	long uid, gid;

	if (parse_user(o->user, &uid, &gid, err) < 0)
		return NULL;
	env[n_env++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	env[n_env++] = "HOME=/root";
	if (o->tty)
		env[n_env++] = "TERM=xterm";
	for (unsigned int i = 0; i < o->nr_env; i++)
		env[n_env++] = o->env[i];
	while (o->command[n_args])
		n_args++;

	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "op", json_object_new_string("create"));
	json_object_object_add(req, "args", string_array((const char *const *)o->command, n_args));
	json_object_object_add(req, "env", string_array(env, n_env));
	json_object_object_add(req, "cwd", json_object_new_string(o->cwd ? o->cwd : "/"));
	if (vm_devices__root_share(o) >= 0)
		json_object_object_add(req, "root", json_object_new_string(GUEST_ROOT));
	json_object_object_add(req, "uid", json_object_new_int64(uid));
	json_object_object_add(req, "gid", json_object_new_int64(gid));
	json_object_object_add(req, "terminal", json_object_new_boolean(o->tty));
	json_object_object_add(req, "stdin", json_object_new_boolean(o->interactive));
	/* The command is the VM's reason to exist: when it ends, whatever it left behind goes. */
	json_object_object_add(req, "init", json_object_new_boolean(true));
	struct winsize ws;

	if (o->tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row) {
		struct json_object *size = json_object_new_object();

		json_object_object_add(size, "rows", json_object_new_int(ws.ws_row));
		json_object_object_add(size, "cols", json_object_new_int(ws.ws_col));
		json_object_object_add(req, "console_size", size);
	}
	return req;
}

/* A request whose response only says ok. */
static int simple_request(int ctl, const char *op, const char *process, struct json_object *extra,
			  struct err **err)
{
	struct json_object *req = extra ? extra : json_object_new_object(), *resp = NULL;

	json_object_object_add(req, "op", json_object_new_string(op));
	if (process)
		json_object_object_add(req, "process", json_object_new_string(process));
	int ret = agent__request(ctl, req, &resp, err);

	json_object_put(req);
	json_object_put(resp);
	return ret;
}

struct relay {
	struct vm *vm;
	int ctl, ctl_wait, sig_fd;
	int in, out, errs;	/* streams; -1 when absent or finished */
	int64_t wait_id;
	int exit_status;	/* -1 until the wait answer */
	bool tty;
	char *process;
	struct vsock *vs;
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
	if ((our_ev & (POLLIN | POLLHUP)) && !r->pending_len) {
		ssize_t n = read(STDIN_FILENO, r->pending, sizeof(r->pending));

		if (n > 0) {
			r->pending_len = n;
			r->pending_off = 0;
		} else if (n == 0 || errno != EINTR) {
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

	if (read(r->sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	struct json_object *extra = json_object_new_object();

	if (si.ssi_signo == SIGWINCH) {
		if (!r->tty || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0) {
			json_object_put(extra);
			return;
		}
		json_object_object_add(extra, "rows", json_object_new_int(ws.ws_row));
		json_object_object_add(extra, "cols", json_object_new_int(ws.ws_col));
		simple_request(r->ctl, "resize", r->process, extra, &err);
	} else {
		json_object_object_add(extra, "signal", json_object_new_int(si.ssi_signo));
		simple_request(r->ctl, "signal", r->process, extra, &err);
	}
	if (err)
		pr_debug("vm run: forwarding signal %u: %s", si.ssi_signo, err->msg);
}

static int take_exit(struct relay *r, struct err **err)
{
	struct json_object *resp = NULL, *v;

	if (agent__recv(r->ctl_wait, r->wait_id, &resp, err) < 0)
		return -1;
	r->exit_status = json_object_object_get_ex(resp, "exit_status", &v) ?
				 json_object_get_int(v) : 255;
	json_object_put(resp);
	close(r->ctl_wait);
	r->ctl_wait = -1;
	return 0;
}

static int relay_loop(struct relay *r, struct err **err)
{
	while (r->exit_status < 0 || r->out >= 0 || r->errs >= 0) {
		struct pollfd p[7] = {
			{ .fd = r->vm->stop_fd, .events = POLLIN },
			{ .fd = r->sig_fd, .events = POLLIN },
			{ .fd = r->ctl_wait, .events = POLLIN },
			{ .fd = r->out, .events = POLLIN },
			{ .fd = r->errs, .events = POLLIN },
			{ .fd = (r->in >= 0 && !r->pending_len && !r->stdin_eof) ? STDIN_FILENO : -1,
			  .events = POLLIN },
			{ .fd = r->in, .events = r->pending_len ? POLLOUT : 0 },
		};

		int n = poll(p, 7, r->stall_ms > 0 ? r->stall_ms : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(err, "vm run: poll");
		}
		if (n == 0) {
			pr_warn("vm run: nothing moved for %d ms; the vsock device's state:",
				r->stall_ms);
			vsock__dump(r->vs);
			if (r->vm->console && *serial__tail(r->vm->console))
				pr_warn("vm run: the guest console's last output:\n%s",
					serial__tail(r->vm->console));
			r->stall_ms = 0;	/* once is enough */
			continue;
		}
		if (p[0].revents) {
			/* A panic or oops says more than "triple fault": show what it printed. */
			if (r->vm->console && *serial__tail(r->vm->console))
				pr_err("the guest console's last output:\n%s",
				       serial__tail(r->vm->console));
			return err_msg(err, "the guest stopped before the command ended: %s",
				       r->vm->stop_msg);
		}
		if (p[1].revents)
			forward_signal(r);
		if (p[2].revents && take_exit(r, err) < 0)
			return -1;
		if (p[3].revents)
			pump_out(&r->out, STDOUT_FILENO);
		if (p[4].revents)
			pump_out(&r->errs, STDERR_FILENO);
		if (r->in >= 0 && (p[5].revents || p[6].revents || r->stdin_eof))
			pump_in(r, p[5].revents, p[6].revents);
	}
	return 0;
}

static int open_stream(struct vsock *vs, struct relay *r, const char *name, struct err **err)
{
	int fd = connect_port(vs, r->vm, AGENT_IO_PORT, err);

	if (fd < 0)
		return -1;
	if (agent__open_stream(fd, r->process, name, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int mount_one(int ctl, const char *source, const char *target, const char *type,
		     const char *opt, struct err **err)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;

	json_object_object_add(req, "op", json_object_new_string("mount"));
	json_object_object_add(req, "source", json_object_new_string(source));
	json_object_object_add(req, "target", json_object_new_string(target));
	json_object_object_add(req, "type", json_object_new_string(type));
	if (opt)
		json_object_object_add(req, "options", string_array(&opt, 1));
	int ret = agent__request(ctl, req, &resp, err);

	json_object_put(req);
	json_object_put(resp);
	return ret;
}

/*
 * A share at "/" becomes the command's root: mounted at GUEST_ROOT, with the guest's own
 * /proc, /sys and /dev inside it where the shared tree has those directories (nothing is
 * created in the host's tree for them), and every other share mounted under it.
 */
static int mount_root(struct vm_opts *o, int ctl, unsigned int i, struct err **err)
{
	/* `needs`: the directory of the shared tree whose presence asks for the mount. */
	static const struct {
		const char *dir, *needs, *type, *opt;
	} inner[] = {
		{ "proc", "proc", "proc", NULL },
		{ "sys", "sys", "sysfs", NULL },
		{ "dev", "dev", "devtmpfs", NULL },
		{ "dev/pts", "dev", "devpts", "newinstance,ptmxmode=0666,mode=0620" },
	};
	char tag[16], host[4096], guest[64];
	struct stat st;

	vm_devices__share_tag(i, tag, sizeof(tag));
	if (mount_one(ctl, tag, GUEST_ROOT, "virtiofs", o->shares[i].readonly ? "ro" : NULL,
		      err) < 0)
		return -1;
	for (size_t k = 0; k < ARRAY_SIZE(inner); k++) {
		snprintf(host, sizeof(host), "%s/%s", o->shares[i].host_path, inner[k].needs);
		if (stat(host, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		snprintf(guest, sizeof(guest), GUEST_ROOT "/%s", inner[k].dir);
		if (mount_one(ctl, inner[k].type, guest, inner[k].type, inner[k].opt, err) < 0)
			return -1;
	}
	return 0;
}

/* Each --share, mounted where the command expects it before the command exists. */
static int mount_shares(struct vm_opts *o, int ctl, struct err **err)
{
	int root = vm_devices__root_share(o);
	char path[4096], tag[16];

	if (root >= 0 && mount_root(o, ctl, root, err) < 0)
		return err_prefix(err, "vm run: --share %s", o->shares[root].host_path);
	for (unsigned int i = 0; i < o->nr_shares; i++) {
		const struct vm_share *sh = &o->shares[i];

		if ((int)i == root)
			continue;
		vm_devices__share_tag(i, tag, sizeof(tag));
		snprintf(path, sizeof(path), "%s%s", root >= 0 ? GUEST_ROOT : "", sh->guest_path);
		if (mount_one(ctl, tag, path, "virtiofs", sh->readonly ? "ro" : NULL, err) < 0)
			return err_prefix(err, "vm run: --share %s", sh->host_path);
	}
	return 0;
}

static int start_command(struct vm_opts *o, struct vsock *vs, struct relay *r, struct err **err)
{
	struct json_object *req, *resp = NULL, *v;

	r->ctl = connect_port(vs, r->vm, AGENT_CTL_PORT, err);
	if (r->ctl < 0 || mount_shares(o, r->ctl, err) < 0)
		return -1;
	req = create_request(o, err);
	if (!req)
		return -1;
	int ret = agent__request(r->ctl, req, &resp, err);

	json_object_put(req);
	if (ret < 0)
		return err_prefix(err, "vm run: %s", o->command[0]);
	if (json_object_object_get_ex(resp, "process", &v))
		r->process = strdup(json_object_get_string(v));
	json_object_put(resp);
	if (!r->process)
		return err_msg(err, "vm run: the agent named no process");

	if ((r->out = open_stream(vs, r, "stdout", err)) < 0 ||
	    (!o->tty && (r->errs = open_stream(vs, r, "stderr", err)) < 0) ||
	    (o->interactive && (r->in = open_stream(vs, r, "stdin", err)) < 0))
		return -1;
	/*
	 * wait answers only at the end: it gets a connection of its own. Every connection is up
	 * before the command starts, so once it runs the relay loop alone decides how it ends.
	 */
	r->ctl_wait = connect_port(vs, r->vm, AGENT_CTL_PORT, err);
	if (r->ctl_wait < 0)
		return -1;
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("wait"));
	json_object_object_add(req, "process", json_object_new_string(r->process));
	r->wait_id = agent__send(r->ctl_wait, req, err);
	json_object_put(req);
	if (r->wait_id < 0)
		return -1;
	if (simple_request(r->ctl, "start", r->process, NULL, err) < 0)
		return err_prefix(err, "vm run: %s", o->command[0]);
	return 0;
}

static void close_relay(struct relay *r)
{
	int fds[] = { r->ctl, r->ctl_wait, r->sig_fd, r->in, r->out, r->errs };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(r->process);
}

int vm_run__command(struct vm_opts *o, struct vm *vm, struct vsock *vs, struct err **err)
{
	struct relay *r = calloc(1, sizeof(*r));
	struct termios saved;
	bool raw = false;
	sigset_t mask;
	int ret = -1;

	if (!r)
		return err_errno(err, "vm run");
	*r = (struct relay){ .vm = vm, .ctl = -1, .ctl_wait = -1, .sig_fd = -1, .in = -1,
			     .out = -1, .errs = -1, .exit_status = -1, .tty = o->tty, .vs = vs };
	/* A debugging aid, not an interface: how long the relay may idle before it says why. */
	const char *stall = getenv("KAGE_DEBUG_STALL");

	r->stall_ms = stall ? atoi(stall) * 1000 : 0;
	/* The signals were blocked before the VM's threads started (vm_run__block_signals). */
	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&mask, forwarded[i]);
	r->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (r->sig_fd < 0) {
		err_errno(err, "signalfd");
		goto out;
	}
	if (start_command(o, vs, r, err) < 0)
		goto out;
	if (o->tty && o->interactive && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios t = saved;

		/* The guest's terminal does the line editing and echo now. */
		cfmakeraw(&t);
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
	if (relay_loop(r, err) == 0)
		ret = r->exit_status;
	/* The guest's reset ends the VM; no answer is needed (it may not come). */
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "op", json_object_new_string("shutdown"));
	if (ret >= 0 && agent__send(r->ctl, req, NULL) < 0)
		vm__request_stop(vm, VM_STOP_POWEROFF, "the agent could not be asked to shut down");
	json_object_put(req);
out:
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	close_relay(r);
	free(r);
	return ret;
}

void vm_run__block_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&mask, forwarded[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* A closed stdout must end our writes with EPIPE, not kill us mid-relay. */
	signal(SIGPIPE, SIG_IGN);
}
