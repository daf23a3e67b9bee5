/* Running OCI hooks (see hooks.h). */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/io.h"
#include "../../lib/log.h"
#include "../../lib/time.h"

#define HOOK_OUTPUT_MAX 2048


static void exec_hook(const struct oci_hook *h, int in, int out)
{
	char *argv0[] = { h->path, NULL };
	char *envp0[] = { NULL };

	dup2(in, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execve(h->path, h->args.n ? h->args.v : argv0, h->env.n ? h->env.v : envp0);
	dprintf(STDERR_FILENO, "exec %s: %s", h->path, strerror(errno));
	_exit(127);
}

/* Collects the hook's output until it closes it or the deadline passes; 0 on time. */
static int collect(int fd, char *buf, size_t *len, long long deadline)
{
	for (;;) {
		long long left = deadline ? deadline - time__now_ms() : -1;

		if (deadline && left <= 0)
			return -1;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, deadline ? (int)left : -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -1 : 0;
		char tmp[512];
		ssize_t r = read(fd, tmp, sizeof(tmp));

		if (r <= 0)
			return 0;
		size_t take = (size_t)r < HOOK_OUTPUT_MAX - *len ? (size_t)r : HOOK_OUTPUT_MAX - *len;

		memcpy(buf + *len, tmp, take);
		*len += take;
	}
}

static int run_one(const struct oci_hook *h, const char *kind, const char *state,
		   struct err **err)
{
	int in[2], out[2], st = 0;
	char output[HOOK_OUTPUT_MAX + 1];
	size_t len = 0;

	if (pipe2(in, O_CLOEXEC) < 0)
		return err_errno(err, "%s hook %s", kind, h->path);
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return err_errno(err, "%s hook %s", kind, h->path);
	}
	pid_t pid = fork();

	if (pid == 0)
		exec_hook(h, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		return err_errno(err, "%s hook %s: fork", kind, h->path);
	}
	/* The state is small (far below a pipe's buffer); a hook that ignores stdin is fine. */
	io__write_all(in[1], state, strlen(state));
	close(in[1]);
	long long deadline = h->timeout > 0 ? time__now_ms() + h->timeout * 1000LL : 0;
	bool timed_out = collect(out[0], output, &len, deadline) < 0;

	close(out[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	output[len] = 0;
	while (len && (output[len - 1] == '\n' || output[len - 1] == ' '))
		output[--len] = 0;
	if (timed_out)
		return err_msg(err, "%s hook %s: timed out after %d s", kind, h->path, h->timeout);
	if (WIFSIGNALED(st))
		return err_msg(err, "%s hook %s: killed by signal %d%s%s", kind, h->path,
			       WTERMSIG(st), len ? ": " : "", output);
	if (WEXITSTATUS(st))
		return err_msg(err, "%s hook %s: exit status %d%s%s", kind, h->path,
			       WEXITSTATUS(st), len ? ": " : "", output);
	return 0;
}

int hooks__run(const struct oci_spec *s, enum oci_hook_kind kind, struct json_object *state,
	       struct err **err)
{
	const struct oci_hook_list *l = &s->hooks[kind];
	const char *text = json_object_to_json_string_ext(state, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE);

	/* A hook that exits without reading its stdin must not take us with it. */
	signal(SIGPIPE, SIG_IGN);

	for (size_t i = 0; i < l->n; i++) {
		pr_debug("running %s hook %s", oci_hook__name(kind), l->v[i].path);
		if (run_one(&l->v[i], oci_hook__name(kind), text, err) < 0)
			return -1;
	}
	return 0;
}
