/* The minimal system PID 1 sets up: pseudo filesystems, device nodes' links, lo up. */
#ifndef KAGE_GUEST_AGENT_MOUNT_MOUNTS_H
#define KAGE_GUEST_AGENT_MOUNT_MOUNTS_H

#include <stdbool.h>

/* Best effort: a failure is logged and the agent goes on, since a PID 1 that exits panics
 * the guest and the host would learn nothing. */
void mounts__setup(void);
/*
 * Before the VM ends: unmounts everything but / (newest first), or makes it read-only where
 * that fails, so that a disk's filesystem is left clean (an ext4 journal with nothing to
 * replay, which a later read-only mount of the image needs). Best effort.
 */
void mounts__unmount_all(void);

/* One line of /proc/self/mounts; point's octal escapes (\040) are undone in the line. */
struct mount_line {
	const char *point, *type;
	bool ro;
};
int mounts__parse_line(char *line, struct mount_line *m);

/* One line of /proc/self/mountinfo: the point (unescaped) and its propagation tags. */
struct mountinfo_line {
	const char *point;
	bool shared, unbindable;
};
int mounts__parse_info_line(char *line, struct mountinfo_line *m);

#endif
