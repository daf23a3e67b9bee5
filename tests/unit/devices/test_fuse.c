/*
 * The FUSE server driven like Linux's virtiofs client drives it: real requests built in
 * buffers and cut into several segments, over a temporary host directory. Checks each reply
 * and then the host directory itself: files, directories, renames, links, attributes,
 * xattrs, listings, fallocate and lseek.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "devices/fs/fuse_server.h"
#include "tests/unit/devices/fuse_client.h"
#include "tests/unit/tap.h"

static const struct fuse_entry_out *entry(void)
{
	return (const struct fuse_entry_out *)rep.body;
}

static uint64_t lookup(uint64_t parent, const char *name)
{
	return call(FUSE_LOOKUP, parent, NULL, 0, name) ? 0 : entry()->nodeid;
}

/* CREATE: returns the nodeid, *fh the handle. */
static uint64_t create(uint64_t parent, const char *name, uint32_t mode, uint64_t *fh)
{
	struct fuse_create_in c = { .flags = O_RDWR | O_CREAT, .mode = S_IFREG | mode };

	if (call(FUSE_CREATE, parent, &c, sizeof(c), name))
		return 0;
	*fh = ((const struct fuse_open_out *)(rep.body + sizeof(struct fuse_entry_out)))->fh;
	return entry()->nodeid;
}

static int fwrite_at(uint64_t fh, uint64_t off, const char *data)
{
	struct fuse_write_in w = { .fh = fh, .offset = off, .size = strlen(data) };
	int ret = call3(FUSE_WRITE, 0, &w, sizeof(w), data, strlen(data), NULL, 0);

	return ret ? ret : (int)((const struct fuse_write_out *)rep.body)->size;
}

static int fread_at(uint64_t fh, uint64_t off, uint32_t size, char *buf)
{
	struct fuse_read_in r = { .fh = fh, .offset = off, .size = size };
	int ret = call(FUSE_READ, 0, &r, sizeof(r), NULL);
	int n = rep.h.len - sizeof(rep.h);

	if (ret)
		return ret;
	memcpy(buf, rep.body, n);
	buf[n] = 0;
	return n;
}

static int release(uint64_t fh, bool isdir)
{
	struct fuse_release_in r = { .fh = fh };

	return call(isdir ? FUSE_RELEASEDIR : FUSE_RELEASE, 0, &r, sizeof(r), NULL);
}

static int setattr(uint64_t node, const struct fuse_setattr_in *a)
{
	return call(FUSE_SETATTR, node, a, sizeof(*a), NULL);
}

static void test_init(void)
{
	struct fuse_init_in in = { .major = 7, .minor = 37, .max_readahead = 65536,
				   .flags = 0xffffffff };
	const struct fuse_init_out *o = (const void *)rep.body;
	struct fuse_getattr_in g = { 0 };

	CHECK(call(FUSE_GETATTR, FUSE_ROOT_ID, &g, sizeof(g), NULL) == -EIO,
	      "requests before INIT get EIO");
	CHECK(call(FUSE_INIT, 0, &in, sizeof(in), NULL) == 0 && o->major == 7 && o->minor == 37,
	      "INIT negotiates 7.%u", o->minor);
	CHECK(o->max_write == 1 << 20 && o->flags & FUSE_MAX_PAGES && o->max_pages == 256,
	      "INIT: max_write %u, max_pages %u", o->max_write, o->max_pages);
	CHECK(o->flags & FUSE_DO_READDIRPLUS && !(o->flags & FUSE_POSIX_ACL) &&
		      !(o->flags & FUSE_HANDLE_KILLPRIV_V2) && !(o->flags & FUSE_WRITEBACK_CACHE),
	      "INIT claims readdirplus, not ACLs, killpriv or writeback (flags %#x)", o->flags);
	CHECK(call(FUSE_GETATTR, FUSE_ROOT_ID, &g, sizeof(g), NULL) == 0 &&
		      S_ISDIR(((const struct fuse_attr_out *)rep.body)->attr.mode),
	      "GETATTR of the root");
}

static void test_files(void)
{
	uint64_t fh, node = create(FUSE_ROOT_ID, "f", 0664, &fh);
	struct fuse_setattr_in a = { .valid = FATTR_SIZE, .size = 3 };
	struct fuse_open_in o = { .flags = O_RDONLY };
	char buf[64] = "";
	struct stat st;
	FILE *f;

	CHECK(node > 1, "CREATE f -> nodeid %llu", (unsigned long long)node);
	CHECK(stat(host("f"), &st) == 0 && (st.st_mode & 0777) == 0664,
	      "f exists on the host with mode 0664 (%o)", st.st_mode & 0777);
	CHECK(fwrite_at(fh, 0, "hello world") == 11, "WRITE 11 bytes");
	CHECK(fread_at(fh, 6, 100, buf) == 5 && !strcmp(buf, "world"), "READ back '%s'", buf);
	CHECK(setattr(node, &a) == 0 && ((const struct fuse_attr_out *)rep.body)->attr.size == 3,
	      "SETATTR size 3 (truncate by inode)");
	f = fopen(host("f"), "r");
	CHECK(f && fgets(buf, sizeof(buf), f) && !strcmp(buf, "hel"), "host file holds '%s'", buf);
	if (f)
		fclose(f);
	CHECK(release(fh, false) == 0, "RELEASE");
	CHECK(release(fh, false) == -EBADF, "a second RELEASE of the handle is EBADF");
	CHECK(lookup(FUSE_ROOT_ID, "f") == node, "LOOKUP f gives the same nodeid");
	CHECK(call(FUSE_OPEN, node, &o, sizeof(o), NULL) == 0, "OPEN f read-only");
	fh = ((const struct fuse_open_out *)rep.body)->fh;
	CHECK(fread_at(fh, 0, 100, buf) == 3 && !strcmp(buf, "hel"), "READ through OPEN");
	CHECK(fwrite_at(fh, 0, "x") == -EBADF, "WRITE on a read-only handle fails");
	a = (struct fuse_setattr_in){ .valid = FATTR_FH | FATTR_SIZE, .fh = fh + (1ull << 32) };
	CHECK(setattr(node, &a) == -EBADF, "SETATTR with a stale fh is EBADF");
	release(fh, false);
	CHECK(call(FUSE_UNLINK, FUSE_ROOT_ID, NULL, 0, "f") == 0 && access(host("f"), F_OK) < 0,
	      "UNLINK f");
}

static void test_attrs(void)
{
	uint64_t fh, node = create(FUSE_ROOT_ID, "t", 0600, &fh);
	struct fuse_setattr_in a = { .valid = FATTR_MODE, .mode = 0751 };
	struct stat st;

	release(fh, false);
	CHECK(setattr(node, &a) == 0 && stat(host("t"), &st) == 0 && (st.st_mode & 07777) == 0751,
	      "SETATTR mode 0751 (%o)", st.st_mode & 07777);
	a = (struct fuse_setattr_in){ .valid = FATTR_ATIME | FATTR_MTIME, .atime = 1000000,
				      .mtime = 2000000, .mtimensec = 5 };
	CHECK(setattr(node, &a) == 0 && stat(host("t"), &st) == 0 && st.st_atime == 1000000 &&
		      st.st_mtime == 2000000 && st.st_mtim.tv_nsec == 5,
	      "SETATTR atime/mtime");
	a = (struct fuse_setattr_in){ .valid = FATTR_MTIME | FATTR_MTIME_NOW };
	CHECK(setattr(node, &a) == 0 && stat(host("t"), &st) == 0 && st.st_mtime > 2000000 &&
		      st.st_atime == 1000000,
	      "SETATTR mtime NOW leaves atime");
	a = (struct fuse_setattr_in){ .valid = FATTR_UID | FATTR_GID, .uid = 1234, .gid = 4321 };
	if (geteuid() == 0)
		CHECK(setattr(node, &a) == 0 && stat(host("t"), &st) == 0 && st.st_uid == 1234 &&
			      st.st_gid == 4321,
		      "SETATTR uid/gid");
	CHECK(call(FUSE_STATFS, FUSE_ROOT_ID, NULL, 0, NULL) == 0 &&
		      ((const struct fuse_statfs_out *)rep.body)->st.namelen > 0,
	      "STATFS");
}

static void test_dirs_and_names(void)
{
	struct fuse_mkdir_in m = { .mode = 0750 };
	struct fuse_rename2_in rn = { .newdir = FUSE_ROOT_ID };
	struct fuse_link_in l;
	uint64_t d, fh, a, b;
	char buf[64];
	struct stat st;

	CHECK(call(FUSE_MKDIR, FUSE_ROOT_ID, &m, sizeof(m), "d") == 0 &&
		      stat(host("d"), &st) == 0 && S_ISDIR(st.st_mode) &&
		      (st.st_mode & 0777) == 0750,
	      "MKDIR d with mode 0750");
	d = entry()->nodeid;
	a = create(d, "a", 0644, &fh);
	release(fh, false);
	b = create(FUSE_ROOT_ID, "b", 0644, &fh);
	fwrite_at(fh, 0, "bbb");
	release(fh, false);
	CHECK(call(FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, "d") == -ENOTEMPTY, "RMDIR of a full dir");
	rn.flags = RENAME_NOREPLACE;
	rn.newdir = d;
	CHECK(call3(FUSE_RENAME2, FUSE_ROOT_ID, &rn, sizeof(rn), "b", 2, "a", 2) == -EEXIST,
	      "RENAME2 NOREPLACE onto an existing name is EEXIST");
	rn.flags = RENAME_EXCHANGE;
	CHECK(call3(FUSE_RENAME2, FUSE_ROOT_ID, &rn, sizeof(rn), "b", 2, "a", 2) == 0 &&
		      stat(host("d/a"), &st) == 0 && st.st_size == 3 && stat(host("b"), &st) == 0 &&
		      st.st_size == 0,
	      "RENAME2 EXCHANGE swaps b and d/a");
	rn.flags = 1 << 2; /* RENAME_WHITEOUT */
	CHECK(call3(FUSE_RENAME2, FUSE_ROOT_ID, &rn, sizeof(rn), "b", 2, "c", 2) == -EINVAL,
	      "RENAME2 WHITEOUT is refused");
	struct fuse_rename_in r1 = { .newdir = FUSE_ROOT_ID };
	CHECK(call3(FUSE_RENAME, d, &r1, sizeof(r1), "a", 2, "moved", 6) == 0 &&
		      access(host("moved"), F_OK) == 0 && access(host("d/a"), F_OK) < 0,
	      "RENAME d/a -> moved");
	l.oldnodeid = lookup(FUSE_ROOT_ID, "moved");
	CHECK(call(FUSE_LINK, d, &l, sizeof(l), "hard") == 0 && entry()->nodeid == l.oldnodeid &&
		      stat(host("d/hard"), &st) == 0 && st.st_nlink == 2,
	      "LINK moved -> d/hard shares the nodeid, nlink 2");
	CHECK(call3(FUSE_SYMLINK, d, "sl", 3, "../some/where", 14, NULL, 0) == 0 &&
		      readlink(host("d/sl"), buf, sizeof(buf)) == 13,
	      "SYMLINK d/sl");
	CHECK(call(FUSE_READLINK, entry()->nodeid, NULL, 0, NULL) == 0 &&
		      rep.h.len == sizeof(rep.h) + 13 && !memcmp(rep.body, "../some/where", 13),
	      "READLINK gives the text");
	struct fuse_mknod_in mk = { .mode = S_IFIFO | 0600 };
	CHECK(call(FUSE_MKNOD, d, &mk, sizeof(mk), "fifo") == 0 && stat(host("d/fifo"), &st) == 0 &&
		      S_ISFIFO(st.st_mode),
	      "MKNOD a FIFO");
	struct fuse_open_in o = { .flags = O_RDONLY };
	CHECK(call(FUSE_OPEN, entry()->nodeid, &o, sizeof(o), NULL) < 0,
	      "OPEN of a FIFO is refused (never blocks the server)");
	call(FUSE_UNLINK, d, NULL, 0, "fifo");
	call(FUSE_UNLINK, d, NULL, 0, "sl");
	call(FUSE_UNLINK, d, NULL, 0, "hard");
	CHECK(call(FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, "d") == 0 && access(host("d"), F_OK) < 0,
	      "RMDIR d once empty");
	(void)b;
	(void)a;
}

static void test_xattrs(void)
{
	uint64_t fh, node = create(FUSE_ROOT_ID, "x", 0644, &fh);
	struct fuse_setxattr_in s = { .size = 5 };
	struct fuse_getxattr_in g = { .size = 0 };
	char buf[32];

	release(fh, false);
	if (call3(FUSE_SETXATTR, node, &s, 8, "user.k", 7, "value", 5) == -EOPNOTSUPP) {
		printf("ok %d - # SKIP xattrs: host file system has no user xattrs\n", ++tap_n);
		return;
	}
	CHECK(rep.h.error == 0 && getxattr(host("x"), "user.k", buf, sizeof(buf)) == 5,
	      "SETXATTR user.k lands on the host");
	CHECK(call(FUSE_GETXATTR, node, &g, sizeof(g), "user.k") == 0 &&
		      ((const struct fuse_getxattr_out *)rep.body)->size == 5,
	      "GETXATTR size 0 gives the size");
	g.size = 3;
	CHECK(call(FUSE_GETXATTR, node, &g, sizeof(g), "user.k") == -ERANGE,
	      "GETXATTR into too small a buffer is ERANGE");
	g.size = 64;
	CHECK(call(FUSE_GETXATTR, node, &g, sizeof(g), "user.k") == 0 &&
		      rep.h.len == sizeof(rep.h) + 5 && !memcmp(rep.body, "value", 5),
	      "GETXATTR gives the value");
	CHECK(call(FUSE_LISTXATTR, node, &g, sizeof(g), NULL) == 0 &&
		      memmem(rep.body, rep.h.len - sizeof(rep.h), "user.k", 7),
	      "LISTXATTR lists user.k");
	CHECK(call(FUSE_REMOVEXATTR, node, NULL, 0, "user.k") == 0 &&
		      getxattr(host("x"), "user.k", buf, sizeof(buf)) < 0 && errno == ENODATA,
	      "REMOVEXATTR");
	CHECK(call(FUSE_GETXATTR, node, &g, sizeof(g), "user.k") == -ENODATA, "then ENODATA");
	s.size = 4;
	CHECK(call3(FUSE_SETXATTR, node, &s, 8, "system.posix_acl_access", 24, "abcd", 4) ==
		      -EOPNOTSUPP,
	      "POSIX ACLs are not taken");
}

/* Lists dir `node` in replies of `size` bytes; returns the names seen, '|'-separated. */
static int list(uint64_t node, bool plus, uint32_t size, char *names, size_t len,
		uint64_t *lookups)
{
	struct fuse_open_in o = { 0 };
	struct fuse_read_in r = { .size = size };
	int calls = 0;

	names[0] = 0;
	if (call(FUSE_OPENDIR, node, &o, sizeof(o), NULL))
		return -1;
	r.fh = ((const struct fuse_open_out *)rep.body)->fh;
	/* Bounded: offsets that do not advance must fail the check, not hang the test. */
	while (calls < 1000) {
		size_t pos = 0, n;

		if (call(plus ? FUSE_READDIRPLUS : FUSE_READDIR, node, &r, sizeof(r), NULL))
			return -1;
		n = rep.h.len - sizeof(rep.h);
		if (!n)
			break;
		calls++;
		while (pos < n) {
			const struct fuse_entry_out *e = (const void *)(rep.body + pos);
			const struct fuse_dirent *d = (const void *)(rep.body + pos +
								      (plus ? sizeof(*e) : 0));
			size_t sz = plus ? FUSE_DIRENTPLUS_SIZE((const struct fuse_direntplus *)e) :
					   FUSE_DIRENT_SIZE(d);

			if (pos + sz > n || sz % 8)
				return -1;
			snprintf(names + strlen(names), len - strlen(names), "%.*s|", d->namelen,
				 d->name);
			if (plus && e->nodeid)
				(*lookups)++;
			r.offset = d->off;
			pos += sz;
		}
	}
	release(r.fh, true);
	return calls;
}

/* Creating ops take the guest user's ids; the thread's own come back afterwards. */
static void test_creds(void)
{
	struct fuse_mkdir_in m = { .mode = 0777 };
	uint64_t fh;
	struct stat st;

	if (geteuid() != 0) {
		printf("ok %d - # SKIP ownership: not running as root\n", ++tap_n);
		return;
	}
	chmod(dir, 0777);
	req_uid = 1000;
	req_gid = 1001;
	create(FUSE_ROOT_ID, "owned", 0644, &fh);
	release(fh, false);
	CHECK(stat(host("owned"), &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001,
	      "CREATE as guest uid 1000 makes a host file owned by 1000:1001 (%u:%u)",
	      st.st_uid, st.st_gid);
	CHECK(call(FUSE_MKDIR, FUSE_ROOT_ID, &m, sizeof(m), "odir") == 0 &&
		      stat(host("odir"), &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001,
	      "MKDIR as guest uid 1000");
	req_uid = req_gid = 0;
	create(FUSE_ROOT_ID, "rootfile", 0644, &fh);
	release(fh, false);
	CHECK(stat(host("rootfile"), &st) == 0 && st.st_uid == 0 && st.st_gid == 0,
	      "the next CREATE as uid 0 is owned by root again");
}

static void test_readdir(void)
{
	struct fuse_mkdir_in m = { .mode = 0755 };
	char names[4096], nm[32];
	uint64_t d, fh, lookups = 0;
	struct fuse_forget_in fg;
	int calls;

	call(FUSE_MKDIR, FUSE_ROOT_ID, &m, sizeof(m), "ls");
	d = entry()->nodeid;
	for (int i = 0; i < 20; i++) {
		snprintf(nm, sizeof(nm), "entry-%02d", i);
		create(d, nm, 0644, &fh);
		release(fh, false);
	}
	calls = list(d, false, 4096, names, sizeof(names), &lookups);
	CHECK(calls == 1 && strstr(names, "entry-00|") && strstr(names, "entry-19|") &&
		      strstr(names, ".|") && strstr(names, "..|"),
	      "READDIR lists all 22 names in one reply");
	calls = list(d, false, 80, names, sizeof(names), &lookups);
	CHECK(calls >= 11 && strstr(names, "entry-00|") && strstr(names, "entry-19|"),
	      "READDIR with small replies resumes by offset (%d calls)", calls);
	calls = list(d, true, 700, names, sizeof(names), &lookups);
	CHECK(calls > 1 && strstr(names, "entry-07|") && lookups == 20,
	      "READDIRPLUS: %d calls, a lookup for each of the 20 entries (%llu), none for dots",
	      calls, (unsigned long long)lookups);
	/* Each of those lookups must be forgettable without the nodeid going stale early. */
	uint64_t n7 = lookup(d, "entry-07");
	fg.nlookup = 2;
	call(FUSE_FORGET, n7, &fg, sizeof(fg), NULL);
	CHECK(lookup(d, "entry-07") == n7, "after forgetting 2 of 3 lookups the nodeid stays");
	fg.nlookup = 1;
	call(FUSE_FORGET, n7, &fg, sizeof(fg), NULL);
	struct fuse_getattr_in g = { 0 };
	call(FUSE_FORGET, n7, &fg, sizeof(fg), NULL);
	CHECK(call(FUSE_GETATTR, n7, &g, sizeof(g), NULL) == -ENOENT,
	      "after the last FORGET the nodeid is gone");
	CHECK(lookup(d, "entry-07") != n7 && lookup(d, "entry-07"),
	      "a fresh LOOKUP gives a new nodeid");
}

static void test_fallocate_lseek(void)
{
	uint64_t fh = 0;
	struct fuse_fallocate_in fa = { .offset = 0, .length = 8192 };
	struct fuse_lseek_in ls = { .offset = 0, .whence = SEEK_HOLE };
	struct fuse_copy_file_range_in cp = { .len = 4 };
	struct stat st;

	create(FUSE_ROOT_ID, "sparse", 0644, &fh);
	fa.fh = ls.fh = cp.fh_in = cp.fh_out = fh;
	CHECK(call(FUSE_FALLOCATE, 0, &fa, sizeof(fa), NULL) == 0 &&
		      stat(host("sparse"), &st) == 0 && st.st_size == 8192,
	      "FALLOCATE 8 KiB");
	fwrite_at(fh, 1 << 20, "tail");
	CHECK(call(FUSE_LSEEK, 0, &ls, sizeof(ls), NULL) == 0,
	      "LSEEK SEEK_HOLE -> %llu",
	      (unsigned long long)((const struct fuse_lseek_out *)rep.body)->offset);
	ls.whence = SEEK_DATA;
	ls.offset = 16384;
	CHECK(call(FUSE_LSEEK, 0, &ls, sizeof(ls), NULL) == 0 &&
		      ((const struct fuse_lseek_out *)rep.body)->offset <= 1 << 20,
	      "LSEEK SEEK_DATA");
	ls.whence = SEEK_SET;
	CHECK(call(FUSE_LSEEK, 0, &ls, sizeof(ls), NULL) == -EINVAL, "LSEEK SEEK_SET is EINVAL");
	cp.off_in = 1 << 20;
	cp.off_out = 100;
	CHECK(call(FUSE_COPY_FILE_RANGE, 0, &cp, sizeof(cp), NULL) == 0 &&
		      ((const struct fuse_write_out *)rep.body)->size == 4,
	      "COPY_FILE_RANGE 4 bytes");
	struct fuse_fsync_in fs = { .fh = fh, .fsync_flags = FUSE_FSYNC_FDATASYNC };
	CHECK(call(FUSE_FSYNC, 0, &fs, sizeof(fs), NULL) == 0, "FSYNC (datasync)");
	struct fuse_flush_in fl = { .fh = fh };
	CHECK(call(FUSE_FLUSH, 0, &fl, sizeof(fl), NULL) == 0, "FLUSH");
	release(fh, false);
}

int main(void)
{
	struct fs_share_opts o = { .dir = dir, .cache = FS_CACHE_AUTO };
	struct err *err = NULL;
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/kage-fuse-XXXXXX");
	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP mkdtemp: %s\n", strerror(errno));
		return 77;
	}
	umask(022);
	if (fuse_server__create(&srv, &o, &err) < 0) {
		CHECK(0, "fuse_server__create: %s", err->msg);
		return tap_done();
	}
	test_init();
	test_files();
	test_attrs();
	test_dirs_and_names();
	test_xattrs();
	test_creds();
	test_readdir();
	test_fallocate_lseek();
	CHECK(framing_ok, "every reply had the exact length and the request's unique");
	CHECK(call(FUSE_DESTROY, 0, NULL, 0, NULL) == 0, "DESTROY");
	fuse_server__destroy(srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	printf("1..%d\n", tap_n);
	return tap_done();
}
