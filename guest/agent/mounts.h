/* The minimal system PID 1 sets up: pseudo filesystems, device nodes' links, lo up. */
#ifndef KAGE_GUEST_AGENT_MOUNTS_H
#define KAGE_GUEST_AGENT_MOUNTS_H

/* Best effort: a failure is logged and the agent goes on, since a PID 1 that exits panics
 * the guest and the host would learn nothing. */
void mounts__setup(void);

struct err;

/*
 * Mounts source on target (created with its parents), as the host asked: options are mount(8)
 * words; the flag words (ro, nosuid, bind, ...) become flags and the rest the fs's data.
 */
int mounts__mount(const char *source, const char *target, const char *type,
		  char *const *options, struct err **err);

#endif
