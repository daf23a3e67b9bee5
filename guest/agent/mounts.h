/* The minimal system PID 1 sets up: pseudo filesystems, device nodes' links, lo up. */
#ifndef KAGE_GUEST_AGENT_MOUNTS_H
#define KAGE_GUEST_AGENT_MOUNTS_H

/* Best effort: a failure is logged and the agent goes on, since a PID 1 that exits panics
 * the guest and the host would learn nothing. */
void mounts__setup(void);

#endif
