/*
 * Device nodes in a container's root (docs/agent-protocol.md, mknod): one node as the spec
 * lists it, or the devices and links every OCI container gets, as runc makes them.
 */
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../../../lib/log.h"
#include "../req.h"
#include "../mount/resolve.h"

#define ID_MAX 4294967294LL	/* as create's uid/gid: (uid_t)-1 means "unchanged" */
#define MAJOR_MAX 4095		/* the kernel's dev_t: 12 bits of major, 20 of minor */
#define MINOR_MAX 1048575

struct node {
	const char *path;
	mode_t type;	/* S_IFCHR, S_IFBLK or S_IFIFO */
	unsigned int major, minor;
	mode_t mode;	/* permission bits */
	uid_t uid;
	gid_t gid;
};

static const struct node default_nodes[] = {
	{ "/dev/null", S_IFCHR, 1, 3, 0666, 0, 0 },
	{ "/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0 },
	{ "/dev/full", S_IFCHR, 1, 7, 0666, 0, 0 },
	{ "/dev/random", S_IFCHR, 1, 8, 0666, 0, 0 },
	{ "/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0 },
	{ "/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0 },
};

static const struct {
	const char *path, *target;
} default_links[] = {
	{ "/dev/ptmx", "pts/ptmx" },
	{ "/dev/fd", "/proc/self/fd" },
	{ "/dev/stdin", "/proc/self/fd/0" },
	{ "/dev/stdout", "/proc/self/fd/1" },
	{ "/dev/stderr", "/proc/self/fd/2" },
	{ "/dev/core", "/proc/kcore" },
};

/* Creates n; something already at its path is replaced, unless it is a directory. */
static int make_node(int root, const struct node *n, struct err **err)
{
	_cleanup_close_ int dir = -1;
	char name[NAME_MAX + 1];
	struct stat st;
	mode_t old;
	int ret;

	dir = resolve__parent(root, n->path, name, sizeof(name), err);
	if (dir < 0)
		return -1;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode))
			return err_msg(err, "%s exists as a directory", n->path);
		if (unlinkat(dir, name, 0) < 0)
			return err_errno(err, "replace %s", n->path);
	}
	/* the mode asked for, not the agent's umask of it */
	old = umask(0);
	ret = mknodat(dir, name, n->type | n->mode, makedev(n->major, n->minor));
	umask(old);
	if (ret < 0)
		return err_errno(err, "mknod %s", n->path);
	if (fchownat(dir, name, n->uid, n->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return err_errno(err, "chown %s", n->path);
	return 0;
}

/* Links already there are left alone, as runc leaves them. */
static int make_link(int root, const char *path, const char *target, struct err **err)
{
	_cleanup_close_ int dir = -1;
	char name[NAME_MAX + 1];

	dir = resolve__parent(root, path, name, sizeof(name), err);
	if (dir < 0)
		return -1;
	if (symlinkat(target, dir, name) < 0 && errno != EEXIST)
		return err_errno(err, "symlink %s", path);
	return 0;
}

static int make_defaults(int root, struct err **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(default_nodes); i++)
		if (make_node(root, &default_nodes[i], err) < 0)
			return -1;
	for (size_t i = 0; i < ARRAY_SIZE(default_links); i++)
		if (make_link(root, default_links[i].path, default_links[i].target, err) < 0)
			return -1;
	return 0;
}

static int parse_type(const char *t, mode_t *type, struct err **err)
{
	/* OCI's "u" is an unbuffered character device, which Linux does not tell apart */
	if (!strcmp(t, "c") || !strcmp(t, "u"))
		*type = S_IFCHR;
	else if (!strcmp(t, "b"))
		*type = S_IFBLK;
	else if (!strcmp(t, "p"))
		*type = S_IFIFO;
	else
		return err_msg(err, "'type' must be \"c\", \"b\", \"u\" or \"p\", not '%s'", t);
	return 0;
}

static int parse_node(struct json_object *req, struct node *n, struct err **err)
{
	int64_t major = 0, minor = 0, mode = 0666, uid = 0, gid = 0;
	const char *type = NULL;

	if (req__string(req, "path", true, &n->path, err) < 0 ||
	    req__string(req, "type", true, &type, err) < 0 || parse_type(type, &n->type, err) < 0 ||
	    req__int(req, "major", n->type != S_IFIFO, 0, MAJOR_MAX, &major, err) < 0 ||
	    req__int(req, "minor", n->type != S_IFIFO, 0, MINOR_MAX, &minor, err) < 0 ||
	    req__int(req, "mode", false, 0, 07777, &mode, err) < 0 ||
	    req__int(req, "uid", false, 0, ID_MAX, &uid, err) < 0 ||
	    req__int(req, "gid", false, 0, ID_MAX, &gid, err) < 0 ||
	    resolve__check_path("path", n->path, err) < 0)
		return -1;
	n->major = major;
	n->minor = minor;
	n->mode = mode;
	n->uid = uid;
	n->gid = gid;
	return 0;
}

int devices__mknod(struct json_object *req, bool apply, struct err **err)
{
	_cleanup_close_ int root_fd = -1;
	const char *root = NULL;
	bool defaults = false;
	struct node n = { 0 };

	if (req__string(req, "root", false, &root, err) < 0 ||
	    req__bool(req, "defaults", &defaults, err) < 0 ||
	    (root && resolve__check_path("root", root, err) < 0))
		return -1;
	if (defaults && json_object_object_get_ex(req, "path", NULL))
		return err_msg(err, "'path' and 'defaults' do not go together");
	if (!defaults && parse_node(req, &n, err) < 0)
		return -1;
	if (!apply)
		return 0;
	root_fd = resolve__open_root(root, err);
	if (root_fd < 0)
		return -1;
	if (defaults) {
		pr_debug("agent: default devices in %s", root ? root : "/");
		return make_defaults(root_fd, err);
	}
	pr_debug("agent: mknod %s%s", root ? root : "", n.path);
	return make_node(root_fd, &n, err);
}
