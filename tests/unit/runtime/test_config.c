/* kage's settings: defaults, the file chain, strict parsing, and a container's VM size. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/cleanup.h"
#include "lib/err.h"
#include "lib/log.h"
#include "runtime/oci/settings.h"
#include "runtime/plan/sizing.h"
#include "runtime/oci/spec.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/kage-config-XXXXXX";

/* Parses text over the defaults; returns the result and leaves the message in *err. */
static int parse(const char *text, struct kage_config *c, struct err **err)
{
	err_free(err);
	if (config__defaults(c, err) < 0)
		return -1;
	return config__parse("test.json", text, strlen(text), c, err);
}

static bool msg_has(struct err *err, const char *needle)
{
	return err && err->msg && strstr(err->msg, needle);
}

static void test_defaults(void)
{
	struct kage_config c;
	struct err *err = NULL;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	CHECK(config__defaults(&c, &err) == 0, "defaults");
	CHECK(c.default_vcpus == 1 && c.default_memory_mib == 256, "1 vCPU, 256 MiB");
	CHECK(!strcmp(c.kernel_params, "") && c.log_level == LOG_INFO, "no kernel params, info");
	CHECK(c.fs_cache == CONFIG_FS_CACHE_AUTO, "fs_cache auto");
	CHECK(c.seccomp == CONFIG_SECCOMP_KILL, "seccomp kill");
	CHECK(c.n_annotations_allowed == 2 && !strcmp(c.annotations_allowed[0], CONFIG_ANN_VCPUS) &&
		      !strcmp(c.annotations_allowed[1], CONFIG_ANN_MEMORY) &&
		      !c.annotations_allowed[2],
	      "vcpus and memory annotations allowed");
	CHECK(c.max_vcpus == (cpus > CONFIG_VCPUS_LIMIT ? CONFIG_VCPUS_LIMIT : cpus),
	      "max_vcpus is the host's %ld CPUs", cpus);
	CHECK(c.max_memory_mib == 8192 && !c.path && c.origin == CONFIG_FROM_NONE, "8 GiB max");
	for (int k = 0; k < CONFIG_NKEYS; k++)
		if (c.from_file[k])
			CHECK(0, "%s marked as from the file", config__key_name(k));
	config__free(&c);
}

static void test_parse(void)
{
	struct kage_config c;
	struct err *err = NULL;

	CHECK(parse("{\"default_vcpus\": 2, \"default_memory_mib\": 512, \"kernel_params\": "
		    "\"quiet\", \"log_level\": \"debug\", \"fs_cache\": \"never\"}",
		    &c, &err) < 0 && msg_has(err, "fs_cache: unknown value 'never' (one of none, "
					       "auto, always)"),
	      "a bad choice lists the good ones: %s", err ? err->msg : "");
	config__free(&c);

	CHECK(parse("{\"default_vcpus\": 2, \"default_memory_mib\": 512, \"kernel_params\": "
		    "\"quiet\", \"log_level\": \"debug\", \"fs_cache\": \"none\", \"max_vcpus\": 4, "
		    "\"max_memory_mib\": 1024, \"annotations_allowed\": [\"io.kage.fs_cache\"]}",
		    &c, &err) == 0,
	      "every setting: %s", err ? err->msg : "ok");
	CHECK(c.default_vcpus == 2 && c.default_memory_mib == 512 && c.max_vcpus == 4 &&
		      c.max_memory_mib == 1024,
	      "numbers read");
	CHECK(!strcmp(c.kernel_params, "quiet") && c.log_level == LOG_DEBUG &&
		      c.fs_cache == CONFIG_FS_CACHE_NONE,
	      "strings read");
	CHECK(c.n_annotations_allowed == 1 && !strcmp(c.annotations_allowed[0], CONFIG_ANN_FS_CACHE),
	      "annotations_allowed replaced, not merged");
	CHECK(c.from_file[CONFIG_DEFAULT_VCPUS] && c.from_file[CONFIG_ANNOTATIONS_ALLOWED],
	      "sources marked");
	config__free(&c);

	CHECK(parse("{\"seccomp\": \"log\"}", &c, &err) == 0 && c.seccomp == CONFIG_SECCOMP_LOG,
	      "seccomp log read: %s", err ? err->msg : "ok");
	CHECK(c.irq_resend == CONFIG_IRQ_RESEND_OFF, "irq_resend off by default");
	config__free(&c);
	CHECK(parse("{\"irq_resend\": \"on\"}", &c, &err) == 0 && c.irq_resend == CONFIG_IRQ_RESEND_ON,
	      "irq_resend on read: %s", err ? err->msg : "ok");
	config__free(&c);
	CHECK(parse("{\"irq_resend\": true}", &c, &err) < 0 && msg_has(err, "irq_resend"),
	      "a boolean irq_resend names the field: %s", err ? err->msg : "");
	err_free(&err);
	config__free(&c);
	CHECK(parse("{\"seccomp\": \"off\"}", &c, &err) < 0 &&
		      msg_has(err, "seccomp: unknown value 'off' (one of kill, log)"),
	      "a bad seccomp value names the field: %s", err ? err->msg : "");
	err_free(&err);
	config__free(&c);

	CHECK(parse("{\"default_vcpu\": 2}", &c, &err) < 0 &&
		      msg_has(err, "unknown setting 'default_vcpu'"),
	      "an unknown key is named: %s", err ? err->msg : "");
	config__free(&c);
	CHECK(parse("{\"default_vcpus\": \"2\"}", &c, &err) < 0 &&
		      msg_has(err, "default_vcpus must be an integer, not a string"),
	      "a wrong type names the key: %s", err ? err->msg : "");
	config__free(&c);
	CHECK(parse("{\"default_memory_mib\": 1.5}", &c, &err) < 0 &&
		      msg_has(err, "default_memory_mib must be an integer"),
	      "a fraction is not an integer");
	config__free(&c);
	CHECK(parse("{\"kernel_params\": 1}", &c, &err) < 0 &&
		      msg_has(err, "kernel_params must be a string"),
	      "kernel_params wants a string");
	config__free(&c);
	CHECK(parse("{\"annotations_allowed\": \"io.kage.vcpus\"}", &c, &err) < 0 &&
		      msg_has(err, "annotations_allowed must be an array"),
	      "annotations_allowed wants an array");
	config__free(&c);
	CHECK(parse("{\"annotations_allowed\": [\"io.kage.vcpu\"]}", &c, &err) < 0 &&
		      msg_has(err, "unknown annotation 'io.kage.vcpu'"),
	      "a misspelt annotation is refused: %s", err ? err->msg : "");
	config__free(&c);
	CHECK(parse("{\"default_vcpus\": 0}", &c, &err) < 0 &&
		      msg_has(err, "default_vcpus must be between 1 and"),
	      "0 vCPUs refused: %s", err ? err->msg : "");
	config__free(&c);
	CHECK(parse("{\"default_memory_mib\": 18446744073709551615}", &c, &err) < 0 &&
		      msg_has(err, "default_memory_mib must be between"),
	      "a huge number refused: %s", err ? err->msg : "");
	config__free(&c);
	CHECK(parse("{\"default_vcpus\": 3, \"max_vcpus\": 2}", &c, &err) < 0 &&
		      msg_has(err, "default_vcpus (3) is more than max_vcpus (2)"),
	      "default above max refused: %s", err ? err->msg : "");
	config__free(&c);
	CHECK(parse("{\"max_memory_mib\": 128}", &c, &err) < 0 &&
		      msg_has(err, "default_memory_mib (256) is more than max_memory_mib (128)"),
	      "the bound holds against a default too");
	config__free(&c);
	CHECK(parse("[1]", &c, &err) < 0 && msg_has(err, "must hold a JSON object"),
	      "an array is not a config");
	config__free(&c);
	CHECK(parse("{\"log_level\": \"info\"} x", &c, &err) < 0 && msg_has(err, "not valid JSON"),
	      "trailing garbage refused: %s", err ? err->msg : "");
	config__free(&c);
	CHECK(parse("{\"log_level\": \"info\"", &c, &err) < 0 && msg_has(err, "not valid JSON"),
	      "a cut file refused");
	config__free(&c);
	CHECK(parse(" {} \n", &c, &err) == 0 && c.default_vcpus == 1, "an empty object is fine");
	config__free(&c);
	err_free(&err);
}

static void test_chain(void)
{
	const char *opt = tap_write_file(dir, "opt.json", "{\"default_vcpus\": 1, \"kernel_params\": \"a\"}");
	const char *env = tap_write_file(dir, "env.json", "{\"kernel_params\": \"b\"}");
	const char *sys = tap_write_file(dir, "sys.json", "{\"fs_cache\": \"always\"}");
	struct config_sources src = { opt, env, sys };
	struct kage_config c;
	struct err *err = NULL;
	char missing[600];

	snprintf(missing, sizeof(missing), "%s/missing.json", dir);
	CHECK(config__load_from(&src, &c, &err) == 0 && !strcmp(c.kernel_params, "a") &&
		      c.origin == CONFIG_FROM_OPTION && !strcmp(c.path, opt),
	      "--config wins");
	CHECK(c.fs_cache == CONFIG_FS_CACHE_AUTO && c.from_file[CONFIG_KERNEL_PARAMS] &&
		      !c.from_file[CONFIG_FS_CACHE],
	      "the first file only, not a merge");
	config__free(&c);

	src.option_path = NULL;
	CHECK(config__load_from(&src, &c, &err) == 0 && !strcmp(c.kernel_params, "b") &&
		      c.origin == CONFIG_FROM_ENV,
	      "then $KAGE_CONFIG");
	config__free(&c);

	src.env_path = "";
	CHECK(config__load_from(&src, &c, &err) == 0 && c.fs_cache == CONFIG_FS_CACHE_ALWAYS &&
		      c.origin == CONFIG_FROM_SYSTEM && !strcmp(c.path, sys),
	      "an empty $KAGE_CONFIG is unset: the system file");
	config__free(&c);

	src.system_path = missing;
	CHECK(config__load_from(&src, &c, &err) == 0 && !c.path && c.origin == CONFIG_FROM_NONE &&
		      c.default_vcpus == 1,
	      "a missing system file means defaults");
	config__free(&c);

	src.env_path = missing;
	CHECK(config__load_from(&src, &c, &err) < 0 && msg_has(err, "missing.json") &&
		      msg_has(err, "from KAGE_CONFIG") && msg_has(err, "No such file"),
	      "a missing $KAGE_CONFIG file is an error: %s", err ? err->msg : "");
	err_free(&err);
	src.option_path = missing;
	src.env_path = env;
	CHECK(config__load_from(&src, &c, &err) < 0 && msg_has(err, "from --config"),
	      "a missing --config file is an error, not a fall-through");
	err_free(&err);

	src.option_path = tap_write_file(dir, "bad.json", "{\"max_vcpu\": 2}");
	CHECK(config__load_from(&src, &c, &err) < 0 && msg_has(err, "kage config: ") &&
		      msg_has(err, "bad.json: unknown setting 'max_vcpu'"),
	      "a bad file's error names the file and key: %s", err ? err->msg : "");
	err_free(&err);
	src.option_path = dir;
	CHECK(config__load_from(&src, &c, &err) < 0 && msg_has(err, "not a regular file"),
	      "a directory is not a config file: %s", err ? err->msg : "");
	err_free(&err);
}

/* share_policy: strict by default, runc when asked, anything else an error naming the key. */
static void test_share_policy(void)
{
	struct sandbox_settings ss;
	struct kage_config c;
	struct json_object *o = NULL;
	struct err *err = NULL;

	CHECK(config__defaults(&c, &err) == 0 && c.share_policy == CONFIG_SHARE_STRICT,
	      "share_policy is strict by default");
	config__sandbox_defaults(&c, &ss);
	CHECK(ss.share_policy == CONFIG_SHARE_STRICT, "... and so is a container's");
	config__free(&c);
	CHECK(parse("{\"share_policy\": \"runc\"}", &c, &err) == 0 &&
		      c.share_policy == CONFIG_SHARE_RUNC && c.from_file[CONFIG_SHARE_POLICY],
	      "share_policy runc: %s", err ? err->msg : "ok");
	config__sandbox_defaults(&c, &ss);
	CHECK(ss.share_policy == CONFIG_SHARE_RUNC, "... reaches a container's settings");
	CHECK(config__to_json(&c, &o, &err) == 0 &&
		      strstr(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			     "\"share_policy\":{\"value\":\"runc\",\"source\":\"file\"}"),
	      "kage env shows it");
	json_object_put(o);
	config__free(&c);
	CHECK(parse("{\"share_policy\": \"strict\"}", &c, &err) == 0 &&
		      c.share_policy == CONFIG_SHARE_STRICT,
	      "share_policy strict");
	config__free(&c);
	CHECK(parse("{\"share_policy\": \"none\"}", &c, &err) < 0 &&
		      msg_has(err, "share_policy: unknown value 'none' (one of strict, runc)"),
	      "an unknown policy is named with the good ones: %s", err ? err->msg : "");
	config__free(&c);
	err_free(&err);
	CHECK(parse("{\"share_policy\": true}", &c, &err) < 0 &&
		      msg_has(err, "share_policy must be a string, not a boolean"),
	      "a wrong type names the key: %s", err ? err->msg : "");
	config__free(&c);
	err_free(&err);
	CHECK(parse("{\"share_policy\": \"Strict\"}", &c, &err) < 0 &&
		      msg_has(err, "share_policy"),
	      "the names are exact: %s", err ? err->msg : "");
	config__free(&c);
	err_free(&err);
}

static void test_json(void)
{
	struct kage_config c;
	struct json_object *o = NULL;
	struct err *err = NULL;
	const char *text;

	parse("{\"default_vcpus\": 1, \"fs_cache\": \"none\"}", &c, &err);
	c.path = strdup("/x/config.json");
	c.origin = CONFIG_FROM_ENV;
	CHECK(config__to_json(&c, &o, &err) == 0, "settings as JSON");
	text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE) : "";
	CHECK(strstr(text, "\"config_file\":\"/x/config.json\",\"config_from\":\"KAGE_CONFIG\""),
	      "the file and its link: %s", text);
	CHECK(strstr(text, "\"default_vcpus\":{\"value\":1,\"source\":\"file\"}") &&
		      strstr(text, "\"fs_cache\":{\"value\":\"none\",\"source\":\"file\"}") &&
		      strstr(text, "\"default_memory_mib\":{\"value\":256,\"source\":\"default\"}") &&
		      strstr(text, "\"annotations_allowed\":{\"value\":[\"io.kage.vcpus\","
				   "\"io.kage.memory\"],\"source\":\"default\"}"),
	      "each setting's value and source");
	json_object_put(o);
	config__free(&c);
}

static void test_rootfs_annotations(void)
{
	struct kage_config c;
	struct sandbox_settings s;
	struct err *err = NULL;
	struct oci_kv root[] = {
		{ "io.kage.rootfs.block", "/srv/img/root.ext4" },
		{ "io.kage.rootfs.fstype", "xfs" },
		{ "io.kage.rootfs.options", "noatime,nouuid" },
	};
	struct oci_kv bad[][1] = {
		{ { "io.kage.rootfs.block", "root.ext4" } }, { { "io.kage.rootfs.block", "" } },
		{ { "io.kage.rootfs.fstype", "" } },	     { { "io.kage.rootfs.fstype", "ext4,ro" } },
		{ { "io.kage.rootfs.fstype", "EXT4" } },
	};

	parse("{}", &c, &err);
	config__sandbox_defaults(&c, &s);
	CHECK(!s.rootfs_block && !strcmp(s.rootfs_fstype, "ext4") && !s.rootfs_options,
	      "no block rootfs by default; ext4 when one is named");
	CHECK(config__apply_annotations(&c, root, 3, &s, &err) == 0 && !s.rootfs_block &&
		      !strcmp(s.rootfs_fstype, "ext4"),
	      "the rootfs annotations are not allowed by default: a host path is the admin's");
	config__free(&c);
	parse("{\"annotations_allowed\": [\"io.kage.rootfs.block\", \"io.kage.rootfs.fstype\", "
	      "\"io.kage.rootfs.options\"]}", &c, &err);
	CHECK(!err, "the rootfs annotations can be allowed: %s", err ? err->msg : "");
	err_free(&err);
	config__sandbox_defaults(&c, &s);
	CHECK(config__apply_annotations(&c, root, 3, &s, &err) == 0 && s.rootfs_block &&
		      !strcmp(s.rootfs_block, "/srv/img/root.ext4") &&
		      !strcmp(s.rootfs_fstype, "xfs") && !strcmp(s.rootfs_options, "noatime,nouuid"),
	      "once allowed they name the disk, its type and options");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err_free(&err);
		CHECK(config__apply_annotations(&c, bad[i], 1, &s, &err) < 0 &&
			      msg_has(err, bad[i][0].key),
		      "%s='%s' refused: %s", bad[i][0].key, bad[i][0].value, err ? err->msg : "");
	}
	err_free(&err);
	config__free(&c);
}

static void test_annotations(const char *log_path)
{
	struct kage_config c;
	struct sandbox_settings s;
	struct err *err = NULL;
	struct oci_kv ok[] = {
		{ "io.kage.vcpus", "2" }, { "io.kage.memory", "1024" }, { "other", "x" },
	};
	struct oci_kv forbidden[] = { { "io.kage.fs_cache", "none" }, { "io.kage.cpus", "3" } };
	struct oci_kv bad[][1] = {
		{ { "io.kage.vcpus", "0" } },	  { { "io.kage.vcpus", "3" } },
		{ { "io.kage.vcpus", "two" } },	  { { "io.kage.vcpus", "+2" } },
		{ { "io.kage.memory", "64" } },	  { { "io.kage.memory", "4097" } },
		{ { "io.kage.memory", "1024M" } }, { { "io.kage.memory", "" } },
	};
	FILE *f;
	char line[4096], all[8192] = "";

	parse("{\"max_vcpus\": 2, \"max_memory_mib\": 4096, \"kernel_params\": \"quiet\"}", &c,
	      &err);
	config__sandbox_defaults(&c, &s);
	CHECK(s.vcpus == 1 && s.memory_mib == 256 && s.fs_cache == CONFIG_FS_CACHE_AUTO &&
		      !strcmp(s.kernel_params, "quiet"),
	      "sandbox defaults come from the config");
	CHECK(config__apply_annotations(&c, ok, 3, &s, &err) == 0 && s.vcpus == 2 &&
		      s.memory_mib == 1024,
	      "allowed annotations override");
	CHECK(config__apply_annotations(&c, forbidden, 2, &s, &err) == 0 &&
		      s.fs_cache == CONFIG_FS_CACHE_AUTO,
	      "a forbidden annotation is ignored");
	fflush(NULL);
	f = fopen(log_path, "r");
	while (f && fgets(line, sizeof(line), f))
		strncat(all, line, sizeof(all) - strlen(all) - 1);
	if (f)
		fclose(f);
	CHECK(strstr(all, "io.kage.fs_cache is not in annotations_allowed") &&
		      strstr(all, "io.kage.cpus is not one kage knows"),
	      "with a warning each: %s", all);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err_free(&err);
		CHECK(config__apply_annotations(&c, bad[i], 1, &s, &err) < 0 &&
			      msg_has(err, bad[i][0].key),
		      "%s=%s refused: %s", bad[i][0].key, bad[i][0].value, err ? err->msg : "");
	}
	err_free(&err);
	config__free(&c);

	parse("{\"annotations_allowed\": [\"io.kage.fs_cache\"]}", &c, &err);
	config__sandbox_defaults(&c, &s);
	CHECK(config__apply_annotations(&c, forbidden, 1, &s, &err) == 0 &&
		      s.fs_cache == CONFIG_FS_CACHE_NONE,
	      "fs_cache once allowed");
	CHECK(config__apply_annotations(&c, ok, 2, &s, &err) == 0 && s.vcpus == 1 &&
		      s.memory_mib == 256,
	      "vcpus and memory no longer allowed: defaults stay");
	config__free(&c);
	test_rootfs_annotations();
}

static void test_resources(void)
{
	struct kage_config c;
	struct sandbox_settings s;
	struct oci_resources r;
	struct err *err = NULL;
	struct oci_kv ann[] = { { "io.kage.vcpus", "1" } };
	unsigned int n = 0;

	parse("{\"max_vcpus\": 8, \"max_memory_mib\": 4096}", &c, &err);
	memset(&r, 0, sizeof(r));
	r.has_mem_limit = true;
	r.mem_limit = (512ll << 20) + 1;
	r.has_cpu_quota = r.has_cpu_period = true;
	r.cpu_quota = 150000;
	r.cpu_period = 100000;
	CHECK(config__sandbox(&c, &r, NULL, 0, &s, &err) == 0 && s.memory_mib == 513 &&
		      s.vcpus == 2,
	      "memory rounded up to MiB, quota/period rounded up to vCPUs");
	r.mem_limit = 16 << 20;
	r.has_cpu_period = false;
	r.cpu_quota = 50000;
	CHECK(config__sandbox(&c, &r, NULL, 0, &s, &err) == 0 && s.memory_mib == 128 &&
		      s.vcpus == 1,
	      "a small limit gets the 128 MiB floor; a quota alone uses the 100ms period");
	r.mem_limit = 64ll << 30;
	r.cpu_quota = 5000000;
	CHECK(config__sandbox(&c, &r, NULL, 0, &s, &err) == 0 && s.memory_mib == 4096 &&
		      s.vcpus == 8,
	      "limits above the maxima are lowered to them");
	r.mem_limit = -1;
	r.has_cpu_quota = false;
	r.cpu_cpus = "0-3,6,3";
	CHECK(config__sandbox(&c, &r, NULL, 0, &s, &err) == 0 && s.memory_mib == 256 &&
		      s.vcpus == 5,
	      "unlimited memory keeps the default; cpuset counted once per CPU");
	CHECK(config__sandbox(&c, &r, ann, 1, &s, &err) == 0 && s.vcpus == 1,
	      "an annotation beats the resources");
	r.cpu_cpus = "0-";
	CHECK(config__sandbox(&c, &r, NULL, 0, &s, &err) < 0 &&
		      msg_has(err, "linux.resources.cpu.cpus"),
	      "a malformed cpuset is an error: %s", err ? err->msg : "");
	err_free(&err);
	CHECK(config__sandbox(&c, NULL, NULL, 0, &s, &err) == 0 && s.vcpus == 1 &&
		      s.memory_mib == 256,
	      "no resources: the defaults");
	config__free(&c);

	static const struct {
		const char *list;
		int ret;
		unsigned int n;
	} sets[] = {
		{ "0", 0, 1 },	    { "0-7", 0, 8 },   { "1,3,5", 0, 3 }, { "", 0, 0 },
		{ "3-1", -1, 0 },   { ",1", -1, 0 },   { "1,", -1, 0 },   { "1 ,2", -1, 0 },
		{ "99999", -1, 0 }, { "a-b", -1, 0 },  { "1--2", -1, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
		int ret = config__cpuset_count(sets[i].list, &n, &err);

		CHECK(ret == sets[i].ret && (ret < 0 || n == sets[i].n), "cpuset '%s'",
		      sets[i].list);
		err_free(&err);
	}
}

/* agent_timeout_s: the guest agent's deadline, an integer of seconds in a sane range. */
static void test_agent_timeout(void)
{
	struct kage_config c = { 0 };
	struct err *err = NULL;

	CHECK(parse("{}", &c, &err) == 0 && c.agent_timeout_s == 10, "agent_timeout_s: 10 by default");
	config__free(&c);
	CHECK(parse("{\"agent_timeout_s\": 30}", &c, &err) == 0 && c.agent_timeout_s == 30 &&
		      c.from_file[CONFIG_AGENT_TIMEOUT_S],
	      "agent_timeout_s: 30 read");
	config__free(&c);
	CHECK(parse("{\"agent_timeout_s\": 1}", &c, &err) < 0 &&
		      msg_has(err, "agent_timeout_s must be between 2 and 600, not 1"),
	      "agent_timeout_s: 1 refused: %s", err ? err->msg : "");
	config__free(&c);
	CHECK(parse("{\"agent_timeout_s\": 601}", &c, &err) < 0 &&
		      msg_has(err, "agent_timeout_s must be between 2 and 600"),
	      "agent_timeout_s: 601 refused");
	config__free(&c);
	CHECK(parse("{\"agent_timeout_s\": \"5\"}", &c, &err) < 0 &&
		      msg_has(err, "agent_timeout_s must be an integer, not a string"),
	      "agent_timeout_s: a string refused: %s", err ? err->msg : "");
	config__free(&c);
	CHECK(parse("{\"agent_timeout_s\": 2.5}", &c, &err) < 0 &&
		      msg_has(err, "agent_timeout_s must be an integer"),
	      "agent_timeout_s: a fraction refused");
	config__free(&c);
	err_free(&err);
}

int main(void)
{
	char log_path[600];
	struct err *err = NULL;

	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return 1;
	}
	snprintf(log_path, sizeof(log_path), "%s/log", dir);
	CHECK(log__init(log_path, LOG_TEXT, LOG_INFO, &err) == 0, "log to a file");
	test_defaults();
	test_parse();
	test_chain();
	test_json();
	test_share_policy();
	test_annotations(log_path);
	test_resources();
	test_agent_timeout();
	/* rm -r of the few files made above */
	const char *names[] = { "opt.json", "env.json", "sys.json", "bad.json", "log" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char p[700];

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	return tap_done();
}
