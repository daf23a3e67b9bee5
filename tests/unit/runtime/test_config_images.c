/*
 * The guest image settings (kernel, initrd, their _sha256, rootfs_block_sha256) and
 * annotations: what the parser refuses, naming the setting; what `kage env` shows; which
 * annotations apply; and a container's plan reading the files and holding them to their pins.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "lib/log.h"
#include "runtime/machine/vm_plan.h"
#include "runtime/oci/settings.h"
#include "runtime/oci/spec.h"
#include "runtime/plan/plan.h"
#include "runtime/plan/sizing.h"
#include "tests/unit/tap.h"

/* sha256sum of "kernel bytes\n" and of "initrd bytes\n" */
#define KERNEL_SUM "978612424a239a10a270f3229d7d0617811b6b467ee664785f52cf7af1310f04"
#define INITRD_SUM "a8765de8c8466d5177ec441e00f7df6a10f5bbf5d235ede637c4941e5bea4ec6"
#define SUM_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static char dir[] = "/tmp/kage-config-images-XXXXXX";
static const char *const kernel_sum = KERNEL_SUM, *const initrd_sum = INITRD_SUM;

static int parse(const char *text, struct kage_config *c, struct err **err)
{
	err_free(err);
	config__free(c);
	if (config__defaults(c, err) < 0)
		return -1;
	return config__parse("test.json", text, strlen(text), c, err);
}

static bool msg_has(struct err *err, const char *needle)
{
	return err && err->msg && strstr(err->msg, needle);
}

static void refused(const char *text, const char *needle)
{
	struct kage_config c = { 0 };
	struct err *err = NULL;

	CHECK(parse(text, &c, &err) < 0 && msg_has(err, needle), "%s refused: %s", text,
	      err ? err->msg : "(accepted)");
	err_free(&err);
	config__free(&c);
}

static void test_parse(void)
{
	struct kage_config c = { 0 };
	struct err *err = NULL;

	CHECK(parse("{\"kernel\": \"/k/bzImage\", \"initrd\": \"/k/initrd.gz\", \"kernel_sha256\": "
		    "\"" SUM_A "\", \"initrd_sha256\": \"ABCDEF0123456789abcdef0123456789ABCDEF012345"
		    "6789abcdef0123456789\", \"rootfs_block_sha256\": \"" SUM_A "\"}", &c, &err) == 0,
	      "every image setting parses: %s", err ? err->msg : "");
	CHECK(c.kernel && !strcmp(c.kernel, "/k/bzImage") && c.initrd &&
	      !strcmp(c.initrd, "/k/initrd.gz"), "the paths are kept");
	CHECK(c.initrd_sha256 && !strcmp(c.initrd_sha256, "abcdef0123456789abcdef0123456789abcdef"
					 "0123456789abcdef0123456789"),
	      "a digest in capitals is kept in lowercase");
	CHECK(c.from_file[CONFIG_KERNEL] && c.from_file[CONFIG_ROOTFS_BLOCK_SHA256],
	      "and they count as set by the file");
	CHECK(parse("{}", &c, &err) == 0 && !c.kernel && !c.kernel_sha256 && !c.initrd &&
	      !c.initrd_sha256 && !c.rootfs_block_sha256, "by default none is set");
	config__free(&c);

	refused("{\"kernel\": \"bzImage\"}", "kernel: 'bzImage' is not an absolute path");
	refused("{\"initrd\": \"./initrd\"}", "initrd: './initrd' is not an absolute path");
	refused("{\"kernel\": \"\"}", "kernel: '' is not an absolute path");
	refused("{\"kernel\": 7}", "kernel must be a string");
	refused("{\"kernel_sha256\": \"" SUM_A "a\"}", "kernel_sha256: '");
	refused("{\"kernel_sha256\": \"aaaa\"}", "kernel_sha256: 'aaaa' is not a SHA-256");
	refused("{\"initrd_sha256\": \"zaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"a\"}", "initrd_sha256: 'z");
	refused("{\"initrd_sha256\": \" " SUM_A "\"}", "initrd_sha256");
	refused("{\"rootfs_block_sha256\": \"sha256:" SUM_A "\"}",
		"rootfs_block_sha256: 'sha256:");
	refused("{\"rootfs_block_sha256\": null}", "rootfs_block_sha256 must be a string");
	refused("{\"annotations_allowed\": [\"io.kage.kernel.sha256\"]}", "unknown annotation");
}

static void test_env(void)
{
	struct kage_config c = { 0 };
	struct err *err = NULL;
	struct json_object *o = NULL, *settings, *k, *v;

	CHECK(parse("{\"kernel\": \"/k/bzImage\"}", &c, &err) == 0 &&
	      config__to_json(&c, &o, &err) == 0, "to_json");
	settings = json_object_object_get(o, "settings");
	k = json_object_object_get(settings, "kernel");
	CHECK(json_object_object_get_ex(k, "value", &v) && !strcmp(json_object_get_string(v),
								     "/k/bzImage") &&
	      !strcmp(json_object_get_string(json_object_object_get(k, "source")), "file"),
	      "kage env shows kernel from the file");
	k = json_object_object_get(settings, "kernel_sha256");
	CHECK(json_object_object_get_ex(k, "value", &v) && v == NULL &&
	      !strcmp(json_object_get_string(json_object_object_get(k, "source")), "default"),
	      "and an unset kernel_sha256 as null, by default");
	for (const char *const *n = (const char *const[]){ "initrd", "initrd_sha256",
							   "rootfs_block_sha256", NULL }; *n; n++)
		CHECK(json_object_object_get_ex(settings, *n, NULL), "kage env lists %s", *n);
	json_object_put(o);
	config__free(&c);
}

static void test_annotations(void)
{
	struct kage_config c = { 0 };
	struct sandbox_settings s;
	struct err *err = NULL;
	struct oci_kv ann[] = { { "io.kage.kernel", "/a/bzImage" },
				{ "io.kage.kernel_sha256", SUM_A },
				{ "io.kage.initrd", "/a/initrd" } };
	struct oci_kv bad[][1] = { { { "io.kage.kernel", "a/bzImage" } },
				   { { "io.kage.initrd_sha256", "abc" } } };

	CHECK(parse("{\"kernel\": \"/k/bzImage\", \"initrd_sha256\": \"" SUM_A "\"}", &c, &err) == 0,
	      "a config with images");
	CHECK(config__sandbox(&c, NULL, ann, 3, &s, &err) == 0 && !strcmp(s.kernel.path,
									 "/k/bzImage") &&
	      !s.kernel.sha256 && !s.initrd.path, "not allowed: the annotations are ignored");
	CHECK(!strcmp(s.kernel.path_from, "kernel") && !strcmp(s.initrd.sha256, SUM_A) &&
	      !strcmp(s.initrd.sha256_from, "initrd_sha256"), "the settings name themselves");
	config__free(&c);
	CHECK(parse("{\"kernel\": \"/k/bzImage\", \"annotations_allowed\": [\"io.kage.kernel\", "
		    "\"io.kage.kernel_sha256\", \"io.kage.initrd\", \"io.kage.initrd_sha256\"]}", &c,
		    &err) == 0, "a config that allows them");
	CHECK(config__sandbox(&c, NULL, ann, 3, &s, &err) == 0 &&
	      !strcmp(s.kernel.path, "/a/bzImage") && !strcmp(s.kernel.sha256, SUM_A) &&
	      !strcmp(s.initrd.path, "/a/initrd") &&
	      !strcmp(s.kernel.path_from, "io.kage.kernel"), "allowed: the annotations apply");
	for (size_t i = 0; i < 2; i++) {
		CHECK(config__sandbox(&c, NULL, bad[i], 1, &s, &err) < 0 &&
		      msg_has(err, bad[i][0].key), "%s=%s refused: %s", bad[i][0].key,
		      bad[i][0].value, err ? err->msg : "(accepted)");
		err_free(&err);
	}
	config__free(&c);
}

/* A plan whose "embedded" images are two strings, then st's images over them. */
static int plan(const struct sandbox_settings *st, struct vm_plan *o, struct err **err)
{
	memset(o, 0, sizeof(*o));
	o->cfg.kernel = "embedded kernel";
	o->cfg.kernel_size = 15;
	o->cfg.initrd = "embedded initrd";
	o->cfg.initrd_size = 15;
	return oci_guest__plan_images(st, o, err);
}

static void test_plan(void)
{
	const char *kernel = tap_write_file(dir, "bzImage", "kernel bytes\n");
	const char *initrd = tap_write_file(dir, "initrd", "initrd bytes\n");
	struct sandbox_settings st = { 0 };
	struct vm_plan o;
	struct err *err = NULL;
	char missing[600];

	CHECK(plan(&st, &o, &err) == 0 && !memcmp(o.cfg.kernel, "embedded kernel", 15),
	      "nothing configured: the embedded images stay");
	vm_plan__free(&o);
	st.kernel = (struct sandbox_image){ .path = kernel, .path_from = "kernel",
					    .sha256 = kernel_sum, .sha256_from = "kernel_sha256" };
	CHECK(plan(&st, &o, &err) == 0 && o.cfg.kernel_size == 13 &&
	      !memcmp(o.cfg.kernel, "kernel bytes\n", 13) && o.cfg.initrd_size == 15,
	      "a configured kernel with its digest is loaded, the initramfs stays: %s",
	      err ? err->msg : "");
	/* What was read is what boots: a file changed afterwards is not seen. */
	tap_write_file(dir, "bzImage", "other bytes!\n");
	CHECK(!memcmp(o.cfg.kernel, "kernel bytes\n", 13), "the loaded bytes are a copy");
	vm_plan__free(&o);

	CHECK(plan(&st, &o, &err) < 0 && msg_has(err, "setting kernel_sha256") &&
	      msg_has(err, kernel) && msg_has(err, "expected ") && msg_has(err, kernel_sum) &&
	      msg_has(err, "got "), "a changed kernel is refused with both digests: %s",
	      err ? err->msg : "(booted)");
	err_free(&err);
	vm_plan__free(&o);
	tap_write_file(dir, "bzImage", "kernel bytes\n");

	snprintf(missing, sizeof(missing), "%s/none", dir);
	st.kernel.path = missing;
	CHECK(plan(&st, &o, &err) < 0 && msg_has(err, "setting kernel") && msg_has(err, missing),
	      "a missing kernel names the setting and path: %s", err ? err->msg : "(booted)");
	err_free(&err);
	vm_plan__free(&o);
	st.kernel.path = dir;
	CHECK(plan(&st, &o, &err) < 0 && msg_has(err, "not a regular file"),
	      "a directory is refused: %s", err ? err->msg : "(booted)");
	err_free(&err);
	vm_plan__free(&o);

	st.kernel = (struct sandbox_image){ .sha256 = kernel_sum, .sha256_from = "kernel_sha256" };
	CHECK(plan(&st, &o, &err) < 0 && msg_has(err, "embedded in kage"),
	      "a pin on the embedded kernel is checked too: %s", err ? err->msg : "(booted)");
	err_free(&err);
	vm_plan__free(&o);
	st.kernel = (struct sandbox_image){ 0 };
	st.initrd = (struct sandbox_image){ .path = initrd, .path_from = "io.kage.initrd",
					    .sha256 = SUM_A, .sha256_from = "io.kage.initrd_sha256" };
	CHECK(plan(&st, &o, &err) < 0 && msg_has(err, "annotation io.kage.initrd_sha256") &&
	      msg_has(err, initrd_sum), "an annotation's pin names the annotation: %s",
	      err ? err->msg : "(booted)");
	err_free(&err);
	vm_plan__free(&o);
	st.initrd.sha256 = initrd_sum;
	CHECK(plan(&st, &o, &err) == 0 && o.cfg.initrd_size == 13, "and the right pin passes");
	vm_plan__free(&o);
}

/* rootfs_block_sha256 against an io.kage.rootfs.block image file. */
static void test_root_disk(void)
{
	struct oci_spec spec = { 0 };
	struct sandbox_settings st = { .rootfs_fstype = "ext4" };
	struct vm_plan o = { 0 };
	struct err *err = NULL;

	st.rootfs_block = tap_write_file(dir, "root.img", "kernel bytes\n");
	st.rootfs_block_sha256 = kernel_sum;
	CHECK(oci_guest__plan_disks(&spec, &st, &o, &err) == 0 && o.nr_disks == 1,
	      "an image with the pinned digest is the root disk: %s", err ? err->msg : "");
	st.rootfs_block_sha256 = SUM_A;
	CHECK(oci_guest__plan_disks(&spec, &st, &o, &err) < 0 &&
	      msg_has(err, "setting rootfs_block_sha256") && msg_has(err, kernel_sum) &&
	      msg_has(err, SUM_A), "another is refused with both digests: %s",
	      err ? err->msg : "(accepted)");
	err_free(&err);
	vm_plan__free(&o);
}

int main(void)
{
	log__set_level(LOG_ERROR);
	if (!mkdtemp(dir))
		return 1;
	test_parse();
	test_env();
	test_annotations();
	test_plan();
	test_root_disk();
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
