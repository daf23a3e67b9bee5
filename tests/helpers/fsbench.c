/*
 * File system micro-benchmarks that run the same static binary on the host and inside a
 * guest (bench/fs), so the two figures differ only in the file system underneath:
 *   fsbench write FILE MIB        sequential 1 MiB writes, then fsync   -> MB/s
 *   fsbench read FILE             sequential 1 MiB reads                 -> MB/s
 *   fsbench randread FILE N       N 4 KiB preads at random offsets       -> IOPS
 *   fsbench meta DIR N            create+stat+unlink of N files          -> ops/s (3 per file)
 *   fsbench open FILE N           open+close, N times                    -> median µs
 * Prints "<figure> <unit>" on one line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	fprintf(stderr, "fsbench: %s: %s\n", what, strerror(errno));
	return 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char buf[1 << 20];

static int seq_write(const char *path, long mib)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	double t0 = now();

	if (fd < 0)
		return fail(path);
	memset(buf, 0x5a, sizeof(buf));
	for (long i = 0; i < mib; i++)
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			return fail("write");
	if (fsync(fd) < 0 || close(fd) < 0)
		return fail("fsync");
	printf("%.1f MB/s\n", mib * 1048576.0 / 1e6 / (now() - t0));
	return 0;
}

static int seq_read(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	double t0 = now();
	long long total = 0;
	ssize_t n;

	if (fd < 0)
		return fail(path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	if (n < 0)
		return fail("read");
	close(fd);
	printf("%.1f MB/s\n", total / 1e6 / (now() - t0));
	return 0;
}

static int rand_read(const char *path, long n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint64_t x = 88172645463325252ull;	/* xorshift: the same offsets on both sides */

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < 4096)
		return fail(path);
	uint64_t blocks = st.st_size / 4096;
	double t0 = now();

	for (long i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (pread(fd, buf, 4096, (off_t)(x % blocks) * 4096) != 4096)
			return fail("pread");
	}
	printf("%.0f IOPS\n", n / (now() - t0));
	close(fd);
	return 0;
}

static int meta(const char *dir, long n)
{
	char path[4096];
	struct stat st;
	double t0 = now();

	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/m%ld", dir, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		if (fd < 0 || close(fd) < 0)
			return fail(path);
	}
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/m%ld", dir, i);
		if (stat(path, &st) < 0)
			return fail(path);
	}
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/m%ld", dir, i);
		if (unlink(path) < 0)
			return fail(path);
	}
	printf("%.0f ops/s\n", 3.0 * n / (now() - t0));
	return 0;
}

static int open_latency(const char *path, long n)
{
	double *us = calloc(n, sizeof(*us));

	if (!us)
		return fail("calloc");
	for (long i = 0; i < n; i++) {
		double t0 = now();
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return fail(path);
		close(fd);
		us[i] = (now() - t0) * 1e6;
	}
	qsort(us, n, sizeof(*us), cmp_double);
	printf("%.1f us\n", us[n / 2]);
	free(us);
	return 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	long n = argc > 3 ? atol(argv[3]) : 0;

	if (!strcmp(op, "write") && argc == 4 && n > 0)
		return seq_write(argv[2], n);
	if (!strcmp(op, "read") && argc == 3)
		return seq_read(argv[2]);
	if (!strcmp(op, "randread") && argc == 4 && n > 0)
		return rand_read(argv[2], n);
	if (!strcmp(op, "meta") && argc == 4 && n > 0)
		return meta(argv[2], n);
	if (!strcmp(op, "open") && argc == 4 && n > 0)
		return open_latency(argv[2], n);
	fprintf(stderr, "fsbench: bad arguments (see the source's header)\n");
	return 2;
}
