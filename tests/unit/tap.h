/* Minimal TAP output for the C unit tests: one line per check, counted by tests/run. */
#ifndef KAGE_TESTS_UNIT_TAP_H
#define KAGE_TESTS_UNIT_TAP_H

#include <stdio.h>

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

static inline int tap_done(void)
{
	return tap_failed ? 1 : 0;
}

#endif
