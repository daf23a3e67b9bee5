/*
 * A cgroup v2 file name as the spec's `unified` map and the agent's create take it:
 * "controller.file" in [a-z0-9_.], so no path and nothing to climb, and none of the core's
 * cgroup.* files, which move processes and controllers rather than set limits. Shared by the
 * host's config.json check and the guest agent's, which trusts no host.
 */
#ifndef KAGE_LIB_CGROUP_FILE_H
#define KAGE_LIB_CGROUP_FILE_H

#include <stdbool.h>
#include <string.h>

static inline bool cgroup_file_name(const char *k)
{
	const char *dot = strchr(k, '.');

	if (!dot || dot == k || !dot[1] || strlen(k) > 64 || !strncmp(k, "cgroup.", 7))
		return false;
	return strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_.") == strlen(k);
}

#endif
