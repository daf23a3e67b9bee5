/* Whole-file reads with a size cap (see file.h). */
#include "file.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "err.h"
#include "io.h"

int file__read_fd(int fd, const char *name, size_t max, char **text, size_t *len,
		  struct err **err)
{
	_cleanup_free_ char *data = NULL;
	struct stat st;
	size_t size;
	ssize_t got;

	if (fstat(fd, &st) < 0)
		return err_errno(err, "stat %s", name);
	if (!S_ISREG(st.st_mode))
		return err_msg(err, "%s: not a regular file", name);
	/* Refused before anything is allocated for it. */
	if ((uint64_t)st.st_size > max)
		return err_msg(err, "%s: %lld bytes is larger than the %zu-byte limit", name,
			       (long long)st.st_size, max);
	size = st.st_size;
	/* One byte past the size shows a file that grew after fstat(); one more holds the NUL. */
	data = malloc(size + 2);
	if (!data)
		return err_errno(err, "%s: allocate", name);
	got = io__read_all(fd, data, size + 1);
	if (got < 0)
		return err_errno(err, "read %s", name);
	if ((size_t)got > size)
		return err_msg(err, "%s: changed while being read", name);
	data[got] = 0;
	*text = TAKE_PTR(data);
	*len = got;
	return 0;
}

int file__read_at(int dirfd, const char *path, size_t max, char **text, size_t *len,
		  struct err **err)
{
	/* O_NONBLOCK: open() of a FIFO returns at once, and the regular-file check refuses it. */
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return err_errno(err, "open %s", path);
	return file__read_fd(fd, path, max, text, len, err);
}
