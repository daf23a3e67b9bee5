/*
 * What the agent gets for the container's cgroup and user namespace inside the guest: the
 * spec's linux.resources as cgroup v2 files (runc's conversions), `unified` keys checked,
 * mappings and the user namespace refused without each other. (The agent's checks of these
 * create members are fuzzed: tests/fuzz/fuzz_agent_req.c.)
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "runtime/plan/plan.h"
#include "runtime/oci/spec.h"
#include "tests/unit/tap.h"

static struct oci_spec *spec(const char *linux_json, struct err **err)
{
	char text[4096];
	struct oci_spec *s = NULL;

	snprintf(text, sizeof(text),
		 "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
		 "\"root\":{\"path\":\"rootfs\"},\"linux\":%s}", linux_json);
	if (oci_spec__parse(text, strlen(text), &s, err) < 0)
		return NULL;
	return s;
}

static const char *file(struct json_object *o, const char *name)
{
	struct json_object *v;

	return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : "(none)";
}

static void test_files(void)
{
	struct err *err = NULL;
	struct oci_spec *s = spec(
		"{\"resources\":{\"pids\":{\"limit\":12},\"cpu\":{\"shares\":1024,\"quota\":50000,"
		"\"period\":100000,\"cpus\":\"2-3\",\"mems\":\"0\"},\"memory\":{\"limit\":1048576,"
		"\"reservation\":524288},\"unified\":{\"memory.high\":\"900000\",\"pids.max\":\"7\"}}}",
		&err);
	struct json_object *o;

	CHECK(s, "a spec with resources parses (%s)", err ? err->msg : "");
	if (!s)
		return;
	o = oci_guest__cgroup(s, 2);
	CHECK(!strcmp(file(o, "cpu.weight"), "39"), "shares 1024 is cpu.weight 39 (runc's: %s)",
	      file(o, "cpu.weight"));
	CHECK(!strcmp(file(o, "cpu.max"), "50000 100000"), "quota and period: cpu.max '%s'",
	      file(o, "cpu.max"));
	CHECK(!strcmp(file(o, "cpuset.cpus"), "0-1") && !strcmp(file(o, "cpuset.mems"), "0"),
	      "cpus 2-3 on a VM of 2 vCPUs is the guest's 0-1 ('%s'), mems its one node",
	      file(o, "cpuset.cpus"));
	CHECK(!strcmp(file(o, "memory.max"), "1048576") && !strcmp(file(o, "memory.low"), "524288"),
	      "memory limit and reservation: memory.max and memory.low");
	CHECK(!strcmp(file(o, "pids.max"), "7") && !strcmp(file(o, "memory.high"), "900000"),
	      "unified keys come last and win (pids.max %s)", file(o, "pids.max"));
	json_object_put(o);
	oci_spec__free(s);

	s = spec("{\"resources\":{\"pids\":{\"limit\":-1},\"memory\":{\"limit\":-1}}}", &err);
	o = s ? oci_guest__cgroup(s, 1) : NULL;
	CHECK(o && !strcmp(file(o, "pids.max"), "max") && !strcmp(file(o, "memory.max"), "max"),
	      "-1 is max");
	json_object_put(o);
	oci_spec__free(s);
	s = spec("{}", &err);
	o = s ? oci_guest__cgroup(s, 1) : NULL;
	CHECK(o && json_object_object_length(o) == 0, "no resources: a cgroup with no files");
	json_object_put(o);
	oci_spec__free(s);

	static const char *const bad[] = { "../pids.max", "pids", "cgroup.procs", "Pids.max",
					   "memory.max/x", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char j[256];

		snprintf(j, sizeof(j), "{\"resources\":{\"unified\":{\"%s\":\"1\"}}}", bad[i]);
		s = spec(j, &err);
		CHECK(!s && err && strstr(err->msg, "unified"), "unified key '%s' refused: %s",
		      bad[i], err ? err->msg : "accepted");
		err_free(&err);
		oci_spec__free(s);
	}
}

static void test_user(void)
{
	struct err *err = NULL;
	struct oci_spec *s;
	struct json_object *req;

	s = spec("{\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}]}", &err);
	CHECK(s && oci_guest__check_user(s, &err) < 0 && strstr(err->msg, "linux.uidMappings"),
	      "mappings without a user namespace: refused naming the field (%s)",
	      err ? err->msg : "");
	err_free(&err);
	oci_spec__free(s);
	s = spec("{\"namespaces\":[{\"type\":\"user\"}],"
		 "\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}]}", &err);
	CHECK(s && oci_guest__check_user(s, &err) < 0 && strstr(err->msg, "linux.gidMappings"),
	      "a user namespace without gid mappings: refused (%s)", err ? err->msg : "");
	err_free(&err);
	oci_spec__free(s);
	s = spec("{\"namespaces\":[{\"type\":\"user\"}],"
		 "\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}],"
		 "\"gidMappings\":[{\"containerID\":0,\"hostID\":2000,\"size\":10}]}", &err);
	req = json_object_new_object();
	if (s)
		oci_guest__user_namespace(req, s);
	CHECK(s && oci_guest__check_user(s, &err) == 0 &&
		      !strcmp(json_object_to_json_string_ext(json_object_object_get(req, "gid_map"),
							     JSON_C_TO_STRING_PLAIN),
			      "[{\"container_id\":0,\"host_id\":2000,\"size\":10}]"),
	      "a user namespace with both: its maps for the agent");
	json_object_put(req);
	oci_spec__free(s);
}

int main(void)
{
	test_files();
	test_user();
	return tap_done();
}
