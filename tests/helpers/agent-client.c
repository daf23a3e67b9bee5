/*
 * agent-client: runs one command in a kage agent listening on unix sockets (kage-agent
 * --listen-unix PREFIX), relays its own stdin, stdout and stderr to it, and exits as the
 * command did (128+N when killed by signal N). It exercises the same host client code kage
 * uses (runtime/agent/client.c), so the agent's protocol is tested without a VM.
 *
 *   agent-client [OPTIONS] PREFIX -- ARGS...
 *     -t                      run ARGS on a terminal (its stdout carries all output)
 *     --console-size RxC      the terminal's size
 *     --signal-after MS SIG   send SIG (a number or a name: TERM, KILL, ...) after MS ms
 *     --env K=V               add to the environment (PATH is passed on by default)
 *     --cwd DIR, --user UID:GID
 *     --no-stdin              create the process without stdin (it reads /dev/null)
 *     --init                  the container's init: its exit kills every other process
 *   agent-client PREFIX --request JSON
 *     sends one request and prints the response (exit 1 with the error on ok:false)
 *
 * Exit status: the command's; 127 when create or start failed (a missing command); 125 for
 * any other failure of its own.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "../../runtime/agent/client.h"

#define BUF_SIZE 65536

struct opts {
	const char *prefix, *request, *cwd, *user, *size;
	bool terminal, no_stdin, init;
	long signal_ms;
	int signal;	/* -1: none */
	struct json_object *env;
	char **args;
};

/* One direction of stdio: reads from `from` only once everything read before is written. */
struct pump {
	int from, to;
	bool eof, done;
	size_t off, len;
	char buf[BUF_SIZE];
};

static void fail(const char *what, struct err *err, int code)
{
	fprintf(stderr, "agent-client: %s: %s\n", what, err ? err->msg : strerror(errno));
	exit(code);
}

static int connect_unix(const char *prefix, const char *suffix, struct err **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s%s", prefix, suffix);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err_errno(err, "connect to %s", addr.sun_path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {
		{ "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT },
		{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
		{ "TERM", SIGTERM },
	};
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end)
		return n;
	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i].name))
			return names[i].sig;
	fprintf(stderr, "agent-client: unknown signal '%s'\n", s);
	exit(125);
}

static void usage_exit(void)
{
	fprintf(stderr, "usage: agent-client [-t] [--console-size RxC] [--signal-after MS SIG] "
			"[--env K=V] [--cwd DIR] [--user UID:GID] [--no-stdin] [--init]\n"
			"                    PREFIX -- ARGS...\n"
			"       agent-client PREFIX --request JSON\n");
	exit(125);
}

/* Sets K=V in the environment array, replacing an earlier K. */
static void env_set(struct json_object *env, const char *kv)
{
	size_t klen = strcspn(kv, "=") + 1;

	for (size_t i = 0; i < json_object_array_length(env); i++)
		if (!strncmp(json_object_get_string(json_object_array_get_idx(env, i)), kv, klen)) {
			json_object_array_put_idx(env, i, json_object_new_string(kv));
			return;
		}
	json_object_array_add(env, json_object_new_string(kv));
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	char path[4096];
	int i;

	/* The command finds programs as this client would. */
	snprintf(path, sizeof(path), "PATH=%s",
		 getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin");
	o->env = json_object_new_array();
	env_set(o->env, path);
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (!strcmp(a, "-t"))
			o->terminal = true;
		else if (!strcmp(a, "--no-stdin"))
			o->no_stdin = true;
		else if (!strcmp(a, "--init"))
			o->init = true;
		else if (!strcmp(a, "--console-size") && more)
			o->size = argv[++i];
		else if (!strcmp(a, "--env") && more)
			env_set(o->env, argv[++i]);
		else if (!strcmp(a, "--cwd") && more)
			o->cwd = argv[++i];
		else if (!strcmp(a, "--user") && more)
			o->user = argv[++i];
		else if (!strcmp(a, "--request") && more)
			o->request = argv[++i];
		else if (!strcmp(a, "--signal-after") && i + 2 < argc) {
			o->signal_ms = atol(argv[++i]);
			o->signal = parse_signal(argv[++i]);
		} else if (a[0] != '-' && !o->prefix)
			o->prefix = a;
		else
			usage_exit();
	}
	if (!o->prefix || (!o->request && i + 1 >= argc))
		usage_exit();
	o->args = argv + i + 1;
}

static int run_request(int ctl, const char *text)
{
	_cleanup_err_ struct err *err = NULL;
	struct json_object *req = json_tokener_parse(text), *resp = NULL;

	if (!req || !json_object_is_type(req, json_type_object)) {
		fprintf(stderr, "agent-client: --request: not a JSON object\n");
		return 125;
	}
	if (agent__request(ctl, req, &resp, &err) < 0) {
		fprintf(stderr, "agent-client: %s\n", err->msg);
		json_object_put(req);
		return 1;
	}
	printf("%s\n", json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN));
	json_object_put(req);
	json_object_put(resp);
	return 0;
}

static void add_user(struct json_object *req, const char *user)
{
	unsigned int uid, gid;

	if (sscanf(user, "%u:%u", &uid, &gid) != 2) {
		fprintf(stderr, "agent-client: --user wants UID:GID\n");
		exit(125);
	}
	json_object_object_add(req, "uid", json_object_new_int64(uid));
	json_object_object_add(req, "gid", json_object_new_int64(gid));
}

static struct json_object *create_request(const struct opts *o)
{
	struct json_object *req = json_object_new_object(), *args = json_object_new_array();
	unsigned int rows, cols;

	for (char **a = o->args; *a; a++)
		json_object_array_add(args, json_object_new_string(*a));
	json_object_object_add(req, "op", json_object_new_string("create"));
	json_object_object_add(req, "args", args);
	json_object_object_add(req, "env", json_object_get(o->env));
	json_object_object_add(req, "terminal", json_object_new_boolean(o->terminal));
	json_object_object_add(req, "stdin", json_object_new_boolean(!o->no_stdin));
	json_object_object_add(req, "init", json_object_new_boolean(o->init));
	if (o->cwd)
		json_object_object_add(req, "cwd", json_object_new_string(o->cwd));
	if (o->user)
		add_user(req, o->user);
	if (o->size && sscanf(o->size, "%ux%u", &rows, &cols) == 2) {
		struct json_object *sz = json_object_new_object();

		json_object_object_add(sz, "rows", json_object_new_int(rows));
		json_object_object_add(sz, "cols", json_object_new_int(cols));
		json_object_object_add(req, "console_size", sz);
	}
	return req;
}

/* A request whose response only matters when it fails. */
static int simple_request(int ctl, const char *op, const char *process, int sig, struct err **err)
{
	struct json_object *req = json_object_new_object(), *resp = NULL;
	int ret;

	json_object_object_add(req, "op", json_object_new_string(op));
	json_object_object_add(req, "process", json_object_new_string(process));
	if (sig >= 0)
		json_object_object_add(req, "signal", json_object_new_int(sig));
	ret = agent__request(ctl, req, &resp, err);
	json_object_put(req);
	json_object_put(resp);
	return ret;
}

static int open_stream(const char *prefix, const char *process, const char *name)
{
	_cleanup_err_ struct err *err = NULL;
	int fd = connect_unix(prefix, ".io", &err);

	if (fd < 0 || agent__open_stream(fd, process, name, &err) < 0)
		fail("attach stream", err, 125);
	return fd;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pump_init(struct pump *p, int from, int to)
{
	p->from = from;
	p->to = to;
	p->eof = p->done = from < 0;
	p->off = p->len = 0;
}

/* What to poll for; fd -1 when the pump is idle. */
static void pump_poll(const struct pump *p, struct pollfd *pfd)
{
	pfd->fd = -1;
	pfd->events = 0;
	if (p->done)
		return;
	if (p->len) {
		pfd->fd = p->to;
		pfd->events = POLLOUT;
	} else if (!p->eof) {
		pfd->fd = p->from;
		pfd->events = POLLIN;
	}
}

static void pump_run(struct pump *p, short revents)
{
	ssize_t n;

	if (!revents || p->done)
		return;
	if (p->len) {
		/* never block on the agent: it may be waiting for us to read output first */
		n = send(p->to, p->buf + p->off, p->len - p->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == ENOTSOCK)
			n = write(p->to, p->buf + p->off, p->len - p->off);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			p->off = p->len; /* the reader is gone: drop what it would have read */
		else if (n > 0)
			p->off += n;
		if (p->off == p->len)
			p->off = p->len = 0;
	} else {
		n = read(p->from, p->buf, sizeof(p->buf));
		if (n > 0)
			p->len = n;
		else if (n == 0 || (errno != EINTR && errno != EAGAIN))
			p->eof = true;
	}
	if (p->eof && !p->len)
		p->done = true;
}

struct session {
	const struct opts *o;
	const char *process;
	int ctl, waiter;
	int64_t wait_id;
	struct pump in, out, err;
	int exit_status;
};

static void handle_wait(struct session *s)
{
	_cleanup_err_ struct err *err = NULL;
	struct json_object *resp = NULL, *v;

	if (agent__recv(s->waiter, s->wait_id, &resp, &err) < 0)
		fail("wait", err, 125);
	if (!json_object_object_get_ex(resp, "exit_status", &v))
		fail("wait: no exit_status in the response", NULL, 125);
	s->exit_status = json_object_get_int(v);
	json_object_put(resp);
	close(s->waiter);
	s->waiter = -1;
}

static void send_signal(struct session *s)
{
	_cleanup_err_ struct err *err = NULL;

	if (simple_request(s->ctl, "signal", s->process, s->o->signal, &err) < 0)
		fprintf(stderr, "agent-client: signal: %s\n", err->msg);
}

/* The stdin stream ends when our stdin does: closing it is EOF for the process. */
static void end_stdin(struct session *s)
{
	if (s->in.to >= 0 && s->in.done) {
		close(s->in.to);
		s->in.to = -1;
	}
}

static void relay(struct session *s)
{
	long deadline = s->o->signal >= 0 ? now_ms() + s->o->signal_ms : -1;
	struct pollfd pfd[4];

	while (s->waiter >= 0 || !s->out.done || !s->err.done) {
		long timeout = deadline < 0 ? -1 : deadline - now_ms();

		if (deadline >= 0 && timeout <= 0) {
			send_signal(s);
			deadline = -1;
			continue;
		}
		pump_poll(&s->in, &pfd[0]);
		pump_poll(&s->out, &pfd[1]);
		pump_poll(&s->err, &pfd[2]);
		pfd[3] = (struct pollfd){ .fd = s->waiter, .events = POLLIN };
		if (poll(pfd, 4, timeout) < 0 && errno != EINTR)
			fail("poll", NULL, 125);
		pump_run(&s->in, pfd[0].revents);
		pump_run(&s->out, pfd[1].revents);
		pump_run(&s->err, pfd[2].revents);
		end_stdin(s);
		if (pfd[3].revents)
			handle_wait(s);
	}
}

/* create, attach the streams, start: a failure here is the command's failure to run. */
static void launch(struct session *s, const struct opts *o, struct json_object **created)
{
	_cleanup_err_ struct err *err = NULL;
	struct json_object *req = create_request(o), *v;
	int in = -1, out, errfd = -1;

	if (agent__request(s->ctl, req, created, &err) < 0)
		fail("create", err, 127);
	json_object_put(req);
	if (!json_object_object_get_ex(*created, "process", &v))
		fail("create: no process id in the response", NULL, 125);
	s->process = json_object_get_string(v);
	if (!o->no_stdin)
		in = open_stream(o->prefix, s->process, "stdin");
	out = open_stream(o->prefix, s->process, "stdout");
	if (!o->terminal)
		errfd = open_stream(o->prefix, s->process, "stderr");
	pump_init(&s->in, o->no_stdin ? -1 : 0, in);
	pump_init(&s->out, out, 1);
	pump_init(&s->err, errfd, 2);
	if (simple_request(s->ctl, "start", s->process, -1, &err) < 0)
		fail("start", err, 127);
}

int main(int argc, char **argv)
{
	_cleanup_err_ struct err *err = NULL;
	static struct session s = { .waiter = -1 };
	struct json_object *created = NULL, *req;
	struct opts o = { .signal = -1 };

	signal(SIGPIPE, SIG_IGN);
	parse_opts(argc, argv, &o);
	s.o = &o;
	s.ctl = connect_unix(o.prefix, ".ctl", &err);
	if (s.ctl < 0)
		fail("control connection", err, 125);
	if (o.request)
		return run_request(s.ctl, o.request);

	launch(&s, &o, &created);
	/* wait answers late: it gets a connection of its own, read from the poll loop */
	s.waiter = connect_unix(o.prefix, ".ctl", &err);
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("wait"));
	json_object_object_add(req, "process", json_object_new_string(s.process));
	if (s.waiter < 0 || (s.wait_id = agent__send(s.waiter, req, &err)) < 0)
		fail("wait", err, 125);
	json_object_put(req);
	relay(&s);
	json_object_put(created);
	json_object_put(o.env);
	return s.exit_status;
}
