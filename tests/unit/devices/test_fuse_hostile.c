/*
 * The FUSE server against a hostile guest: names that try to leave the share, a host-planted
 * symlink to /etc, forged nodeids and handles, malformed and truncated requests, replies
 * that do not fit, a read-only share, and several threads at once. Every answer must be an
 * error reply (or a confined success), never a crash or a touch outside the share.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/fs/fuse_server.h"
#include "tests/unit/tap.h"

static struct fuse_server *srv;
static char top[64], share[96];
static uint64_t next_unique = 1;

struct reply {
	struct fuse_out_header h;
	uint8_t body[8192];
};

/*
 * Sends the bytes req[0..len) in two segments cut at `cut`, with `room` bytes of reply room
 * in r; returns what the server says it wrote.
 */
static uint32_t raw(struct fuse_server *s, const void *req, size_t len, size_t cut,
		    struct reply *r, size_t room)
{
	struct iovec in[2] = { { (void *)req, cut }, { (uint8_t *)req + cut, len - cut } };
	struct iovec out = { r, room };

	memset(r, 0xa5, sizeof(*r));
	return fuse_server__handle(s, in, 2, &out, 1);
}

/* One request: header, fixed argument, then up to two NUL-terminated strings. */
static int call_on(struct fuse_server *s, uint32_t op, uint64_t node, const void *a, size_t al,
		   const char *n1, const char *n2, struct reply *r)
{
	uint8_t req[1024];
	struct fuse_in_header h = {
		.opcode = op,
		/* test_threads() calls this from several threads at once */
		.unique = __atomic_fetch_add(&next_unique, 1, __ATOMIC_RELAXED),
		.nodeid = node,
	};
	size_t len = sizeof(h);

	if (al)
		memcpy(req + len, a, al);
	len += al;
	for (const char *n = n1; n; n = n == n1 ? n2 : NULL) {
		memcpy(req + len, n, strlen(n) + 1);
		len += strlen(n) + 1;
	}
	h.len = len;
	memcpy(req, &h, sizeof(h));
	if (raw(s, req, len, len / 2, r, sizeof(*r)) != r->h.len || r->h.unique != h.unique)
		return -EPROTO;
	return r->h.error;
}

static struct reply rep;

static int call(uint32_t op, uint64_t node, const void *a, size_t al, const char *name)
{
	return call_on(srv, op, node, a, al, name, NULL, &rep);
}

static uint64_t nodeid(void)
{
	return ((const struct fuse_entry_out *)rep.body)->nodeid;
}

static void init(struct fuse_server *s)
{
	struct fuse_init_in in = { .major = 7, .minor = 37, .flags = 0xffffffff };
	struct reply r;

	call_on(s, FUSE_INIT, 0, &in, sizeof(in), NULL, NULL, &r);
}

static void test_names(void)
{
	char longname[NAME_MAX + 2];
	struct fuse_create_in c = { .flags = O_RDWR, .mode = 0644 };
	struct fuse_mkdir_in m = { .mode = 0755 };
	uint64_t sub;

	CHECK(call(FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "..") == 0 && nodeid() == FUSE_ROOT_ID,
	      "LOOKUP .. of the root is the root");
	CHECK(call(FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, ".") == 0 && nodeid() == FUSE_ROOT_ID,
	      "LOOKUP . of the root is the root");
	call(FUSE_MKDIR, FUSE_ROOT_ID, &m, sizeof(m), "sub");
	sub = nodeid();
	CHECK(call(FUSE_LOOKUP, sub, NULL, 0, "..") == 0 && nodeid() == FUSE_ROOT_ID,
	      "LOOKUP .. of a subdirectory is the root");
	CHECK(call(FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "../secret") == -EINVAL,
	      "LOOKUP ../secret is refused");
	CHECK(call(FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "sub/x") == -EINVAL,
	      "LOOKUP a/b is refused");
	CHECK(call(FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "") == -EINVAL, "LOOKUP of '' is refused");
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	CHECK(call(FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, longname) < 0,
	      "LOOKUP of a name longer than NAME_MAX is refused");
	/* "sub" without its NUL: the request ends where the name should. */
	CHECK(call(FUSE_LOOKUP, FUSE_ROOT_ID, "sub", 3, NULL) == -EINVAL,
	      "LOOKUP of a name not NUL-terminated inside the request is refused");
	CHECK(call(FUSE_CREATE, FUSE_ROOT_ID, &c, sizeof(c), "..") == -EINVAL,
	      "CREATE .. is refused");
	CHECK(call(FUSE_MKDIR, FUSE_ROOT_ID, &m, sizeof(m), "sub/evil") == -EINVAL &&
		      access("/tmp/evil", F_OK) < 0,
	      "MKDIR sub/evil is refused");
	CHECK(call_on(srv, FUSE_RENAME, FUSE_ROOT_ID, &(struct fuse_rename_in){ FUSE_ROOT_ID },
		      sizeof(struct fuse_rename_in), "sub", "../escaped", &rep) == -EINVAL,
	      "RENAME to ../escaped is refused");
}

static void test_symlink_to_etc(void)
{
	struct fuse_open_in o = { .flags = O_RDONLY };
	uint64_t link;

	CHECK(call(FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "etc") == 0 &&
		      S_ISLNK(((const struct fuse_entry_out *)rep.body)->attr.mode),
	      "LOOKUP of the planted symlink gives a symlink, not /etc");
	link = nodeid();
	CHECK(call(FUSE_OPEN, link, &o, sizeof(o), NULL) == -ELOOP, "OPEN of the symlink fails");
	CHECK(call(FUSE_OPENDIR, link, &o, sizeof(o), NULL) == -ENOTDIR,
	      "OPENDIR of the symlink fails");
	CHECK(call(FUSE_LOOKUP, link, NULL, 0, "passwd") == -ENOTDIR,
	      "LOOKUP through the symlink fails");
	CHECK(call(FUSE_READLINK, link, NULL, 0, NULL) == 0 && rep.h.len == sizeof(rep.h) + 4 &&
		      !memcmp(rep.body, "/etc", 4),
	      "READLINK just returns its text");
	struct fuse_setattr_in sa = { .valid = FATTR_SIZE, .size = 0 };
	CHECK(call(FUSE_SETATTR, link, &sa, sizeof(sa), NULL) < 0,
	      "truncate via the symlink fails");
	sa.valid = FATTR_MODE;
	sa.mode = 0777;
	CHECK(call(FUSE_SETATTR, link, &sa, sizeof(sa), NULL) < 0, "chmod via the symlink fails");
	struct fuse_getxattr_in g = { .size = 100 };
	CHECK(call(FUSE_GETXATTR, link, &g, sizeof(g), "user.x") == -ENODATA,
	      "GETXATTR on the symlink is ENODATA");
	CHECK(call(FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "up") == 0 &&
		      call(FUSE_OPEN, nodeid(), &o, sizeof(o), NULL) == -ELOOP,
	      "a symlink to ../secret is not followed either");
}

static void test_malformed(void)
{
	struct fuse_in_header h = { .len = sizeof(h), .opcode = FUSE_GETATTR, .unique = 77,
				    .nodeid = FUSE_ROOT_ID };
	struct fuse_getattr_in g = { 0 };
	struct fuse_read_in rd = { .fh = 12345, .size = 10 };
	uint8_t req[sizeof(h) + sizeof(struct fuse_write_in) + 8] = { 0 };
	struct fuse_write_in w = { .size = 1000 };
	struct reply r;
	uint32_t n;

	n = raw(srv, &h, 20, 10, &r, sizeof(r));
	CHECK(n == sizeof(r.h) && r.h.len == n && r.h.error == -EINVAL,
	      "a short header gets an EINVAL reply");
	h.len = 4096;
	n = raw(srv, &h, sizeof(h), 20, &r, sizeof(r));
	CHECK(n == sizeof(r.h) && r.h.error == -EINVAL && r.h.unique == 77,
	      "in_header.len beyond the segments is EINVAL");
	h.len = 8;
	n = raw(srv, &h, sizeof(h), 20, &r, sizeof(r));
	CHECK(n == sizeof(r.h) && r.h.error == -EINVAL, "in_header.len below the header is EINVAL");
	CHECK(call(9999, FUSE_ROOT_ID, NULL, 0, NULL) == -ENOSYS, "unknown opcode is ENOSYS");
	CHECK(call(FUSE_GETLK, FUSE_ROOT_ID, NULL, 0, NULL) == -ENOSYS, "GETLK is ENOSYS");
	CHECK(call(FUSE_SETLKW, FUSE_ROOT_ID, NULL, 0, NULL) == -ENOSYS, "SETLKW is ENOSYS");
	CHECK(call(FUSE_GETATTR, 12345, &g, sizeof(g), NULL) == -ENOENT, "a bad nodeid is ENOENT");
	CHECK(call(FUSE_GETATTR, 1ull << 32 | FUSE_ROOT_ID, &g, sizeof(g), NULL) == -ENOENT,
	      "the root's slot with a forged generation is ENOENT");
	CHECK(call(FUSE_GETATTR, FUSE_ROOT_ID, NULL, 0, NULL) == -EINVAL,
	      "GETATTR without its argument is EINVAL");
	CHECK(call(FUSE_READ, FUSE_ROOT_ID, &rd, sizeof(rd), NULL) == -EBADF, "a bad fh is EBADF");
	struct fuse_open_in o = { 0 };
	call(FUSE_OPENDIR, FUSE_ROOT_ID, &o, sizeof(o), NULL);
	rd.fh = ((const struct fuse_open_out *)rep.body)->fh;
	CHECK(call(FUSE_READ, FUSE_ROOT_ID, &rd, sizeof(rd), NULL) == -EBADF,
	      "READ on a directory handle is EBADF");
	CHECK(call(FUSE_RELEASE, 0, &(struct fuse_release_in){ .fh = rd.fh },
		   sizeof(struct fuse_release_in), NULL) == -EBADF,
	      "RELEASE of a directory handle as a file is EBADF");
	/* WRITE claiming more data than the request carries. */
	h = (struct fuse_in_header){ .len = sizeof(req), .opcode = FUSE_WRITE, .unique = 78 };
	memcpy(req, &h, sizeof(h));
	memcpy(req + sizeof(h), &w, sizeof(w));
	n = raw(srv, req, sizeof(req), 50, &r, sizeof(r));
	CHECK(n == sizeof(r.h) && r.h.error == -EINVAL,
	      "WRITE with size beyond its data is EINVAL");
	/* A LOOKUP whose reply cannot fit: error reply, and nothing beyond the room touched. */
	uint8_t lk[sizeof(h) + 4];
	h = (struct fuse_in_header){ .len = sizeof(lk), .opcode = FUSE_LOOKUP, .unique = 79,
				     .nodeid = FUSE_ROOT_ID };
	memcpy(lk, &h, sizeof(h));
	memcpy(lk + sizeof(h), "sub", 4);
	n = raw(srv, lk, sizeof(lk), 3, &r, 40);
	CHECK(n == sizeof(r.h) && r.h.error == -EINVAL && r.body[40 - sizeof(r.h)] == 0xa5,
	      "a reply that does not fit the out segments is an EINVAL reply");
	n = raw(srv, lk, sizeof(lk), 3, &r, 10);
	CHECK(n == 0 && ((uint8_t *)&r)[0] == 0xa5, "no room even for a header: nothing written");
	struct iovec none = { NULL, 0 };
	n = fuse_server__handle(srv, &none, 0, &(struct iovec){ &r, sizeof(r) }, 1);
	CHECK(n == sizeof(r.h) && r.h.error == -EINVAL, "no request at all is EINVAL");
	/* BATCH_FORGET claiming more entries than it has. */
	struct {
		struct fuse_in_header h;
		struct fuse_batch_forget_in b;
		struct fuse_forget_one one;
	} bf = { .h = { .len = sizeof(bf), .opcode = FUSE_BATCH_FORGET, .unique = 80 },
		 .b = { .count = 1000000 }, .one = { .nodeid = 99999, .nlookup = 5 } };
	CHECK(raw(srv, &bf, sizeof(bf), 7, &r, sizeof(r)) == 0, "BATCH_FORGET takes no reply");
	CHECK(call(FUSE_GETATTR, FUSE_ROOT_ID, &g, sizeof(g), NULL) == 0,
	      "the server still answers afterwards");
}

static void test_init_versions(void)
{
	struct fuse_init_in in = { .major = 7, .minor = 20 };
	const struct fuse_init_out *o = (const void *)rep.body;

	CHECK(call(FUSE_INIT, 0, &in, sizeof(in), NULL) == -EPROTO, "INIT 7.20 is too old");
	in.major = 8;
	CHECK(call(FUSE_INIT, 0, &in, sizeof(in), NULL) == 0 && o->major == 7,
	      "INIT 8.x is answered with our major for the kernel to retry");
	in = (struct fuse_init_in){ .major = 7, .minor = 31 };
	CHECK(call(FUSE_INIT, 0, &in, 16, NULL) == 0 && o->minor == 31,
	      "a pre-7.36 INIT (16 bytes) negotiates 7.31");
}

static void test_readonly(void)
{
	struct fs_share_opts opts = { .dir = share, .readonly = true };
	struct fuse_server *ro = NULL;
	struct err *err = NULL;
	struct fuse_create_in c = { .flags = O_RDWR, .mode = 0644 };
	struct fuse_mkdir_in m = { .mode = 0755 };
	struct fuse_open_in o = { .flags = O_WRONLY };
	struct fuse_setattr_in sa = { .valid = FATTR_MODE, .mode = 0 };
	struct fuse_write_in w = { 0 };
	struct reply r;
	uint64_t f;

	if (fuse_server__create(&ro, &opts, &err) < 0) {
		CHECK(0, "read-only server: %s", err->msg);
		return;
	}
	init(ro);
	CHECK(call_on(ro, FUSE_CREATE, FUSE_ROOT_ID, &c, sizeof(c), "new", NULL, &r) == -EROFS,
	      "read-only: CREATE is EROFS");
	CHECK(call_on(ro, FUSE_MKDIR, FUSE_ROOT_ID, &m, sizeof(m), "nd", NULL, &r) == -EROFS,
	      "read-only: MKDIR is EROFS");
	CHECK(call_on(ro, FUSE_UNLINK, FUSE_ROOT_ID, NULL, 0, "file", NULL, &r) == -EROFS &&
		      access(strcat(strcpy((char[128]){ 0 }, share), "/file"), F_OK) == 0,
	      "read-only: UNLINK is EROFS and the file stays");
	call_on(ro, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "file", NULL, &r);
	f = ((const struct fuse_entry_out *)r.body)->nodeid;
	CHECK(call_on(ro, FUSE_OPEN, f, &o, sizeof(o), NULL, NULL, &r) == -EROFS,
	      "read-only: OPEN for writing is EROFS");
	CHECK(call_on(ro, FUSE_SETATTR, f, &sa, sizeof(sa), NULL, NULL, &r) == -EROFS,
	      "read-only: SETATTR is EROFS");
	CHECK(call_on(ro, FUSE_WRITE, f, &w, sizeof(w), NULL, NULL, &r) == -EROFS,
	      "read-only: WRITE is EROFS");
	o.flags = O_RDONLY;
	CHECK(call_on(ro, FUSE_OPEN, f, &o, sizeof(o), NULL, NULL, &r) == 0,
	      "read-only: OPEN for reading works");
	struct fuse_read_in rd = { .fh = ((const struct fuse_open_out *)r.body)->fh, .size = 64 };
	CHECK(call_on(ro, FUSE_READ, f, &rd, sizeof(rd), NULL, NULL, &r) == 0 &&
		      r.h.len == sizeof(r.h) + 7 && !memcmp(r.body, "content", 7),
	      "read-only: READ works");
	fuse_server__destroy(ro);
}

/* Several threads creating, looking up, reading and forgetting the same names at once. */
static void *worker(void *arg)
{
	struct fuse_create_in c = { .flags = O_RDWR, .mode = 0644 };
	struct fuse_forget_in fg = { .nlookup = 1 };
	struct reply *r = malloc(sizeof(*r));
	char name[16];
	long bad = 0;

	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "race%d", i % 7);
		if (call_on(srv, FUSE_CREATE, FUSE_ROOT_ID, &c, sizeof(c), name, NULL, r) == 0) {
			const struct fuse_entry_out *e = (const void *)r->body;
			uint64_t node = e->nodeid;
			struct fuse_release_in rl = {
				.fh = ((const struct fuse_open_out *)(e + 1))->fh
			};

			bad += call_on(srv, FUSE_RELEASE, 0, &rl, sizeof(rl), NULL, NULL, r) != 0;
			call_on(srv, FUSE_FORGET, node, &fg, sizeof(fg), NULL, NULL, r);
		}
		if (i % 5 == 0)
			call_on(srv, FUSE_UNLINK, FUSE_ROOT_ID, NULL, 0, name, NULL, r);
	}
	free(r);
	return (void *)bad;
}

static void test_threads(void)
{
	pthread_t t[4];
	long bad = 0;
	void *ret;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &ret);
		bad += (long)ret;
	}
	CHECK(bad == 0, "4 threads at once: every handle released cleanly");
}

int main(void)
{
	struct fs_share_opts o = { .dir = share, .cache = FS_CACHE_NONE };
	struct err *err = NULL;
	char path[256], cmd[128];
	FILE *f;

	snprintf(top, sizeof(top), "/tmp/kage-fuse-hostile-XXXXXX");
	if (!mkdtemp(top)) {
		printf("1..0 # SKIP mkdtemp: %s\n", strerror(errno));
		return 77;
	}
	snprintf(share, sizeof(share), "%s/share", top);
	mkdir(share, 0755);
	snprintf(path, sizeof(path), "%s/secret", top);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc", share);
	symlink("/etc", path);
	snprintf(path, sizeof(path), "%s/up", share);
	symlink("../secret", path);
	snprintf(path, sizeof(path), "%s/file", share);
	f = fopen(path, "w");
	if (f) {
		fputs("content", f);
		fclose(f);
	}
	if (fuse_server__create(&srv, &o, &err) < 0) {
		CHECK(0, "fuse_server__create: %s", err->msg);
		return tap_done();
	}
	struct fuse_getattr_in g = { 0 };
	CHECK(call(FUSE_GETATTR, FUSE_ROOT_ID, &g, sizeof(g), NULL) == -EIO, "EIO before INIT");
	init(srv);
	test_names();
	test_symlink_to_etc();
	test_malformed();
	test_threads();
	test_readonly();
	test_init_versions();
	fuse_server__destroy(srv);
	snprintf(path, sizeof(path), "%s/secret", top);
	CHECK(access(strcat(path, "/evil"), F_OK) < 0, "nothing was created outside the share");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
	printf("1..%d\n", tap_n);
	return tap_done();
}
