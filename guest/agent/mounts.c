/* PID 1's mounts (see mounts.h); the kernel hands it nothing but the initramfs. */
#include "mounts.h"

#include <errno.h>
#include <stdlib.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "../../lib/log.h"

struct mnt {
	const char *source, *target, *type;
	unsigned long flags;
	const char *data;
};

#define NOSUID_NODEV (MS_NOSUID | MS_NODEV)

static const struct mnt mounts[] = {
	{ "proc", "/proc", "proc", NOSUID_NODEV | MS_NOEXEC, NULL },
	{ "sysfs", "/sys", "sysfs", NOSUID_NODEV | MS_NOEXEC, NULL },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
	/* ptmxmode: /dev/ptmx links to this instance's ptmx, which must be usable by anyone */
	{ "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	  "newinstance,ptmxmode=0666,mode=0620,gid=5" },
	{ "tmpfs", "/dev/shm", "tmpfs", NOSUID_NODEV, "mode=1777" },
	{ "tmpfs", "/run", "tmpfs", NOSUID_NODEV, "mode=0755" },
	{ "tmpfs", "/tmp", "tmpfs", NOSUID_NODEV, "mode=1777" },
	{ "cgroup2", "/sys/fs/cgroup", "cgroup2", NOSUID_NODEV | MS_NOEXEC, NULL },
};

static const struct {
	const char *target, *path;
} links[] = {
	{ "pts/ptmx", "/dev/ptmx" },
	{ "/proc/self/fd", "/dev/fd" },
	{ "/proc/self/fd/0", "/dev/stdin" },
	{ "/proc/self/fd/1", "/dev/stdout" },
	{ "/proc/self/fd/2", "/dev/stderr" },
};

static void do_mount(const struct mnt *m)
{
	if (mkdir(m->target, 0755) < 0 && errno != EEXIST)
		pr_warn("agent: mkdir %s: %s", m->target, strerror(errno));
	/* CONFIG_DEVTMPFS_MOUNT may have mounted /dev already */
	if (mount(m->source, m->target, m->type, m->flags, m->data) < 0 && errno != EBUSY)
		pr_warn("agent: mount %s on %s: %s", m->type, m->target, strerror(errno));
}

/* Loopback up, as every network-aware program expects 127.0.0.1 to work. */
static void loopback_up(void)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { .ifr_name = "lo" };

	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		pr_warn("agent: lo: %s", strerror(errno));
		return;
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		pr_warn("agent: bring lo up: %s", strerror(errno));
}

void mounts__setup(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(mounts); i++)
		do_mount(&mounts[i]);
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		unlink(links[i].path);
		if (symlink(links[i].target, links[i].path) < 0)
			pr_warn("agent: symlink %s: %s", links[i].path, strerror(errno));
	}
	loopback_up();
}

static const struct {
	const char *word;
	unsigned long set, clear;
} flag_words[] = {
	{ "ro", MS_RDONLY, 0 },		{ "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },	{ "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },	{ "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },	{ "exec", 0, MS_NOEXEC },
	{ "noatime", MS_NOATIME, 0 },	{ "relatime", MS_RELATIME, 0 },
	{ "sync", MS_SYNCHRONOUS, 0 },	{ "bind", MS_BIND, 0 },
	{ "rbind", MS_BIND | MS_REC, 0 },
};

/* mkdir -p, refusing anything but an absolute path without "..": the host names guest paths. */
static int make_dirs(const char *path, struct err **err)
{
	char buf[4096];
	size_t len = strlen(path);

	if (path[0] != '/' || len >= sizeof(buf) || strstr(path, "/../") ||
	    (len >= 3 && !strcmp(path + len - 3, "/..")))
		return err_msg(err, "target '%s' must be an absolute path without '..'", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;

		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return err_errno(err, "mkdir %s", buf);
		if (!c)
			return 0;
		*p = c;
	}
}

int mounts__mount(const char *source, const char *target, const char *type,
		  char *const *options, struct err **err)
{
	unsigned long flags = 0;
	char data[1024] = "";
	size_t used = 0;

	for (size_t i = 0; options && options[i]; i++) {
		size_t j = 0;

		while (j < ARRAY_SIZE(flag_words) && strcmp(options[i], flag_words[j].word))
			j++;
		if (j < ARRAY_SIZE(flag_words)) {
			flags = (flags & ~flag_words[j].clear) | flag_words[j].set;
			continue;
		}
		int n = snprintf(data + used, sizeof(data) - used, "%s%s", used ? "," : "",
				 options[i]);

		if (n < 0 || (size_t)n >= sizeof(data) - used)
			return err_msg(err, "mount options too long");
		used += n;
	}
	if (make_dirs(target, err) < 0)
		return -1;
	/* A bind mount ignores ro on the first call: it takes it on a remount, below. */
	unsigned long first = flags & MS_BIND ? flags & ~MS_RDONLY : flags;

	if (mount(source, target, type, first, used ? data : NULL) < 0)
		return err_errno(err, "mount %s (%s) on %s", source, type, target);
	if ((flags & MS_BIND) && (flags & MS_RDONLY) &&
	    mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | (flags & ~MS_REC), NULL) < 0)
		return err_errno(err, "remount %s read-only", target);
	return 0;
}
