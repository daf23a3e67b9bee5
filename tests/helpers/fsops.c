/*
 * File operations busybox lacks, for the virtio-fs tests to run inside the guest:
 *   fsops rename-noreplace A B | rename-exchange A B
 *   fsops setxattr F NAME VALUE | getxattr F NAME | listxattr F | removexattr F NAME
 *   fsops fallocate F LEN | punch F OFF LEN     (prints st_blocks afterwards)
 *   fsops mmap-write F OFF TEXT | mmap-read F OFF LEN
 *   fsops utimes F SECONDS                       (atime and mtime)
 *   fsops seek-data F OFF | seek-hole F OFF
 *   fsops writers DIR N MIB                      (N processes, each writes its own file)
 * Exits 0 on success; on failure prints the errno name's text and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/* musl has no renameat2() wrapper. */
static int rename2(const char *from, const char *to, unsigned int flags)
{
	return syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
}

static int fail(const char *what)
{
	fprintf(stderr, "fsops: %s: %s\n", what, strerror(errno));
	return 1;
}

static int open_or_fail(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);

	if (fd < 0)
		exit(fail(path));
	return fd;
}

static int blocks(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return fail("fstat");
	printf("%lld\n", (long long)st.st_blocks);
	return 0;
}

static int do_mmap(char **a, bool write)
{
	int fd = open_or_fail(a[0], write ? O_RDWR : O_RDONLY);
	long off = atol(a[1]);
	size_t len = write ? strlen(a[2]) : (size_t)atol(a[2]);
	long page = sysconf(_SC_PAGESIZE), base = off / page * page;
	char *p = mmap(NULL, len + (off - base), write ? PROT_READ | PROT_WRITE : PROT_READ,
		       MAP_SHARED, fd, base);

	if (p == MAP_FAILED)
		return fail("mmap");
	if (write) {
		memcpy(p + (off - base), a[2], len);
		if (msync(p, len + (off - base), MS_SYNC) < 0)
			return fail("msync");
	} else {
		fwrite(p + (off - base), 1, len, stdout);
	}
	return 0;
}

static int writers(const char *dir, int n, long mib)
{
	static char buf[1 << 20];

	for (int i = 0; i < n; i++) {
		if (fork() == 0) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/writer%d", dir, i);
			memset(buf, 'a' + i, sizeof(buf));
			int fd = open_or_fail(path, O_WRONLY | O_CREAT | O_TRUNC);

			for (long m = 0; m < mib; m++)
				if (write(fd, buf, sizeof(buf)) != sizeof(buf))
					_exit(fail("write"));
			_exit(close(fd) < 0 ? fail("close") : 0);
		}
	}
	int bad = 0, st;

	while (wait(&st) > 0)
		bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	return bad;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	char **a = argv + 2;
	int n = argc - 2;
	char buf[65536];
	ssize_t len;

	if (!strcmp(op, "rename-noreplace") && n == 2)
		return rename2(a[0], a[1], RENAME_NOREPLACE) < 0 ? fail(op) : 0;
	if (!strcmp(op, "rename-exchange") && n == 2)
		return rename2(a[0], a[1], RENAME_EXCHANGE) < 0 ? fail(op) : 0;
	if (!strcmp(op, "setxattr") && n == 3)
		return setxattr(a[0], a[1], a[2], strlen(a[2]), 0) < 0 ? fail(op) : 0;
	if (!strcmp(op, "removexattr") && n == 2)
		return removexattr(a[0], a[1]) < 0 ? fail(op) : 0;
	if (!strcmp(op, "getxattr") && n == 2) {
		len = getxattr(a[0], a[1], buf, sizeof(buf));
		if (len < 0)
			return fail(op);
		printf("%.*s\n", (int)len, buf);
		return 0;
	}
	if (!strcmp(op, "listxattr") && n == 1) {
		len = listxattr(a[0], buf, sizeof(buf));
		if (len < 0)
			return fail(op);
		for (ssize_t i = 0; i < len; i += strlen(buf + i) + 1)
			printf("%s\n", buf + i);
		return 0;
	}
	if (!strcmp(op, "fallocate") && n == 2) {
		int fd = open_or_fail(a[0], O_RDWR | O_CREAT);

		return fallocate(fd, 0, 0, atol(a[1])) < 0 ? fail(op) : blocks(fd);
	}
	if (!strcmp(op, "punch") && n == 3) {
		int fd = open_or_fail(a[0], O_RDWR);

		return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, atol(a[1]),
				 atol(a[2])) < 0 ? fail(op) : blocks(fd);
	}
	if (!strcmp(op, "mmap-write") && n == 3)
		return do_mmap(a, true);
	if (!strcmp(op, "mmap-read") && n == 3)
		return do_mmap(a, false);
	if (!strcmp(op, "utimes") && n == 2) {
		struct timespec t[2] = { { atol(a[1]), 0 }, { atol(a[1]), 0 } };

		return utimensat(AT_FDCWD, a[0], t, 0) < 0 ? fail(op) : 0;
	}
	if ((!strcmp(op, "seek-data") || !strcmp(op, "seek-hole")) && n == 2) {
		int fd = open_or_fail(a[0], O_RDONLY);
		off_t r = lseek(fd, atol(a[1]), op[5] == 'd' ? SEEK_DATA : SEEK_HOLE);

		if (r < 0)
			return fail(op);
		printf("%lld\n", (long long)r);
		return 0;
	}
	if (!strcmp(op, "writers") && n == 3)
		return writers(a[0], atoi(a[1]), atol(a[2]));
	fprintf(stderr, "fsops: bad arguments (see the source's header)\n");
	return 2;
}
