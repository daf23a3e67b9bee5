/*
 * Bind mounts and their shares: a directory is its own share (a ro and a rw use of it make
 * one rw share), bound files go to the ro or rw share of bound files and never bring their
 * directory along, the rootfs keeps runc's policy while the binds get the config's, and what
 * is neither a file nor a directory is refused. Then, as root in a child of its own, the
 * files' tmpfs itself: each file is its source, writes through rw reach the source, ro and
 * the tmpfs refuse writes, and the host's mount table never shows any of it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices/fs/fuse_server.h"
#include "lib/err.h"
#include "runtime/plan/sizing.h"
#include "runtime/plan/plan.h"
#include "runtime/oci/spec.h"
#include "runtime/machine/vm_plan.h"
#include "tests/unit/tap.h"

static char top[64];
static char *rbind[] = { "rbind", "rprivate" }, *robind[] = { "rbind", "ro" };
static char *ro[] = { "ro" };

static const char *path(const char *rel)
{
	static char p[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", top, rel);
	return p[k];
}

static void put(const char *rel, const char *text, mode_t mode)
{
	int fd = open(path(rel), O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		CHECK(0, "write %s", rel);
	close(fd);
}

static const char *slurp(const char *p)
{
	static char buf[256];
	int fd = open(p, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return buf;
}

/* Docker's three file binds, a ro file, and one directory bound ro and then rw. */
static struct oci_mount mounts[] = {
	{ .destination = "/proc", .type = "proc", .source = "proc" },
	{ .destination = "/etc/hosts", .type = "bind", .options = { rbind, 2 } },
	{ .destination = "/etc/hostname", .type = "bind", .options = { rbind, 2 } },
	{ .destination = "/etc/motd", .options = { robind, 2 } },
	{ .destination = "/data", .type = "bind", .options = { ro, 1 } },
	{ .destination = "/data2", .type = "bind", .options = { rbind, 2 } },
};

static void make_spec(struct oci_spec *s)
{
	static char root[128], hosts[128], hostname[128], motd[128], data[128];

	memset(s, 0, sizeof(*s));
	snprintf(root, sizeof(root), "%s", path("rootfs"));
	snprintf(hosts, sizeof(hosts), "%s", path("ctr/hosts"));
	snprintf(hostname, sizeof(hostname), "%s", path("ctr/hostname"));
	snprintf(motd, sizeof(motd), "%s", path("motd"));
	snprintf(data, sizeof(data), "%s", path("data"));
	s->root.path = root;
	mounts[1].source = hosts;
	mounts[2].source = hostname;
	mounts[3].source = motd;
	mounts[4].source = mounts[5].source = data;
	s->mounts = mounts;
	s->n_mounts = sizeof(mounts) / sizeof(mounts[0]);
}

static int find(const struct vm_plan *o, const char *host_path)
{
	for (unsigned int i = 0; i < o->nr_shares; i++)
		if (!strcmp(o->shares[i].host_path, host_path))
			return i;
	return -1;
}

static void test_plan(const struct oci_spec *s)
{
	struct sandbox_settings st = { .share_policy = CONFIG_SHARE_STRICT };
	struct vm_plan o = { 0 };
	struct err *err = NULL;
	int r, w, d;

	CHECK(oci_guest__plan(s, &st, FS_CACHE_AUTO, path("shares"), &o, &err) == 0,
	      "plan: %s", err ? err->msg : "ok");
	r = find(&o, path("shares/ro"));
	w = find(&o, path("shares/rw"));
	d = find(&o, path("data"));
	CHECK(o.nr_shares == 4 && !strcmp(o.shares[0].guest_path, "/"),
	      "4 shares: the rootfs, ro files, rw files, the directory (%u)", o.nr_shares);
	CHECK(find(&o, path("ctr")) < 0 && find(&o, top) < 0,
	      "no bound file's directory is shared");
	CHECK(w > 0 && o.shares[w].files && !o.shares[w].readonly,
	      "Docker's rw /etc/hosts and /etc/hostname: the rw share of files");
	CHECK(r > 0 && o.shares[r].files && o.shares[r].readonly, "a ro file: the ro share");
	CHECK(d > 0 && !o.shares[d].files && !o.shares[d].readonly,
	      "a directory bound ro and rw: itself, one rw share");
	CHECK(o.shares[0].policy == FS_POLICY_RUNC && o.shares[r].policy == FS_POLICY_STRICT &&
		      o.shares[w].policy == FS_POLICY_STRICT && o.shares[d].policy == FS_POLICY_STRICT,
	      "the rootfs keeps runc's policy, the binds get the config's strict");
	vm_plan__free(&o);

	st.share_policy = CONFIG_SHARE_RUNC;
	o = (struct vm_plan){ 0 };
	CHECK(oci_guest__plan(s, &st, FS_CACHE_AUTO, path("shares"), &o, &err) == 0 &&
		      o.shares[1].policy == FS_POLICY_RUNC && o.shares[3].policy == FS_POLICY_RUNC,
	      "share_policy runc reaches the binds' shares");
	vm_plan__free(&o);

	struct oci_mount fifo = { .destination = "/f", .type = "bind",
				  .source = (char *)path("fifo") };
	struct oci_spec bad = *s;

	mkfifo(fifo.source, 0600);
	bad.mounts = &fifo;
	bad.n_mounts = 1;
	o = (struct vm_plan){ 0 };
	CHECK(oci_guest__plan(&bad, &st, FS_CACHE_AUTO, path("shares"), &o, &err) < 0 &&
		      strstr(err->msg, "only directories and regular files"),
	      "a FIFO is refused: %s", err ? err->msg : "planned");
	vm_plan__free(&o);
	err_free(&err);
}

static bool only_entries(const char *dir, const char *want)
{
	char got[64] = "";
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s ", e->d_name);
	if (d)
		closedir(d);
	/* readdir's order is the tmpfs's: compare as a set of the few names. */
	for (const char *p = want; *p; p += strcspn(p, " ") + (p[strcspn(p, " ")] != 0)) {
		char one[8];

		snprintf(one, sizeof(one), "%.*s ", (int)strcspn(p, " "), p);
		if (!strstr(got, one))
			return false;
	}
	return strlen(got) == strlen(want) + 1;
}

/* One FUSE request to s with a name argument after the fixed one; the reply in *out. */
static int fuse_call(struct fuse_server *s, uint32_t op, uint64_t node, const void *a,
		     size_t al, const char *name, void *out, size_t room)
{
	uint8_t req[512];
	struct fuse_in_header h = { .opcode = op, .unique = 1, .nodeid = node };
	size_t nl = name ? strlen(name) + 1 : 0;
	struct iovec in = { req, sizeof(h) + al + nl }, o = { out, room };

	h.len = in.iov_len;
	memcpy(req, &h, sizeof(h));
	if (al)
		memcpy(req + sizeof(h), a, al);
	if (nl)
		memcpy(req + sizeof(h) + al, name, nl);
	fuse_server__handle(s, &in, 1, &o, 1);
	return ((struct fuse_out_header *)out)->error;
}

/* The server on rw/: its entries are the sources' inodes, and there is nothing else. */
static void fuse_checks(void)
{
	struct fs_share_opts opts = { .dir = path("shares/rw") };
	struct fuse_init_in init = { .major = 7, .minor = 37 };
	struct fuse_create_in c = { .flags = O_WRONLY | O_CREAT, .mode = S_IFREG | 0644 };
	struct {
		struct fuse_out_header h;
		union {
			struct fuse_entry_out e;
			uint8_t room[1024];
		};
	} r;
	struct fuse_server *s = NULL;
	struct err *err = NULL;
	struct stat st;

	if (fuse_server__create(&s, &opts, &err) < 0) {
		CHECK(0, "a server on rw/: %s", err->msg);
		err_free(&err);
		return;
	}
	fuse_call(s, FUSE_INIT, 0, &init, sizeof(init), NULL, &r, sizeof(r));
	CHECK(fuse_call(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "1", &r, sizeof(r)) == 0 &&
		      stat(path("ctr/hosts"), &st) == 0 && r.e.attr.ino == st.st_ino,
	      "FUSE: entry 1 is the inode of the source file");
	CHECK(fuse_call(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "secret", &r, sizeof(r)) ==
		      -ENOENT,
	      "FUSE: the file beside the source is not there");
	CHECK(fuse_call(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "..", &r, sizeof(r)) == 0 &&
		      r.e.nodeid == FUSE_ROOT_ID,
	      "FUSE: .. of the share is the share");
	CHECK(fuse_call(s, FUSE_CREATE, FUSE_ROOT_ID, &c, sizeof(c), "new", &r, sizeof(r)) ==
		      -EROFS,
	      "FUSE: CREATE beside the entries is EROFS");
	fuse_server__destroy(s);
}

/* In the child: its own mount namespace, so the parent can look at the host's. */
static void child_checks(const struct oci_spec *s)
{
	struct err *err = NULL;
	char name[32];
	int fd;

	if (oci_guest__share_files(s, path("shares"), &err) < 0 && err->errnum == EPERM) {
		printf("ok %d - # SKIP no mount namespace here: %s\n", ++tap_n, err->msg);
		err_free(&err);
		return;
	}
	CHECK(!err, "share the files: %s", err ? err->msg : "ok");
	CHECK(only_entries(path("shares/rw"), "1 2") && only_entries(path("shares/ro"), "3"),
	      "rw/ holds mounts 1 and 2, ro/ mount 3, nothing else");
	CHECK(!strcmp(slurp(path("shares/rw/1")), "127.0.0.1 localhost\n") &&
		      !strcmp(slurp(path("shares/ro/3")), "hello\n"),
	      "each entry reads as its source");
	fd = open(path("shares/rw/1"), O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "10.0.0.1 db\n", 12) == 12 &&
		      !strcmp(slurp(path("ctr/hosts")), "127.0.0.1 localhost\n10.0.0.1 db\n"),
	      "a write through the rw entry reaches the source file");
	close(fd);
	CHECK(open(path("shares/ro/3"), O_WRONLY) < 0 && errno == EROFS,
	      "the ro entry is a read-only mount");
	CHECK(open(path("shares/rw/new"), O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS &&
		      mkdir(path("shares/rw/d"), 0755) < 0 && errno == EROFS,
	      "nothing can be created beside the entries (EROFS)");
	CHECK(oci_guest__file_entry(path("shares/ro"), path("motd"), name, sizeof(name), &err) ==
			      0 && !strcmp(name, "3"),
	      "the entry of motd in ro/ is 3 (%s)", err ? err->msg : name);
	CHECK(oci_guest__file_entry(path("shares/rw"), path("ctr/secret"), name, sizeof(name),
				    &err) < 0,
	      "a file never bound has no entry: %s", err ? err->msg : name);
	err_free(&err);
	fuse_checks();
}

static bool in_mountinfo(const char *p)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, p) != NULL;
	if (f)
		fclose(f);
	return found;
}

static void test_mounts(const struct oci_spec *s)
{
	int counts[2], done[2], go[2];
	pid_t pid;

	if (pipe(done) < 0 || pipe(go) < 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		child_checks(s);
		counts[0] = tap_n;
		counts[1] = tap_failed;
		fflush(stdout);
		if (write(done[1], counts, sizeof(counts)) != sizeof(counts) ||
		    read(go[0], counts, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	if (read(done[0], counts, sizeof(counts)) == sizeof(counts)) {
		tap_n = counts[0];
		tap_failed = counts[1];
	}
	CHECK(!in_mountinfo(path("shares")),
	      "while the sandbox lives, the host's mount table has none of its mounts");
	close(go[1]);
	waitpid(pid, NULL, 0);
	CHECK(rmdir(path("shares")) == 0 || errno == ENOENT,
	      "after it, the mountpoint is an empty directory (or none)");
}

int main(void)
{
	struct oci_spec s;
	char cmd[128];

	snprintf(top, sizeof(top), "/tmp/kage-oci-files-XXXXXX");
	if (!mkdtemp(top)) {
		printf("1..0 # SKIP mkdtemp: %s\n", strerror(errno));
		return 77;
	}
	mkdir(path("rootfs"), 0755);
	mkdir(path("data"), 0755);
	mkdir(path("ctr"), 0755);
	put("ctr/hosts", "127.0.0.1 localhost\n", 0644);
	put("ctr/hostname", "box\n", 0644);
	put("ctr/secret", "config.v2.json\n", 0600);
	put("motd", "hello\n", 0644);
	make_spec(&s);
	test_plan(&s);
	if (geteuid() == 0)
		test_mounts(&s);
	else
		printf("ok %d - # SKIP the files' tmpfs: not running as root\n", ++tap_n);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
	printf("1..%d\n", tap_n);
	return tap_done();
}
