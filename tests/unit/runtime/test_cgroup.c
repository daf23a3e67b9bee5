/* linux.cgroupsPath → the sandbox's cgroup directory: cgroupfs paths, systemd's
 * slice:prefix:name, and paths that would leave the cgroup mount. */
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "runtime/sandbox/cgroup.h"
#include "tests/unit/tap.h"

static void expect(const char *path, bool systemd, const char *want)
{
	char out[4096];
	struct err *err = NULL;
	int r = cgroup__map(path, systemd, out, sizeof(out), &err);

	CHECK(r == 0 && !strcmp(out, want), "'%s'%s → '%s' (got '%s'%s%s)", path,
	      systemd ? " (systemd)" : "", want, r == 0 ? out : "", err ? ": " : "",
	      err ? err->msg : "");
	err_free(&err);
}

static void refuse(const char *path, bool systemd, const char *want)
{
	char out[4096];
	struct err *err = NULL;
	int r = cgroup__map(path, systemd, out, sizeof(out), &err);

	CHECK(r < 0 && err && strstr(err->msg, want), "'%s' refused: %s (got %s)", path, want,
	      err ? err->msg : "success");
	err_free(&err);
}

int main(void)
{
	expect("", false, "");
	expect("/docker/abc", false, CGROUP_MOUNT "/docker/abc");
	expect("docker/abc/", false, CGROUP_MOUNT "/docker/abc");
	expect("//a//b", false, CGROUP_MOUNT "/a//b");
	expect("/a/..b/c..", false, CGROUP_MOUNT "/a/..b/c..");
	expect("system.slice:docker:abc", false, CGROUP_MOUNT "/system.slice/docker-abc.scope");
	expect("system.slice:docker:abc", true, CGROUP_MOUNT "/system.slice/docker-abc.scope");
	expect("user-1000-app.slice:kage:x", true,
	       CGROUP_MOUNT "/user.slice/user-1000.slice/user-1000-app.slice/kage-x.scope");
	expect("-.slice:kage:x", true, CGROUP_MOUNT "/kage-x.scope");
	refuse("/docker/../../etc", false, "must not contain '..'");
	refuse("..", false, "must not contain '..'");
	refuse("/", false, "root cgroup");
	refuse("system.slice:docker", true, "slice:prefix:name");
	refuse("system:docker:abc", true, "not a systemd slice name");
	refuse("system.slice:docker:../x", true, "no '/' or '..'");
	refuse("a/b.slice:docker:x", true, "not a systemd slice name");
	return tap_done();
}
