/*
 * The little of containerd's config.toml that `kage install --containerd --write` reads and
 * edits (runtime/install/containerd.c): the top-level version, and an imports line that
 * covers the drop-in.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "runtime/install/containerd.h"
#include "runtime/install/install.h"
#include "tests/unit/tap.h"

#define DROPIN "/etc/containerd/conf.d/kage.toml"
#define GLOB "/etc/containerd/conf.d/*.toml"

/* Runs the import edit on text; returns its result, *out the new text, msg its message. */
static int add(const char *text, char **out, char *msg, size_t msglen)
{
	struct err *err = NULL;
	int ret = containerd__add_import("config.toml", text, "/etc/containerd", DROPIN, GLOB,
					 out, &err);

	snprintf(msg, msglen, "%s", err ? err->msg : "");
	err_free(&err);
	return ret;
}

static void test_version(void)
{
	CHECK(containerd__version("version = 2\n") == 2, "version = 2");
	CHECK(containerd__version("# c\n  version=3\n[plugins]\n") == 3, "version=3, indented");
	CHECK(containerd__version("root = \"/x\"\n") == 1, "no version line reads as 1");
	CHECK(containerd__version("[plugins.x]\nversion = 3\n") == 1,
	      "a version inside a table is not the file's");
	CHECK(containerd__version("versions = 3\n") == 1, "versions = 3 is another key");
}

static void test_imports(void)
{
	char *out = NULL, msg[512];

	CHECK(add("version = 3\n\n[plugins.x]\n  a = 1\n", &out, msg, sizeof(msg)) == 1 && out &&
	      !strcmp(out, "version = 3\nimports = [\"" GLOB "\"]\n\n[plugins.x]\n  a = 1\n"),
	      "no imports line: one is added after version:\n%s", out ? out : msg);
	free(out);
	out = NULL;
	CHECK(add("version = 3", &out, msg, sizeof(msg)) == 1 && out &&
	      !strcmp(out, "version = 3\nimports = [\"" GLOB "\"]\n"),
	      "after a version line without a newline:\n%s", out ? out : msg);
	free(out);
	out = NULL;
	CHECK(add("version = 3\nimports = [\"/x/*.toml\"] # mine\n", &out, msg, sizeof(msg)) == 1 &&
	      out && !strcmp(out, "version = 3\nimports = [\"/x/*.toml\", \"" GLOB "\"] # mine\n"),
	      "an imports line without ours gets the glob added:\n%s", out ? out : msg);
	free(out);
	out = NULL;
	CHECK(add("imports = []\nversion = 3\n", &out, msg, sizeof(msg)) == 1 && out &&
	      !strcmp(out, "imports = [\"" GLOB "\"]\nversion = 3\n"),
	      "an empty imports array gets the glob:\n%s", out ? out : msg);
	free(out);
	out = NULL;
	CHECK(add("version = 3\nimports = ['/etc/containerd/conf.d/*.toml']\n", &out, msg,
		  sizeof(msg)) == 0 && !out, "a glob covering the drop-in: nothing to change");
	CHECK(add("version = 3\nimports = [\"conf.d/kage.toml\"]\n", &out, msg, sizeof(msg)) == 0 &&
	      !out, "a relative path, taken from config.toml's directory, covers it too");
	CHECK(add("version = 3\nimports = [\"/a/*.toml\",\n  \"/b.toml\"]\n", &out, msg,
		  sizeof(msg)) == -1 && !out && strstr(msg, "add \"" GLOB "\" to it by hand"),
	      "an array over several lines is refused (%s)", msg);
	CHECK(add("root = \"/x\"\n", &out, msg, sizeof(msg)) == -1 && !out,
	      "no version line is refused (%s)", msg);
}

static void test_fragment(void)
{
	char *v2 = containerd__fragment("kage", "/usr/local/bin/kage", 2, false);
	char *v3 = containerd__fragment("k2", "/opt/a \"b\"\\c", 3, true);

#define V2 "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kage"
	CHECK(v2 && strstr(v2, "version = 2\n") &&
	      strstr(v2, V2 "]\n  runtime_type = \"io.containerd.runc.v2\"\n") &&
	      strstr(v2, V2 ".options]\n  BinaryName = \"/usr/local/bin/kage\"\n") &&
	      !strstr(v2, "default_runtime"),
	      "version 2: the runc shim with kage as its binary:\n%s", v2 ? v2 : "");
	CHECK(v3 && strstr(v3, "[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.k2]")
	      &&
	      strstr(v3, "default_runtime_name = \"k2\"") &&
	      strstr(v3, "BinaryName = \"/opt/a \\\"b\\\"\\\\c\"\n"),
	      "version 3: containerd 2's plugin, the default, the path escaped:\n%s", v3 ? v3 : "");
	free(v2);
	free(v3);
}

int main(void)
{
	test_version();
	test_imports();
	test_fragment();
	return tap_done();
}
