/* Minimal TAP output for the C unit tests: one line per check, counted by tests/run. */
#ifndef KAGE_TESTS_UNIT_TAP_H
#define KAGE_TESTS_UNIT_TAP_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int tap_n, tap_failed;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		int _ok = !!(cond);                                           \
		printf("%sok %d - ", _ok ? "" : "not ", ++tap_n);             \
		printf(__VA_ARGS__);                                          \
		printf("\n");                                                 \
		if (!_ok) {                                                   \
			printf("#   failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			tap_failed++;                                         \
		}                                                             \
		fflush(stdout);                                               \
	} while (0)

/*
 * Writes text to folder/name and returns the path, from a ring of four static buffers (so a few
 * paths can be held at once): the fixture files of the settings tests.
 */
static inline const char *tap_write_file(const char *folder, const char *name, const char *text)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];
	int fd;

	snprintf(p, sizeof(paths[0]), "%s/%s", folder, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		CHECK(0, "write %s", p);
	if (fd >= 0)
		close(fd);
	return p;
}

static inline int tap_done(void)
{
	return tap_failed ? 1 : 0;
}

#endif
