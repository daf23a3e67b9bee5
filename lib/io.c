/* Small I/O helpers every part of kage shares. */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int io__write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

ssize_t io__read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* /dev/null opened ahead by io__keep_null, for the next io__release_stdio; or -1. */
static int kept_null = -1;

int io__keep_null(void)
{
	if (kept_null < 0)
		kept_null = open("/dev/null", O_RDWR | O_CLOEXEC);
	return kept_null < 0 ? -1 : 0;
}

int io__release_stdio(void)
{
	int fd = kept_null >= 0 ? kept_null : open("/dev/null", O_RDWR | O_CLOEXEC);

	kept_null = -1;

	if (fd < 0)
		return -1;
	for (int i = 0; i <= 2; i++) {
		if (dup2(fd, i) < 0) {
			int saved = errno;

			if (fd > 2)
				close(fd);
			errno = saved;
			return -1;
		}
	}
	if (fd > 2)	/* one of 0-2 was closed, and is now this */
		close(fd);
	return 0;
}

int io__bind_private(int fd, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
	/* umask is the only way to set a socket file's mode at creation; the chmod after covers
	 * a filesystem whose default ACL adds bits back. The window between them is closed by
	 * the umask. */
	mode_t old = umask(0177);
	int ret = bind(fd, sa, len);

	umask(old);
	if (ret == 0 && sa->sa_family == AF_UNIX && un->sun_path[0] && chmod(un->sun_path, 0600) < 0)
		return -1;
	return ret;
}
