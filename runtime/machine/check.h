/* `kage check`'s probes: each looks at one fact of the host that kage's microVMs depend on. */
#ifndef KAGE_RUNTIME_MACHINE_CHECK_H
#define KAGE_RUNTIME_MACHINE_CHECK_H

#include <stddef.h>

#include "../cli/cli.h"

enum check_result {
	CHECK_OK,
	CHECK_WARN,	/* kage runs, with something missing */
	CHECK_FAIL,	/* kage cannot run its microVMs here */
	CHECK_SKIP,	/* needs what an earlier check found missing; that one failed */
};

#define CHECK_TEXT 512
#define CHECK_MAX 16

struct check {
	const char *name;
	enum check_result result;
	char detail[CHECK_TEXT];
	char fix[CHECK_TEXT];	/* empty unless the result is warn or FAIL */
};

struct check_report {
	size_t n;
	struct check checks[CHECK_MAX];
};

/* Runs every check, in order; a failed one never stops the ones after it. */
void check__host(struct check_report *r);
/* The number of checks that failed; the host is fit when it is 0. */
size_t check__failures(const struct check_report *r);

#endif
