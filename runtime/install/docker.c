/* kage as a Docker runtime: its entry in daemon.json, and dockerd asked to reload. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "../../lib/io.h"
#include "daemon_json.h"
#include "diff.h"
#include "files.h"
#include "install.h"

/* The first line of a small file (a pid file, /proc/PID/comm, whose size reads as 0). */
static bool read_line(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	ssize_t n = fd < 0 ? -1 : io__read_all(fd, buf, size - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/*
 * dockerd reloads daemon.json (its runtimes among it) on SIGHUP. The pid file may be stale
 * and its pid reused, so the process must still be dockerd before it gets a signal.
 */
static void reload_dockerd(void)
{
	char text[32], comm[32], path[64], *end;
	long pid;

	if (!read_line(INSTALL_DOCKER_PID, text, sizeof(text)))
		goto not_running;
	errno = 0;
	pid = strtol(text, &end, 10);
	if (errno || end == text || *end || pid <= 1 || pid > INT_MAX)
		goto not_running;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if (!read_line(path, comm, sizeof(comm)) || strcmp(comm, "dockerd"))
		goto not_running;
	if (kill(pid, SIGHUP) < 0) {
		printf("dockerd (pid %ld) could not be signalled (%s): restart it to use the "
		       "runtime\n", pid, strerror(errno));
		return;
	}
	printf("dockerd (pid %ld) reloaded its configuration\n", pid);
	return;
not_running:
	printf("dockerd is not running: the runtime is used from its next start\n");
}

/* A file that is a symlink (a managed /etc) is edited where it points, not replaced. */
static char *resolve(const char *path)
{
	char *real = realpath(path, NULL);

	return real ? real : strdup(path);
}


int install__docker(const struct install_opts *o, struct err **err)
{
	_cleanup_free_ char *path = resolve(o->config ? o->config : INSTALL_DAEMON_JSON);
	_cleanup_free_ char *new = NULL, *bak = NULL;
	struct daemon_json_edit e = {
		.name = o->name, .path = o->binary, .set_default = o->set_default,
		.remove = o->remove,
	};
	struct old_file f = { 0 };
	int ret = -1, changed;

	if (!path)
		return err_errno(err, "daemon.json path");
	if (files__read(path, &f, err) < 0)
		return -1;
	changed = daemon_json__edit(path, f.text, f.len, &e, &new, err);
	if (changed < 0)
		goto out;
	ret = install__copy_binary(o, err);
	if (ret < 0)
		goto out;
	if (!changed) {
		printf("%s: runtime \"%s\" %s\n", path, o->name,
		       o->remove ? "is not installed: nothing to remove" :
				   "is already installed: nothing changed");
		goto out;
	}
	if (o->dry_run) {
		ret = install__print_diff(path, f.text, new, err);
		goto out;
	}
	if (f.exists && (ret = files__backup(path, &f, &bak, err)) < 0)
		goto out;
	ret = files__replace(path, new, strlen(new), f.mode, f.uid, f.gid, err);
	if (ret < 0)
		goto out;
	if (bak)
		printf("saved the previous %s as %s\n", path, bak);
	if (o->remove)
		printf("%s: removed runtime \"%s\"\n", path, o->name);
	else
		printf("%s: runtime \"%s\" runs %s%s\n", path, o->name, o->binary,
		       o->set_default ? " (the default runtime)" : "");
	/*
	 * dockerd's reload sets the default runtime only from a value in the file, never back
	 * to runc when the key is gone: only a restart takes the default away, and a reload now
	 * would leave dockerd defaulting to a runtime it no longer has.
	 */
	if (changed == 2)
		printf("restart dockerd (systemctl restart docker): \"%s\" stays its default "
		       "runtime until then\n", o->name);
	else
		reload_dockerd();
out:
	files__free(&f);
	return ret;
}
