/* Reading, replacing and backing up the configuration files of files.h. */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "../../lib/file.h"
#include "../../lib/io.h"

#define MAX_CONFIG (1 << 20)

int files__read(const char *path, struct old_file *f, struct err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;

	*f = (struct old_file){ .mode = 0644, .uid = geteuid(), .gid = getegid() };
	if (fd < 0 && errno == ENOENT) {
		f->text = strdup("");
		return f->text ? 0 : err_errno(err, "%s", path);
	}
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_errno(err, "open %s", path);
	if (file__read_fd(fd, path, MAX_CONFIG, &f->text, &f->len, err) < 0)
		return -1;
	f->exists = true;
	f->mode = st.st_mode & 07777;
	f->uid = st.st_uid;
	f->gid = st.st_gid;
	return 0;
}

void files__free(struct old_file *f)
{
	free(f->text);
	f->text = NULL;
}

/* mkdir -p, 0755: the directories configuration lives in are world-readable. */
static int make_parents(const char *dir, struct err **err)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return err_msg(err, "%s: path too long", dir);
	for (char *p = buf + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return err_errno(err, "create directory %s", buf);
		*p = c;
		if (!c)
			return 0;
	}
}

/* The directory of path, as a new string. */
static char *dir_of(const char *path)
{
	char *copy = strdup(path), *d;

	if (!copy)
		return NULL;
	d = strdup(dirname(copy));
	free(copy);
	return d;
}

/* A temporary file beside path whose name no reader of the directory mistakes for a config. */
static int open_temp(const char *path, char **tmp, struct err **err)
{
	_cleanup_free_ char *dir = dir_of(path);
	int fd;

	if (!dir)
		return err_errno(err, "%s", path);
	if (make_parents(dir, err) < 0)
		return -1;
	if (asprintf(tmp, "%s.kage-tmp.XXXXXX", path) < 0) {
		*tmp = NULL;
		return err_errno(err, "%s", path);
	}
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, "create a temporary file beside %s", path);
	return fd;
}

/* Gives the temporary file its metadata, syncs it and renames it over path. */
static int commit(int fd, const char *tmp, const char *path, mode_t mode, uid_t uid, gid_t gid,
		  struct err **err)
{
	_cleanup_free_ char *dir = dir_of(path);
	_cleanup_close_ int dfd = -1;

	/* fchown first: it may clear set-id bits that fchmod then restores. */
	if ((fchown(fd, uid, gid) < 0 && errno != EPERM) || fchmod(fd, mode) < 0)
		return err_errno(err, "set the mode of %s", tmp);
	if (fsync(fd) < 0)
		return err_errno(err, "sync %s", tmp);
	if (rename(tmp, path) < 0)
		return err_errno(err, "rename %s to %s", tmp, path);
	/* The rename itself is durable once the directory is synced. */
	dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd >= 0)
		fsync(dfd);
	return 0;
}

int files__replace(const char *path, const char *data, size_t len, mode_t mode, uid_t uid,
		   gid_t gid, struct err **err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = open_temp(path, &tmp, err);

	if (fd < 0)
		return -1;
	if (io__write_all(fd, data, len) < 0) {
		err_errno(err, "write %s", tmp);
		goto fail;
	}
	if (commit(fd, tmp, path, mode, uid, gid, err) < 0)
		goto fail;
	return 0;
fail:
	unlink(tmp);
	return -1;
}

int files__backup(const char *path, const struct old_file *f, char **bak, struct err **err)
{
	if (asprintf(bak, "%s.kage-bak", path) < 0) {
		*bak = NULL;
		return err_errno(err, "%s", path);
	}
	if (files__replace(*bak, f->text, f->len, f->mode, f->uid, f->gid, err) < 0)
		return err_prefix(err, "back up %s", path);
	return 0;
}

int files__copy_self(const char *path, struct err **err)
{
	_cleanup_close_ int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return err_errno(err, "open /proc/self/exe");
	fd = open_temp(path, &tmp, err);
	if (fd < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || io__write_all(fd, buf, n) < 0) {
			err_errno(err, "copy kage to %s", tmp);
			goto fail;
		}
	}
	if (commit(fd, tmp, path, 0755, geteuid(), getegid(), err) < 0)
		goto fail;
	return 0;
fail:
	unlink(tmp);
	return -1;
}
