/* Thread roles: a name and a confinement hook per long-lived thread (see thread_role.h). */
#include "thread_role.h"

#include <string.h>
#include <sys/prctl.h>

static const char *const role_names[THREAD_ROLES] = {
	[THREAD_MAIN] = "main",
	[THREAD_VCPU] = "vcpu",
	[THREAD_LOOP] = "loop",
	[THREAD_BLK] = "blk",
	[THREAD_FS] = "fs",
	[THREAD_DNS] = "dns",
	[THREAD_NETWATCH] = "netwatch",
};

/* Set before the first thread starts and never after: threads read it without a lock. */
static thread_role_fn confine_fn;

void thread_role__register(thread_role_fn fn)
{
	confine_fn = fn;
}

const char *thread_role__name(enum thread_role role)
{
	return (unsigned int)role < THREAD_ROLES ? role_names[role] : NULL;
}

int thread_role__from_name(const char *name)
{
	for (int i = 0; name && i < THREAD_ROLES; i++)
		if (!strcmp(name, role_names[i]))
			return i;
	return -1;
}

void thread_role__enter(enum thread_role role, const char *name)
{
	char buf[16] = "kage-";

	if (!name) {
		strncat(buf, thread_role__name(role) ?: "?", sizeof(buf) - strlen(buf) - 1);
		name = buf;
	}
	/* The main thread keeps the name its process was given (kage-sandbox, kage). */
	if (role != THREAD_MAIN)
		prctl(PR_SET_NAME, name);
	if (confine_fn)
		confine_fn(role);
}
