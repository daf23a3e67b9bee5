/* A container's cgroup in the guest (see cgroup.h). */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../../../lib/log.h"
#include "devcgroup.h"


static unsigned long next_cgroup = 1;

/*
 * Each controller alone: one the guest kernel lacks must not keep the others off. A file of
 * a missing controller then fails by name when it is written.
 */
static void enable_controllers(void)
{
	static const char *const ctl[] = { "+cpu", "+cpuset", "+io", "+memory", "+pids" };
	_cleanup_close_ int fd = open(CGROUP_ROOT "/cgroup.subtree_control", O_WRONLY | O_CLOEXEC);

	for (size_t i = 0; fd >= 0 && i < ARRAY_SIZE(ctl); i++)
		if (write(fd, ctl[i], strlen(ctl[i])) < 0)
			pr_debug("agent: cgroup controller %s: %s", ctl[i] + 1, strerror(errno));
}

static int write_file(int dir, const char *file, const char *value, struct err **err)
{
	_cleanup_close_ int fd = openat(dir, file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t len = strlen(value);

	if (fd < 0)
		return err_errno(err, "cgroup %s", file);
	if (write(fd, value, len) != (ssize_t)len)
		return err_errno(err, "cgroup %s: write '%s'", file, value);
	return 0;
}

int cgroup__make(struct json_object *files, const struct devcg_rule *rules, size_t nrules,
		 char *dir, size_t size, struct err **err)
{
	_cleanup_close_ int fd = -1;

	enable_controllers();
	snprintf(dir, size, CGROUP_ROOT "/kage-%lu", next_cgroup++);
	if (mkdir(dir, 0755) < 0)
		return err_errno(err, "make the container's cgroup %s", dir);
	fd = open(dir, O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (fd < 0) {
		err_errno(err, "open %s", dir);
		goto fail;
	}
	/* cpuset first: its files are empty, and so unusable, until written */
	json_object_object_foreach(files, f, v)
		if (!strncmp(f, "cpuset.", 7) && write_file(fd, f, json_object_get_string(v), err) < 0)
			goto fail;
	json_object_object_foreach(files, f2, v2)
		if (strncmp(f2, "cpuset.", 7) && write_file(fd, f2, json_object_get_string(v2), err) < 0)
			goto fail;
	if (nrules && devcg__attach(dir, rules, nrules, err) < 0)
		goto fail;
	return 0;
fail:
	rmdir(dir);
	*dir = 0;
	return -1;
}

/* Whether cgroup.events in dir says the whole subtree is frozen. */
static bool is_frozen(int dir)
{
	_cleanup_close_ int fd = openat(dir, "cgroup.events", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[256];
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (n <= 0)
		return false;
	buf[n] = 0;
	return strstr(buf, "frozen 1") != NULL;
}

int cgroup__freeze(const char *dir, bool frozen, struct err **err)
{
	_cleanup_close_ int fd = -1;

	if (!*dir)
		return err_msg(err, "the container has no cgroup of its own to freeze");
	fd = open(dir, O_DIRECTORY | O_PATH | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, "open %s", dir);
	if (write_file(fd, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	/* A task in the kernel (a page fault on a share, say) freezes once it returns. */
	for (int waited = 0; frozen && !is_frozen(fd); waited += 5) {
		if (waited >= CGROUP_FREEZE_MS) {
			write_file(fd, "cgroup.freeze", "0", NULL);
			return err_msg(err, "cgroup %s did not freeze within %d ms", dir,
				       CGROUP_FREEZE_MS);
		}
		usleep(5000);
	}
	return 0;
}

void cgroup__remove(const char *dir)
{
	if (*dir && rmdir(dir) < 0 && errno != ENOENT)
		pr_debug("agent: remove cgroup %s: %s", dir, strerror(errno));
}
