/* Capability sets of a created process (see caps.h). */
#include "caps.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/capability.h>

#include "../../../lib/err.h"

#define CAP_NUMBER_MAX 63

static const char *const set_names[CAP_NSETS] = {
	[CAP_BOUNDING] = "bounding",	   [CAP_EFFECTIVE] = "effective",
	[CAP_INHERITABLE] = "inheritable", [CAP_PERMITTED] = "permitted",
	[CAP_AMBIENT] = "ambient",
};

static int parse_set(struct json_object *caps, int i, uint64_t *out, struct err **err)
{
	struct json_object *v;

	*out = 0;
	if (!json_object_object_get_ex(caps, set_names[i], &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > 64)
		return err_msg(err, "capabilities '%s' must be an array of capability numbers",
			       set_names[i]);
	for (size_t j = 0; j < json_object_array_length(v); j++) {
		struct json_object *n = json_object_array_get_idx(v, j);
		int64_t x = json_object_get_int64(n);

		if (!json_object_is_type(n, json_type_int) || x < 0 || x > CAP_NUMBER_MAX)
			return err_msg(err, "capabilities '%s' item %zu is not a number in 0..%d",
				       set_names[i], j, CAP_NUMBER_MAX);
		*out |= 1ULL << x;
	}
	return 0;
}

int caps__parse(struct json_object *req, struct caps *c, struct err **err)
{
	struct json_object *v;

	memset(c, 0, sizeof(*c));
	if (!json_object_object_get_ex(req, "capabilities", &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return err_msg(err, "'capabilities' must be an object of capability sets");
	json_object_object_foreach(v, key, val) {
		int i = 0;

		(void)val;
		while (i < CAP_NSETS && strcmp(key, set_names[i]))
			i++;
		if (i == CAP_NSETS)
			return err_msg(err, "unknown capability set '%s' (bounding, effective, "
					    "inheritable, permitted or ambient)", key);
	}
	for (int i = 0; i < CAP_NSETS; i++)
		if (parse_set(v, i, &c->set[i], err) < 0)
			return -1;
	c->given = true;
	return 0;
}

/*
 * 1 when cap is in the bounding set, 0 when not, -1 past the last capability the kernel
 * knows: numbers above it are skipped, as runc skips capability names it does not know.
 */
static int in_bounding(int cap)
{
	return cap > CAP_NUMBER_MAX ? -1 : prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
}

int caps__before_setuid(const struct caps *c, struct err **err)
{
	int in;

	if (!c->given)
		return 0;
	/* only what is there is dropped: dropping needs CAP_SETPCAP even when a no-op */
	for (int cap = 0; (in = in_bounding(cap)) >= 0; cap++)
		if (in && !(c->set[CAP_BOUNDING] & (1ULL << cap)) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return err_errno(err, "drop capability %d from the bounding set", cap);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_errno(err, "PR_SET_KEEPCAPS");
	return 0;
}

int caps__after_setuid(const struct caps *c, struct err **err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (!c->given)
		return 0;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return err_errno(err, "PR_SET_KEEPCAPS");
	for (int i = 0; i < 2; i++) {
		data[i].effective = c->set[CAP_EFFECTIVE] >> (32 * i);
		data[i].permitted = c->set[CAP_PERMITTED] >> (32 * i);
		data[i].inheritable = c->set[CAP_INHERITABLE] >> (32 * i);
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return err_errno(err, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return err_errno(err, "clear the ambient capabilities");
	/* The kernel raises only what is both permitted and inheritable. As runc (which warns),
	 * an ambient capability it refuses is left out: `runc spec` lists three ambient ones
	 * and no inheritable set, and such specs must run. */
	for (int cap = 0; in_bounding(cap) >= 0; cap++)
		if ((c->set[CAP_AMBIENT] & (1ULL << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EPERM)
			return err_errno(err, "raise ambient capability %d", cap);
	return 0;
}
