/*
 * The share policies (enum fs_policy) against a guest asking as root or as another user:
 * under strict the server makes no block or character device but the 0/0 whiteout, sets no
 * security.* or trusted.* xattr, and makes no setuid or setgid file owned by root, while
 * FIFOs, plain files, user.* xattrs and setgid directories still work; under runc all of
 * it is made as asked. Each check looks at the host directory too.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "devices/fs/fuse_server.h"
#include "tests/unit/devices/fuse_client.h"
#include "tests/unit/tap.h"

static char top[64];
static const char *policy;	/* the name of srv's policy, for the messages */

static uint64_t lookup(const char *name)
{
	return call(FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, name) ? 0 :
	       ((const struct fuse_entry_out *)rep.body)->nodeid;
}

static int mknod_as(const char *name, mode_t mode, unsigned int ma, unsigned int mi)
{
	/* The kernel's 32-bit dev_t encoding, as the guest sends it. */
	struct fuse_mknod_in m = { .mode = mode,
				   .rdev = (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12) };

	return call(FUSE_MKNOD, FUSE_ROOT_ID, &m, sizeof(m), name);
}

static int create_as(uint64_t parent, const char *name, mode_t mode)
{
	struct fuse_create_in c = { .flags = O_WRONLY | O_CREAT, .mode = S_IFREG | mode };
	struct fuse_release_in r;
	int ret = call(FUSE_CREATE, parent, &c, sizeof(c), name);

	if (ret)
		return ret;
	r.fh = ((const struct fuse_open_out *)(rep.body + sizeof(struct fuse_entry_out)))->fh;
	call(FUSE_RELEASE, 0, &r, sizeof(r), NULL);
	return 0;
}

static int setxattr_as(uint64_t node, const char *name, const void *value, size_t len)
{
	struct fuse_setxattr_in s = { .size = len };

	return call3(FUSE_SETXATTR, node, &s, 8, name, strlen(name) + 1, value, len);
}

static int setattr_as(uint64_t node, uint32_t valid, mode_t mode, uid_t uid, gid_t gid)
{
	struct fuse_setattr_in a = { .valid = valid, .mode = mode, .uid = uid, .gid = gid };

	return call(FUSE_SETATTR, node, &a, sizeof(a), NULL);
}

static mode_t host_mode(const char *rel)
{
	struct stat st;

	return lstat(host(rel), &st) == 0 ? st.st_mode : 0;
}

static bool exists(const char *rel)
{
	return host_mode(rel) != 0;
}

/* A server on a fresh directory (mode 0777, so other users can create in it). */
static bool start(enum fs_policy p, const char *name)
{
	struct fs_share_opts o = { .dir = dir, .cache = FS_CACHE_NONE, .policy = p };
	struct fuse_init_in in = { .major = 7, .minor = 37, .flags = 0xffffffff };
	struct err *err = NULL;

	policy = name;
	snprintf(dir, sizeof(dir), "%s/%s", top, name);
	mkdir(dir, 0777);
	chmod(dir, 0777);
	if (fuse_server__create(&srv, &o, &err) < 0) {
		CHECK(0, "fuse_server__create: %s", err->msg);
		return false;
	}
	req_uid = req_gid = 0;
	return call(FUSE_INIT, 0, &in, sizeof(in), NULL) == 0;
}

static void test_devices(bool strict)
{
	int want = strict ? -EPERM : 0;

	CHECK(mknod_as("disk", S_IFBLK | 0666, 8, 0) == want && exists("disk") == !strict,
	      "%s: MKNOD of block device 8:0 %s", policy, strict ? "is EPERM" : "is made");
	CHECK(mknod_as("mem", S_IFCHR | 0666, 1, 1) == want && exists("mem") == !strict,
	      "%s: MKNOD of character device 1:1 %s", policy, strict ? "is EPERM" : "is made");
	/* Under runc the host refuses this one itself: fsuid 1000 has no CAP_MKNOD. */
	req_uid = req_gid = 1000;
	CHECK(mknod_as("disk1000", S_IFBLK | 0600, 8, 0) == -EPERM && !exists("disk1000"),
	      "%s: ... as guest uid 1000, EPERM", policy);
	req_uid = req_gid = 0;
	CHECK(mknod_as("wh", S_IFCHR | 0, 0, 0) == 0 && S_ISCHR(host_mode("wh")),
	      "%s: the 0/0 character device (overlayfs whiteout) is made", policy);
	CHECK(mknod_as("fifo", S_IFIFO | 0644, 0, 0) == 0 && S_ISFIFO(host_mode("fifo")),
	      "%s: MKNOD of a FIFO", policy);
	CHECK(mknod_as("plain", S_IFREG | 0644, 0, 0) == 0 && S_ISREG(host_mode("plain")),
	      "%s: MKNOD of a regular file", policy);
}

static void test_xattrs(bool strict)
{
	/* A version-2 file capability: CAP_NET_RAW, effective. */
	const uint32_t cap[5] = { 0x02000001, 1u << 13, 0, 0, 0 };
	int want = strict ? -EPERM : 0;
	char buf[64];
	uint64_t node;

	create_as(FUSE_ROOT_ID, "x", 0755);
	node = lookup("x");
	CHECK(setxattr_as(node, "security.capability", cap, sizeof(cap)) == want &&
		      (getxattr(host("x"), "security.capability", buf, sizeof(buf)) > 0) == !strict,
	      "%s: SETXATTR security.capability %s", policy, strict ? "is EPERM" : "is set");
	CHECK(setxattr_as(node, "trusted.overlay.opaque", "y", 1) == want &&
		      (getxattr(host("x"), "trusted.overlay.opaque", buf, sizeof(buf)) > 0) ==
			      !strict,
	      "%s: SETXATTR trusted.overlay.opaque %s", policy, strict ? "is EPERM" : "is set");
	CHECK(setxattr_as(node, "security.evil", "y", 1) == want || !strict,
	      "%s: SETXATTR of any security.* name %s", policy, strict ? "is EPERM" : "passes");
	CHECK(setxattr_as(node, "user.k", "v", 1) == 0 &&
		      getxattr(host("x"), "user.k", buf, sizeof(buf)) == 1,
	      "%s: SETXATTR user.k is set", policy);
	/* Taking a capability away gives nothing: removal stays open under strict too. */
	setxattr(host("x"), "security.capability", cap, sizeof(cap), 0);
	CHECK(call(FUSE_REMOVEXATTR, node, NULL, 0, "security.capability") == 0 &&
		      getxattr(host("x"), "security.capability", buf, sizeof(buf)) < 0,
	      "%s: REMOVEXATTR security.capability", policy);
}

static void test_setid_create(bool strict)
{
	struct fuse_mkdir_in m = { .mode = 02755 };
	int want = strict ? -EPERM : 0;
	uint64_t sg;

	CHECK(create_as(FUSE_ROOT_ID, "suid", 04755) == want && exists("suid") == !strict,
	      "%s: CREATE of a setuid file as root %s", policy, strict ? "is EPERM" : "is made");
	CHECK(mknod_as("suidnod", S_IFREG | 04755, 0, 0) == want,
	      "%s: MKNOD of a setuid regular file as root %s", policy,
	      strict ? "is EPERM" : "is made");
	m.mode = 04755;
	CHECK(call(FUSE_MKDIR, FUSE_ROOT_ID, &m, sizeof(m), "suiddir") == want,
	      "%s: MKDIR with the setuid bit as root %s", policy, strict ? "is EPERM" : "passes");
	m.mode = 02755;
	CHECK(call(FUSE_MKDIR, FUSE_ROOT_ID, &m, sizeof(m), "sgdir") == 0 && exists("sgdir"),
	      "%s: MKDIR with the setgid bit as root is allowed", policy);
	req_uid = req_gid = 1000;
	CHECK(create_as(FUSE_ROOT_ID, "suid1000", 04755) == 0 &&
		      (host_mode("suid1000") & 07777) == 04755,
	      "%s: CREATE of a setuid file as uid 1000 (owned by 1000)", policy);
	req_gid = 0;
	CHECK(create_as(FUSE_ROOT_ID, "sgid0", 02755) == want && exists("sgid0") == !strict,
	      "%s: CREATE of a setgid file for gid 0 %s", policy, strict ? "is EPERM" : "is made");
	/* In a setgid directory of group 0 the new file's group is 0, whatever the guest's. */
	req_gid = 1000;
	mkdir(host("inherit"), 0777);
	chmod(host("inherit"), 02777);
	sg = lookup("inherit");
	CHECK(create_as(sg, "f", 02755) == want,
	      "%s: CREATE of a setgid file in a setgid directory of group 0 %s", policy,
	      strict ? "is EPERM" : "is made");
	CHECK(create_as(sg, "plain", 0755) == 0 && exists("inherit/plain"),
	      "%s: ... a plain file there is made", policy);
	req_uid = req_gid = 0;
}

static void test_setid_setattr(bool strict)
{
	int want = strict ? -EPERM : 0;
	uint64_t root_file, user_file, d, host_suid;

	create_as(FUSE_ROOT_ID, "rootfile", 0755);
	root_file = lookup("rootfile");
	CHECK(setattr_as(root_file, FATTR_MODE, 04755, 0, 0) == want &&
		      (host_mode("rootfile") & 04000) == (strict ? 0 : 04000),
	      "%s: chmod u+s of a root-owned file %s", policy, strict ? "is EPERM" : "is done");
	CHECK(setattr_as(root_file, FATTR_MODE, 02755, 0, 0) == want,
	      "%s: chmod g+s of a file of group 0 %s", policy, strict ? "is EPERM" : "is done");
	CHECK(setattr_as(root_file, FATTR_MODE, 0700, 0, 0) == 0 &&
		      (host_mode("rootfile") & 07777) == 0700,
	      "%s: a plain chmod of a root-owned file", policy);

	req_uid = req_gid = 1000;
	create_as(FUSE_ROOT_ID, "userfile", 0755);
	user_file = lookup("userfile");
	CHECK(setattr_as(user_file, FATTR_MODE, 04755, 0, 0) == 0 &&
		      (host_mode("userfile") & 07777) == 04755,
	      "%s: chmod u+s of a file owned by uid 1000", policy);
	req_uid = req_gid = 0;
	/* A hostile guest's chown that keeps the bit (Linux's own drops it with the chown). */
	CHECK(setattr_as(user_file, FATTR_UID, 0, 0, 0) == want,
	      "%s: chown to root of a setuid file %s", policy, strict ? "is EPERM" : "passes");
	CHECK(setattr_as(user_file, FATTR_UID | FATTR_MODE, 0755, 0, 0) == 0 &&
		      (host_mode("userfile") & 07777) == 0755,
	      "%s: chown to root clearing the bit, as the guest kernel sends it", policy);

	mkdir(host("d"), 0755);
	d = lookup("d");
	CHECK(setattr_as(d, FATTR_MODE, 02755, 0, 0) == 0 && (host_mode("d") & 07777) == 02755,
	      "%s: chmod g+s of a root-owned directory is allowed", policy);

	/* A setuid file the host made stays as it is through a chmod that keeps the bit. */
	close(open(host("hostsuid"), O_CREAT | O_WRONLY, 0755));
	chmod(host("hostsuid"), 04755);
	host_suid = lookup("hostsuid");
	CHECK(setattr_as(host_suid, FATTR_MODE, 04711, 0, 0) == 0 &&
		      (host_mode("hostsuid") & 07777) == 04711,
	      "%s: chmod of a host-made setuid file that keeps the bit", policy);
}

static void run(enum fs_policy p, const char *name)
{
	bool strict = p == FS_POLICY_STRICT;

	if (!start(p, name))
		return;
	test_devices(strict);
	test_xattrs(strict);
	test_setid_create(strict);
	test_setid_setattr(strict);
	fuse_server__destroy(srv);
}

int main(void)
{
	char cmd[128];

	/* The server switches to the guest's ids, and makes devices, only as root. */
	if (geteuid() != 0) {
		printf("1..0 # SKIP not running as root\n");
		return 77;
	}
	snprintf(top, sizeof(top), "/tmp/kage-fuse-policy-XXXXXX");
	if (!mkdtemp(top)) {
		printf("1..0 # SKIP mkdtemp: %s\n", strerror(errno));
		return 77;
	}
	chmod(top, 0755);
	snprintf(dir, sizeof(dir), "%s/probe", top);
	if (mknod(dir, S_IFCHR | 0600, makedev(1, 3)) < 0) {
		printf("1..0 # SKIP root here cannot make devices: %s\n", strerror(errno));
		rmdir(top);
		return 77;
	}
	unlink(dir);
	umask(0);
	run(FS_POLICY_STRICT, "strict");
	run(FS_POLICY_RUNC, "runc");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
	printf("1..%d\n", tap_n);
	return tap_done();
}
