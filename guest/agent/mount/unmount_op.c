/*
 * The unmount op: when a pod member is deleted, the host has the agent take away every mount
 * it made for that member's root (its /proc, /dev, binds, the read-only bind of the root
 * itself), so a pod that runs for weeks does not pile up the mounts of its past containers.
 */
#include "mount_op.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <json-c/json.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../../../lib/log.h"
#include "../req.h"
#include "mounts.h"
#include "resolve.h"

/* Mounts nested deeper than this under one root are not a container's any more. */
#define UNMOUNT_MAX 256

static bool at_or_under(const char *point, const char *target, size_t len)
{
	return !strncmp(point, target, len) && (point[len] == '/' || !point[len]);
}

int mount_op__unmount(struct json_object *req, bool apply, struct err **err)
{
	_cleanup_fclose_ FILE *f = NULL;
	char *points[UNMOUNT_MAX], line[4096];
	const char *target = NULL;
	size_t n = 0, len;
	int ret = 0;

	if (req__string(req, "target", true, &target, err) < 0 ||
	    resolve__check_path("target", target, err) < 0)
		return -1;
	len = strlen(target);
	while (len > 1 && target[len - 1] == '/')
		len--;
	if (len <= 1)
		return err_msg(err, "'target' must not be the guest's root");
	if (!apply)
		return 0;
	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return err_errno(err, "read /proc/self/mounts");
	while (fgets(line, sizeof(line), f)) {
		struct mount_line m;

		if (mounts__parse_line(line, &m) < 0 || !at_or_under(m.point, target, len))
			continue;
		if (n == UNMOUNT_MAX) {
			ret = err_msg(err, "more than %d mounts under %s", UNMOUNT_MAX, target);
			break;
		}
		if (!(points[n] = strdup(m.point))) {
			ret = err_errno(err, "unmount %s", target);
			break;
		}
		n++;
	}
	/* Newest first: a mount's children were mounted after it. Lazily, as a process of the
	 * container may still hold one open while it dies. What was found goes even when the
	 * list was cut short; the first error is the answer. */
	while (n--) {
		if (umount2(points[n], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT &&
		    ret == 0)
			ret = err_errno(err, "unmount %s", points[n]);
		free(points[n]);
	}
	return ret;
}
