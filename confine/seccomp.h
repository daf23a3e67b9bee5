/*
 * A seccomp filter per thread role (lib/thread_role.h), compiled with libseccomp. Each role's
 * list lives in confine/filter_<role>.c; docs/confinement.md says how to debug and extend them.
 * A call outside its thread's list ends the whole process, after one log line naming the
 * thread and the call; in log mode (KAGE_SECCOMP=log, never the default) the kernel logs the
 * call instead (audit type=1326) and lets it run.
 */
#ifndef KAGE_CONFINE_SECCOMP_H
#define KAGE_CONFINE_SECCOMP_H

#include <stddef.h>

#include "../lib/err.h"
#include "../lib/thread_role.h"

enum seccomp_mode { SECCOMP_MODE_KILL, SECCOMP_MODE_LOG };

/* "kill" or "log"; -1 for anything else. */
int seccomp__mode_from_name(const char *name);
const char *seccomp__mode_name(enum seccomp_mode mode);
/* KAGE_SECCOMP when set, else fallback; an unknown value is an error naming the variable. */
int seccomp__mode_from_env(enum seccomp_mode fallback, enum seccomp_mode *mode, struct err **err);

/*
 * Process-wide, once, before the VMM's threads start: the SIGSYS reporter, no_new_privs, and
 * the thread_role hook, so that every thread entering a role installs its filter.
 */
int seccomp__setup(enum seccomp_mode mode, struct err **err);
/* Confines the calling thread to role's list (what the hook does); for the main thread. */
int seccomp__enter(enum thread_role role, struct err **err);

/* A role's filter, for `kage check` and the unit tests: its rule and BPF instruction counts. */
int seccomp__measure(enum thread_role role, size_t *rules, size_t *insns, struct err **err);
/* Builds role's filter and loads it on the calling thread, with no reporter (unit tests). */
int seccomp__load(enum thread_role role, enum seccomp_mode mode, struct err **err);

#endif
