/*
 * The container's cgroup and user namespace inside the guest, as create's "cgroup",
 * "uid_map" and "gid_map" (docs/agent-protocol.md). The host's cgroup holds the whole VM
 * (cgroup.c); this one holds the container's processes within it, with the spec's limits in
 * cgroup v2 files as runc writes them.
 */
#include <inttypes.h>
#include <stdio.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "sizing.h"
#include "plan.h"
#include "../oci/spec.h"

static void put(struct json_object *o, const char *file, const char *value)
{
	json_object_object_add(o, file, json_object_new_string(value));
}

static void put_i64(struct json_object *o, const char *file, int64_t v)
{
	char buf[32];

	if (v < 0) {
		put(o, file, "max");
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	put(o, file, buf);
}

/* runc's cpu.shares (2..262144) to cpu.weight (1..10000). */
static uint64_t shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

/*
 * The VM has one vCPU per CPU of the spec's cpuset (runtime/oci/settings.c sizes it so, capped at
 * max_vcpus): those vCPUs stand for the spec's CPUs, so the guest's cpuset is all of them.
 * The guest has one memory node.
 */
static void cpuset(struct json_object *o, const struct oci_resources *r, unsigned int vcpus)
{
	_cleanup_err_ struct err *err = NULL;
	unsigned int n = 0;
	char buf[32];

	/* (a list that does not parse was refused when the VM was sized) */
	if (r->cpu_cpus && *r->cpu_cpus && config__cpuset_count(r->cpu_cpus, &n, &err) == 0) {
		if (n > vcpus || !n)
			n = vcpus;
		snprintf(buf, sizeof(buf), n > 1 ? "0-%u" : "0", n - 1);
		put(o, "cpuset.cpus", buf);
	}
	if (r->cpu_mems && *r->cpu_mems)
		put(o, "cpuset.mems", "0");
}

struct json_object *oci_guest__cgroup(const struct oci_spec *s, unsigned int vcpus)
{
	const struct oci_resources *r = &s->linux_.resources;
	struct json_object *o = json_object_new_object();
	char buf[64];

	if (!s->has_linux || !s->linux_.has_resources)
		return o;
	if (r->has_mem_limit && r->mem_limit != 0)
		put_i64(o, "memory.max", r->mem_limit);
	if (r->has_mem_reservation && r->mem_reservation != 0)
		put_i64(o, "memory.low", r->mem_reservation);
	if (r->has_cpu_shares && r->cpu_shares)
		put_i64(o, "cpu.weight", (int64_t)shares_to_weight(r->cpu_shares));
	if (r->has_cpu_quota && r->cpu_quota != 0) {
		uint64_t period = r->has_cpu_period && r->cpu_period ? r->cpu_period : 100000;

		if (r->cpu_quota < 0)
			snprintf(buf, sizeof(buf), "max %" PRIu64, period);
		else
			snprintf(buf, sizeof(buf), "%" PRId64 " %" PRIu64, r->cpu_quota, period);
		put(o, "cpu.max", buf);
	}
	cpuset(o, r, vcpus ? vcpus : 1);
	if (r->has_pids_limit)
		put_i64(o, "pids.max", r->pids_limit > 0 ? r->pids_limit : -1);
	/* Last, as runc does: a unified key says exactly what the file gets. */
	for (size_t i = 0; i < r->n_unified; i++)
		put(o, r->unified[i].key, r->unified[i].value);
	return o;
}

static struct json_object *id_map(const struct oci_id_mapping *m, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "container_id", json_object_new_int64(m[i].container_id));
		json_object_object_add(e, "host_id", json_object_new_int64(m[i].host_id));
		json_object_object_add(e, "size", json_object_new_int64(m[i].size));
		json_object_array_add(a, e);
	}
	return a;
}

void oci_guest__user_namespace(struct json_object *req, const struct oci_spec *s)
{
	const struct oci_linux *l = &s->linux_;

	if (!oci_guest__has_userns(s))
		return;
	json_object_object_add(req, "uid_map", id_map(l->uid_mappings, l->n_uid_mappings));
	json_object_object_add(req, "gid_map", id_map(l->gid_mappings, l->n_gid_mappings));
}

bool oci_guest__has_userns(const struct oci_spec *s)
{
	for (size_t i = 0; s->has_linux && i < s->linux_.n_namespaces; i++)
		if (s->linux_.namespaces[i].type == OCI_NS_USER)
			return true;
	return false;
}

int oci_guest__check_user(const struct oci_spec *s, struct err **err)
{
	const struct oci_linux *l = &s->linux_;
	bool userns = oci_guest__has_userns(s);

	if (!s->has_linux)
		return 0;
	if (!userns && (l->n_uid_mappings || l->n_gid_mappings))
		return err_msg(err, "config.json: linux.%s: mappings need a user namespace in "
			       "linux.namespaces", l->n_uid_mappings ? "uidMappings" : "gidMappings");
	if (userns && (!l->n_uid_mappings || !l->n_gid_mappings))
		return err_msg(err, "config.json: linux.%s: a user namespace needs its mappings",
			       !l->n_uid_mappings ? "uidMappings" : "gidMappings");
	/* The kernel takes at most 340 lines in a map. */
	if (l->n_uid_mappings > 340 || l->n_gid_mappings > 340)
		return err_msg(err, "config.json: linux.%s: more than 340 mappings",
			       l->n_uid_mappings > 340 ? "uidMappings" : "gidMappings");
	return 0;
}

/* The devices runc lets every container use, after the spec's rules (runc appends them). */
static const struct oci_device_rule default_allowed[] = {
	{ true, 'c', -1, -1, "m" },    { true, 'b', -1, -1, "m" },   { true, 'c', 1, 3, "rwm" },
	{ true, 'c', 1, 5, "rwm" },    { true, 'c', 1, 7, "rwm" },   { true, 'c', 1, 8, "rwm" },
	{ true, 'c', 1, 9, "rwm" },    { true, 'c', 5, 0, "rwm" },   { true, 'c', 5, 2, "rwm" },
	{ true, 'c', 136, -1, "rwm" }, { true, 'c', 10, 200, "rwm" },
};

static void add_rule(struct json_object *a, const struct oci_device_rule *r, char type,
		     int64_t major, int64_t minor)
{
	struct json_object *o = json_object_new_object();
	char t[2] = { type, 0 };

	json_object_object_add(o, "allow", json_object_new_boolean(r->allow));
	json_object_object_add(o, "type", json_object_new_string(t));
	json_object_object_add(o, "major", json_object_new_int64(major));
	json_object_object_add(o, "minor", json_object_new_int64(minor));
	json_object_object_add(o, "access", json_object_new_string(r->access));
	json_object_array_add(a, o);
}

/*
 * A rule naming one block device that the VM got as a disk names the guest's number for it
 * (what the container opens); 0 and the rule's own numbers otherwise.
 */
static int guest_number(int ctl, const struct oci_spec *s, const struct vm_plan *o,
			const struct oci_device_rule *r, int64_t *major, int64_t *minor,
			struct err **err)
{
	*major = r->major;
	*minor = r->minor;
	if ((r->type != 'b' && r->type != 'a') || r->major < 0 || r->minor < 0)
		return 0;
	for (size_t i = 0; i < s->linux_.n_devices; i++) {
		const struct oci_device *d = &s->linux_.devices[i];

		if (d->type == 'b' && d->major == r->major && d->minor == r->minor)
			return oci_guest__device_number(ctl, o, i, major, minor, err);
	}
	return 0;
}

int oci_guest__device_rules(int ctl, const struct oci_spec *s, const struct vm_plan *o,
			    struct json_object **out, struct err **err)
{
	const struct oci_resources *r = &s->linux_.resources;
	struct json_object *a;

	*out = NULL;
	if (!s->has_linux || !s->linux_.has_resources || !r->n_devices)
		return 0;
	a = json_object_new_array();
	for (size_t i = 0; i < r->n_devices; i++) {
		int64_t major, minor;
		int ret = guest_number(ctl, s, o, &r->devices[i], &major, &minor, err);

		if (ret < 0) {
			json_object_put(a);
			return err_prefix(err, "linux.resources.devices[%zu]", i);
		}
		add_rule(a, &r->devices[i], ret ? 'b' : r->devices[i].type, major, minor);
	}
	for (size_t i = 0; i < ARRAY_SIZE(default_allowed); i++)
		add_rule(a, &default_allowed[i], default_allowed[i].type, default_allowed[i].major,
			 default_allowed[i].minor);
	*out = a;
	return 0;
}
