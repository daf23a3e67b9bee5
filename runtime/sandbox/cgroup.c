/* Placing a sandbox in the container's host cgroup; see cgroup.h. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "../../lib/cleanup.h"
#include "../../lib/io.h"
#include "../../lib/log.h"

static bool has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == 0 || s[2] == '/'))
			return true;
	return false;
}

/* "a-b-c.slice" → "a.slice/a-b.slice/a-b-c.slice", as systemd nests slices. */
static int expand_slice(const char *slice, char *out, size_t len, struct err **err)
{
	size_t n = strlen(slice), used = 0;

	if (n < 7 || strcmp(slice + n - 6, ".slice") || strchr(slice, '/'))
		return err_msg(err, "cgroupsPath: '%s' is not a systemd slice name", slice);
	out[0] = 0;
	if (!strcmp(slice, "-.slice"))
		return 0;
	for (const char *dash = slice; (dash = strchr(dash, '-')); dash++) {
		int w = snprintf(out + used, len - used, "%.*s.slice/", (int)(dash - slice), slice);

		if (w < 0 || (size_t)w >= len - used)
			return err_msg(err, "cgroupsPath: slice '%s' is too long", slice);
		used += w;
	}
	if ((size_t)snprintf(out + used, len - used, "%s", slice) >= len - used)
		return err_msg(err, "cgroupsPath: slice '%s' is too long", slice);
	return 0;
}

static int systemd_dir(const char *path, char *out, size_t len, struct err **err)
{
	char slice[256], prefix[256], name[256], spath[2048];

	if (sscanf(path, "%255[^:]:%255[^:]:%255[^:]", slice, prefix, name) != 3)
		return err_msg(err, "cgroupsPath '%s': systemd's form is slice:prefix:name", path);
	if (strchr(prefix, '/') || strchr(name, '/') || has_dotdot(name) || has_dotdot(prefix))
		return err_msg(err, "cgroupsPath '%s': a unit name holds no '/' or '..'", path);
	if (expand_slice(slice, spath, sizeof(spath), err) < 0)
		return -1;
	int n = snprintf(out, len, "%s/%s%s%s-%s.scope", CGROUP_MOUNT, spath, *spath ? "/" : "",
			 prefix, name);

	if (n < 0 || (size_t)n >= len)
		return err_msg(err, "cgroupsPath '%s' is too long", path);
	return 0;
}

int cgroup__dir(const char *cgroups_path, bool systemd, char *out, size_t len,
		struct err **err)
{
	struct statfs sf;

	out[0] = 0;
	if (!cgroups_path || !*cgroups_path)
		return 0;
	if (statfs(CGROUP_MOUNT, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC) {
		pr_warn("cgroupsPath '%s' not applied: %s is not cgroup v2, so the sandbox stays "
			"in its caller's cgroups", cgroups_path, CGROUP_MOUNT);
		return 0;
	}
	return cgroup__map(cgroups_path, systemd, out, len, err);
}

int cgroup__map(const char *cgroups_path, bool systemd, char *out, size_t len,
		struct err **err)
{
	out[0] = 0;
	if (!cgroups_path || !*cgroups_path)
		return 0;
	if (systemd || (!strchr(cgroups_path, '/') && strchr(cgroups_path, ':')))
		return systemd_dir(cgroups_path, out, len, err);
	if (has_dotdot(cgroups_path))
		return err_msg(err, "cgroupsPath '%s' must not contain '..'", cgroups_path);
	while (*cgroups_path == '/')
		cgroups_path++;
	int n = snprintf(out, len, "%s/%s", CGROUP_MOUNT, cgroups_path);

	if (n < 0 || (size_t)n >= len)
		return err_msg(err, "cgroupsPath '%s' is too long", cgroups_path);
	while (n > (int)strlen(CGROUP_MOUNT) + 1 && out[n - 1] == '/')
		out[--n] = 0;
	if (!strcmp(out, CGROUP_MOUNT "/"))
		return err_msg(err, "cgroupsPath '/' would be the root cgroup");
	return 0;
}

static int write_file(const char *dir, const char *file, const char *text, struct err **err)
{
	char path[4096];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || io__write_all(fd, text, strlen(text)) < 0)
		return err_errno(err, "cgroup: write '%s' to %s", text, path);
	return 0;
}

/* Lets dir's children use the controllers; best effort: one the kernel lacks, or a dir
 * where it cannot be enabled, shows up as the limit that then fails to write. */
static void enable_controllers(const char *dir, const char *controllers)
{
	_cleanup_err_ struct err *e = NULL;

	if (*controllers && write_file(dir, "cgroup.subtree_control", controllers, &e) < 0)
		pr_debug("%s", e->msg);
}

/* Makes dir and its missing parents, each ancestor from the mount down enabling the
 * controllers for its children, as runc does. */
static int make_dirs(const char *dir, const char *controllers, struct err **err)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", dir);
	enable_controllers(CGROUP_MOUNT, controllers);
	for (char *s = path + strlen(CGROUP_MOUNT) + 1;; s++) {
		bool last = !*s;

		if (*s != '/' && !last)
			continue;
		*s = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return err_errno(err, "cgroup: mkdir %s", path);
		if (last)
			return 0;
		enable_controllers(path, controllers);
		*s = '/';
	}
}

int cgroup__join(const char *dir, const struct cgroup_limits *l, struct err **err)
{
	char buf[64], ctl[64] = "";

	if (!dir || !*dir)
		return 0;
	if (l->memory_max)
		strcat(ctl, "+memory ");
	if (l->cpu_quota > 0)
		strcat(ctl, "+cpu ");
	if (make_dirs(dir, ctl, err) < 0)
		return -1;
	if (l->memory_max) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)l->memory_max);
		if (write_file(dir, "memory.max", buf, err) < 0)
			return -1;
	}
	if (l->cpu_quota > 0) {
		snprintf(buf, sizeof(buf), "%lld %llu", (long long)l->cpu_quota,
			 (unsigned long long)(l->cpu_period ? l->cpu_period : 100000));
		if (write_file(dir, "cpu.max", buf, err) < 0)
			return -1;
	}
	return write_file(dir, "cgroup.procs", "0", err);
}

int cgroup__remove(const char *dir, struct err **err)
{
	if (!dir || !*dir)
		return 0;
	for (int i = 0; i < 100; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return err_errno(err, "cgroup: rmdir %s", dir);
}
