/* Finds a disk by serial in sysfs (see disk.h). */
#include "disk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../../../lib/log.h"

#define SERIAL_MAX 20	/* virtio-blk's GET_ID answer */
/* Disks are probed before the agent runs; a short wait covers a slow probe all the same. */
#define FIND_TRIES 20
#define FIND_WAIT_US 50000

/* The first line of a small sysfs file, without its newline; "" when it cannot be read. */
static void read_attr(int dir, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

static int find_once(const char *sys, const char *serial, struct disk *out, bool *found,
		     struct err **err)
{
	char path[4096], attr[64];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/block", sys);
	d = opendir(path);
	if (!d)
		return err_errno(err, "%s", path);
	*found = false;
	while (!*found && (e = readdir(d))) {
		_cleanup_close_ int dir = -1;
		unsigned int ma, mi;
		char extra;

		if (e->d_name[0] == '.')
			continue;
		dir = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir < 0)
			continue;
		read_attr(dir, "serial", attr, sizeof(attr));
		if (strcmp(attr, serial))
			continue;
		read_attr(dir, "dev", attr, sizeof(attr));
		if (sscanf(attr, "%u:%u%c", &ma, &mi, &extra) != 2 ||
		    strlen(e->d_name) + 6 > sizeof(out->device)) {
			/* e lives in d: the message first */
			err_msg(err, "disk %s (%s): cannot read its device number '%s'", serial,
				e->d_name, attr);
			closedir(d);
			return -1;
		}
		snprintf(out->device, sizeof(out->device), "/dev/%s", e->d_name);
		out->major = ma;
		out->minor = mi;
		*found = true;
	}
	closedir(d);
	return 0;
}

int disk__find(const char *sys, const char *serial, struct disk *out, struct err **err)
{
	bool found = false;

	if (!*serial || strlen(serial) > SERIAL_MAX || strchr(serial, '/') || strchr(serial, '\n'))
		return err_msg(err, "'%s' is not a disk serial (1 to %d bytes)", serial, SERIAL_MAX);
	for (int i = 0; i < FIND_TRIES; i++) {
		if (find_once(sys, serial, out, &found, err) < 0)
			return -1;
		if (found) {
			pr_debug("agent: disk %s is %s (%u:%u)", serial, out->device, out->major,
				 out->minor);
			return 0;
		}
		usleep(FIND_WAIT_US);
	}
	return err_msg(err, "no disk with serial '%s'", serial);
}
