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

#include "../../confine/seccomp.h"
#include "../../devices/serial.h"
#include "../../devices/vsock/vsock.h"
#include "../../lib/cleanup.h"
#include "../../lib/io.h"
#include "../../lib/log.h"
#include "../agent/client.h"
#include "../agent/link.h"
#include "../sandbox/relay.h"
#include "vm_cli.h"

/* Where a share given as the guest's "/" is mounted; the command is chrooted there. */
#define GUEST_ROOT "/run/kage/root"

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

static struct json_object *create_request(struct vm_cli *o, struct err **err)
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

	json_object_object_add(req, "args", string_array((const char *const *)o->command, n_args));
	json_object_object_add(req, "env", string_array(env, n_env));
	json_object_object_add(req, "cwd", json_object_new_string(o->cwd ? o->cwd : "/"));
	if (vm_plan__root_share(&o->plan) >= 0)
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

static int mount_one(int ctl, const char *source, const char *target, const char *type,
		     const char *opt, struct err **err)
{
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "source", json_object_new_string(source));
	json_object_object_add(req, "target", json_object_new_string(target));
	json_object_object_add(req, "type", json_object_new_string(type));
	if (opt)
		json_object_object_add(req, "options", string_array(&opt, 1));
	return agent__mount(ctl, req, err);
}

/*
 * A share at "/" becomes the command's root: mounted at GUEST_ROOT, with the guest's own
 * /proc, /sys and /dev inside it where the shared tree has those directories (nothing is
 * created in the host's tree for them), and every other share mounted under it.
 */
static int mount_root(struct vm_cli *o, int ctl, unsigned int i, struct err **err)
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

	vm_plan__share_tag(i, tag, sizeof(tag));
	if (mount_one(ctl, tag, GUEST_ROOT, "virtiofs", o->plan.shares[i].readonly ? "ro" : NULL,
		      err) < 0)
		return -1;
	for (size_t k = 0; k < ARRAY_SIZE(inner); k++) {
		snprintf(host, sizeof(host), "%s/%s", o->plan.shares[i].host_path, inner[k].needs);
		if (stat(host, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		snprintf(guest, sizeof(guest), GUEST_ROOT "/%s", inner[k].dir);
		if (mount_one(ctl, inner[k].type, guest, inner[k].type, inner[k].opt, err) < 0)
			return -1;
	}
	return 0;
}

/* Each --share, mounted where the command expects it before the command exists. */
static int mount_shares(struct vm_cli *o, int ctl, struct err **err)
{
	int root = vm_plan__root_share(&o->plan);
	char path[4096], tag[16];

	if (root >= 0 && mount_root(o, ctl, root, err) < 0)
		return err_prefix(err, "vm run: --share %s", o->plan.shares[root].host_path);
	for (unsigned int i = 0; i < o->plan.nr_shares; i++) {
		const struct vm_share *sh = &o->plan.shares[i];

		if ((int)i == root)
			continue;
		vm_plan__share_tag(i, tag, sizeof(tag));
		snprintf(path, sizeof(path), "%s%s", root >= 0 ? GUEST_ROOT : "", sh->guest_path);
		if (mount_one(ctl, tag, path, "virtiofs", sh->readonly ? "ro" : NULL, err) < 0)
			return err_prefix(err, "vm run: --share %s", sh->host_path);
	}
	return 0;
}

/* Mounts the shares, creates the command (held before exec) and returns its name. */
static int create_command(struct vm_cli *o, int ctl, char **process, struct err **err)
{
	struct json_object *req;

	if (mount_shares(o, ctl, err) < 0)
		return -1;
	req = create_request(o, err);
	if (!req)
		return -1;
	if (agent__create(ctl, req, process, err) < 0)
		return err_prefix(err, "vm run: %s", o->command[0]);
	return 0;
}

static int relay_command(struct vm_cli *o, struct vm *vm, struct vsock *vs, struct err **err)
{
	struct agent_link link = { .vm = vm, .vs = vs };
	_cleanup_close_ int ctl = -1, sig_fd = -1;
	_cleanup_free_ char *process = NULL;
	struct relay *r = NULL;
	struct termios saved;
	bool raw = false;
	int ret = -1;

	/* The signals were blocked before the VM's threads started (machine__block_signals). */
	sig_fd = machine__signal_fd(err);
	if (sig_fd < 0)
		return -1;
	ctl = agent_link__connect(&link, AGENT_CTL_PORT, err);
	/* From here this thread only relays: it gets its seccomp filter (machine__confine). */
	if (ctl < 0 || create_command(o, ctl, &process, err) < 0 ||
	    seccomp__enter(THREAD_MAIN, err) < 0)
		return -1;

	struct relay_cfg cfg = {
		.link = &link, .ctl = ctl, .process = process,
		.in_fd = o->interactive ? STDIN_FILENO : -1,
		.out_fd = STDOUT_FILENO, .err_fd = STDERR_FILENO,
		.tty = o->tty, .winsize_fd = STDOUT_FILENO, .sig_fd = sig_fd, .aux_fd = -1,
	};

	if (relay__attach(&cfg, &r, err) < 0 || relay__start(r, err) < 0) {
		err_prefix(err, "vm run: %s", o->command[0]);
		goto out;
	}
	if (o->tty && o->interactive)
		raw = relay__raw_terminal(&saved);
	ret = relay__run(r, err);
	/* The guest's reset ends the VM; no answer is needed (it may not come). */
	if (ret >= 0 && agent__shutdown(ctl, NULL) < 0)
		vm__request_stop(vm, VM_STOP_POWEROFF, "the agent could not be asked to shut down");
out:
	relay__restore_terminal(raw, &saved);
	relay__free(r);
	return ret;
}

/* `kage vm run`: the command's relay runs on this thread while the VM runs on its own. */
int vm_cli__run(struct vm_cli *o, struct err **err)
{
	struct vm *vm = NULL;
	struct vsock *vs = NULL;
	int rc = -1;

	machine__block_signals();
	if (machine__confine(err) < 0 || vm_plan__create(&o->plan, &vm, &vs, err) < 0 ||
	    vm__start(vm, err) < 0)
		goto out;
	rc = relay_command(o, vm, vs, err);
	if (rc < 0)
		vm__request_stop(vm, VM_STOP_SIGNAL, "the command could not run");
	enum vm_stop how = vm__wait(vm, rc < 0 ? NULL : err);

	if (rc >= 0 && how == VM_STOP_ERROR)
		rc = -1;
out:
	vm__destroy(vm);
	return rc;
}
