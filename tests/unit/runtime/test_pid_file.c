/*
 * The pid file as runc writes it: a fresh file renamed into place, so that whoever can write
 * the pid file's directory cannot make kage (root) write through a symlink it planted.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "runtime/container/lifecycle.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/kage-test-pidfile.XXXXXX";

static void put(const char *name, const char *text)
{
	char p[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const char *get(const char *name)
{
	static char buf[256];
	char p[4096];
	FILE *f;
	size_t n = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "r");
	buf[0] = 0;
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

static bool is_regular(const char *name)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int main(void)
{
	char path[4096], link[4096], target[4096];
	struct err *err = NULL;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/pid", dir);
	snprintf(link, sizeof(link), "%s/pid.kage-tmp", dir);
	snprintf(target, sizeof(target), "%s/precious", dir);

	CHECK(lifecycle__write_pid_file(path, 1234, &err) == 0, "a plain pid file is written");
	CHECK(!strcmp(get("pid"), "1234"), "and holds the pid without a newline ('%s')", get("pid"));
	CHECK(lifecycle__write_pid_file(path, 42, &err) == 0 && !strcmp(get("pid"), "42"),
	      "an existing pid file is replaced");

	/* A symlink planted at the temporary name: runc's O_EXCL, and we remove it first. */
	put("precious", "keep me");
	CHECK(symlink(target, link) == 0, "a symlink is planted at the temporary name");
	CHECK(lifecycle__write_pid_file(path, 77, &err) == 0, "the pid file is still written");
	CHECK(!strcmp(get("precious"), "keep me"), "the symlink's target is untouched ('%s')",
	      get("precious"));
	CHECK(!strcmp(get("pid"), "77") && is_regular("pid"), "the pid file is a regular file with the pid");
	CHECK(access(link, F_OK) != 0, "no temporary name is left behind");

	/* A symlink at the pid file's own name is replaced, not followed. */
	unlink(path);
	CHECK(symlink(target, path) == 0, "a symlink is planted at the pid file's name");
	CHECK(lifecycle__write_pid_file(path, 78, &err) == 0, "the pid file is written");
	CHECK(!strcmp(get("precious"), "keep me"), "its target is untouched");
	CHECK(is_regular("pid") && !strcmp(get("pid"), "78"), "the symlink was replaced by the pid file");

	/* A directory it cannot write: a clear error naming the file. */
	CHECK(lifecycle__write_pid_file("/nonexistent-dir/pid", 1, &err) < 0 && err &&
		      strstr(err->msg, "/nonexistent-dir/pid"),
	      "an unwritable place is an error naming the file (%s)", err ? err->msg : "none");
	err_free(&err);

	unlink(path);
	unlink(target);
	rmdir(dir);
	return tap_done();
}
