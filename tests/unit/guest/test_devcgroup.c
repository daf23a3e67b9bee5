/*
 * The guest agent's device rules program (guest/agent/container/devcgroup.c), loaded by this host's
 * kernel and attached to a cgroup v2 directory made here: a child moved into it opens and
 * mknods devices, and what the rules allow works while the rest fails with EPERM, as the
 * container sees it in the guest. Needs root and a cgroup2 mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "tests/unit/tap.h"

/* The agent's units, built in: guest code is outside the host objects tests link. */
#include "guest/agent/container/devcgroup.c"
#include "guest/agent/req.c"

static bool cgroup2_root(char *buf, size_t size)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	bool found = false;

	while (f && !found && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, size, "%s", m->mnt_dir);
			found = true;
		}
	if (f)
		endmntent(f);
	return found;
}

/* In a child in cgroup dir: what opening path (flags) gives, 0 or an errno. */
static int try_in(const char *dir, const char *path, int flags, bool mknod_it)
{
	char procs[4200];
	int st, fd;
	pid_t pid = fork();

	if (pid == 0) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
		fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(200);
		if (mknod_it)
			_exit(mknod(path, S_IFCHR | 0600, makedev(1, 3)) < 0 ? errno : 0);
		fd = open(path, flags);
		_exit(fd < 0 ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int attach(const char *dir, const char *rules_json, struct err **err)
{
	struct json_object *v = json_tokener_parse(rules_json);
	struct devcg_rule *rules = NULL;
	size_t n = 0;
	int ret = devcg__parse(v, &rules, &n, err);

	if (ret == 0)
		ret = devcg__attach(dir, rules, n, err);
	free(rules);
	json_object_put(v);
	return ret;
}

int main(void)
{
	char root[4096], dir[4200], node[] = "/tmp/kage-devcg-node.XXXXXX";
	struct err *err = NULL;
	int fd;

	if (geteuid() != 0 || !cgroup2_root(root, sizeof(root))) {
		printf("ok 1 - device rules # SKIP needs root and a cgroup2 mount\n");
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s/kage-devcg-test.%d", root, (int)getpid());
	if (mkdir(dir, 0755) < 0) {
		printf("ok 1 - device rules # SKIP cannot make a cgroup in %s: %s\n", root,
		       strerror(errno));
		return 0;
	}
	/* Docker's shape: all denied, mknod of any char device, /dev/null; then 1:5 read only. */
	CHECK(attach(dir, "[{\"allow\":false,\"type\":\"a\",\"access\":\"rwm\"},"
			  "{\"allow\":true,\"type\":\"c\",\"access\":\"m\"},"
			  "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
			  "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"r\"}]",
		     &err) == 0,
	      "the kernel's verifier takes the program (%s)", err ? err->msg : "");
	err_free(&err);
	CHECK(try_in(dir, "/dev/null", O_RDWR, false) == 0, "an allowed device opens read-write");
	CHECK(try_in(dir, "/dev/zero", O_RDONLY, false) == 0, "a read-only rule allows reads");
	CHECK(try_in(dir, "/dev/zero", O_WRONLY, false) == EPERM,
	      "and refuses writes (EPERM), as the rule names no 'w'");
	CHECK(try_in(dir, "/dev/full", O_RDONLY, false) == EPERM,
	      "a device no allow rule names is refused (the first rule denies all)");
	fd = mkstemp(node);
	if (fd >= 0) {
		close(fd);
		unlink(node);
	}
	CHECK(try_in(dir, node, 0, true) == 0, "mknod of a char device is allowed ('c *:* m')");
	unlink(node);
	CHECK(attach(dir, "[{\"type\":\"x\",\"access\":\"r\"}]", &err) < 0 && err,
	      "a rule of an unknown type is refused (%s)", err ? err->msg : "");
	err_free(&err);
	CHECK(attach(dir, "[{\"type\":\"c\",\"access\":\"rx\"}]", &err) < 0 && err,
	      "an access letter outside rwm is refused (%s)", err ? err->msg : "");
	err_free(&err);
	CHECK(rmdir(dir) == 0, "the test cgroup is removed (%s)", strerror(errno));
	return tap_done();
}
