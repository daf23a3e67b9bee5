/* PID 1's mounts (see mounts.h); the kernel hands it nothing but the initramfs. */
#include "mounts.h"

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/log.h"

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

/*
 * The initramfs is the root mount itself, which has no parent, and pivot_root(2) refuses to
 * leave such a root: a container's init could then only chroot, which CAP_SYS_CHROOT escapes.
 * So the agent's root becomes a bind mount of the initramfs placed on top of it, as
 * switch_root places a new root.
 */
static void root_on_mount(void)
{
	if (mkdir("/.root", 0700) < 0 && errno != EEXIST)
		pr_warn("agent: mkdir /.root: %s", strerror(errno));
	if (mount("/", "/.root", NULL, MS_BIND, NULL) < 0 || chdir("/.root") < 0 ||
	    mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		pr_warn("agent: move the root onto a mount of its own: %s (containers will "
			"fail to pivot_root)", strerror(errno));
		return;
	}
	rmdir("/.root");
}

void mounts__setup(void)
{
	root_on_mount();
	for (size_t i = 0; i < ARRAY_SIZE(mounts); i++)
		do_mount(&mounts[i]);
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		unlink(links[i].path);
		if (symlink(links[i].target, links[i].path) < 0)
			pr_warn("agent: symlink %s: %s", links[i].path, strerror(errno));
	}
	loopback_up();
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* Undoes a field's octal escapes in place; returns what follows the field, or NULL. */
static char *unescape_field(char *r)
{
	char *w = r;

	while (*r && *r != ' ') {
		if (r[0] == '\\' && is_octal(r[1]) && is_octal(r[2]) && is_octal(r[3])) {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	if (!*r)
		return NULL;
	*w = 0;
	return r + 1;
}

int mounts__parse_line(char *line, struct mount_line *m)
{
	char *point = strchr(line, ' '), *type, *opts, *end;

	if (!point || !(type = unescape_field(++point)) || !(opts = strchr(type, ' ')))
		return -1;
	*opts++ = 0;
	end = strchr(opts, ' ');
	if (end)
		*end = 0;
	m->point = point;
	m->type = type;
	m->ro = !strcmp(opts, "ro") || !strncmp(opts, "ro,", 3);
	return 0;
}

int mounts__parse_info_line(char *line, struct mountinfo_line *m)
{
	char *f = line, *next;

	/* mount id, parent id, major:minor, root; then the point */
	for (int i = 0; i < 4; i++) {
		f = strchr(f, ' ');
		if (!f)
			return -1;
		f++;
	}
	m->point = f;
	if (!(f = unescape_field(f)) || !(f = strchr(f, ' ')))
		return -1;
	m->shared = m->unbindable = false;
	/* the optional fields, up to the lone "-" */
	for (f++; *f && strncmp(f, "- ", 2); f = next) {
		next = strchr(f, ' ');
		if (!next)
			return -1;
		*next++ = 0;
		m->shared |= !strncmp(f, "shared:", 7);
		m->unbindable |= !strcmp(f, "unbindable");
	}
	return *f ? 0 : -1;
}

void mounts__unmount_all(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mounts", "re");
	char line[4096], **points = NULL;
	size_t n = 0;

	while (f && fgets(line, sizeof(line), f)) {
		struct mount_line m;
		char **grown;

		if (mounts__parse_line(line, &m) < 0 || !strcmp(m.point, "/"))
			continue;
		grown = realloc(points, (n + 1) * sizeof(*points));
		if (!grown || !(grown[n] = strdup(m.point))) {
			points = grown ? grown : points;
			break;
		}
		points = grown;
		n++;
	}
	/* Newest first: what is mounted inside a filesystem goes before it. */
	while (n--) {
		if (umount2(points[n], 0) < 0 &&
		    mount(NULL, points[n], NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
			pr_debug("agent: unmount %s: %s", points[n], strerror(errno));
		free(points[n]);
	}
	free(points);
}
