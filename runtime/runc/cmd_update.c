/*
 * `kage update`: the container's resources are its microVM's size, fixed when it booted
 * (no memory or vCPU hotplug yet), so any change is refused with a clear error naming what
 * was asked; an update that changes nothing succeeds.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../cli/cli.h"
#include "../container/state.h"

#define RESOURCES_MAX (1 << 20)

static int read_resources(const char *path, struct json_object **out, struct err **err)
{
	_cleanup_fclose_ FILE *f = strcmp(path, "-") ? fopen(path, "re") : NULL;
	FILE *in = strcmp(path, "-") ? f : stdin;
	static char buf[RESOURCES_MAX + 1];
	size_t len;

	if (!in)
		return err_errno(err, "update: --resources %s", path);
	len = fread(buf, 1, RESOURCES_MAX + 1, in);
	if (len > RESOURCES_MAX)
		return err_msg(err, "update: --resources is larger than 1 MiB");
	buf[len] = 0;
	*out = json_tokener_parse(buf);
	if (!*out || !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		return err_msg(err, "update: --resources is not a JSON object");
	}
	return 0;
}

static const struct cli_opt opts[] = {
	{ "resources", 'r', "FILE", 'r', "the resources as OCI JSON (- for stdin)" },
};

const struct cli_cmd cmd_update_usage = {
	"update", "update --resources FILE|- CONTAINER_ID",
	"A microVM's memory and vCPUs are fixed when it boots: kage refuses a change\n"
	"to them (or to any other resource) and says which.",
	opts, ARRAY_SIZE(opts), CLI_OPERAND_CONTAINER,
};

int cmd_update(const struct globals *g, int argc, char **argv, struct err **err)
{
	struct cli_getopt go;
	_cleanup_container_ struct container *c = NULL;
	struct json_object *res = NULL;
	const char *path = NULL;
	char asked[512] = "";
	int opt;

	cli_getopt__init(&go, &cmd_update_usage, ARRAY_SIZE(opts), "");
	opterr = 0;
	while ((opt = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		if (opt == 'r') {
			path = optarg;
		} else if (opt == 'h') {
			cli_cmd__usage(&cmd_update_usage, stdout);
			return 0;
		} else {
			return err_msg(err, "update: option '%s' is not supported (use --resources)",
				       argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return err_msg(err, "update: want exactly one container id");
	if (container__load(g->root, argv[optind], &c, err) < 0)
		return -1;
	enum ctr_status st = container__status(c);

	if (st == CTR_STOPPED)
		return err_msg(err, "container not running");
	if (!path)
		return 0;
	if (read_resources(path, &res, err) < 0)
		return -1;
	json_object_object_foreach(res, key, val) {
		/* Empty sections (as containerd sends them) ask for nothing. */
		if (!val || (json_object_is_type(val, json_type_object) &&
			     !json_object_object_length(val)) ||
		    (json_object_is_type(val, json_type_array) && !json_object_array_length(val)))
			continue;
		size_t len = strlen(asked);

		snprintf(asked + len, sizeof(asked) - len, "%s%s", len ? ", " : "", key);
	}
	json_object_put(res);
	if (*asked)
		return err_msg(err, "update: kage cannot change the resources of a running microVM "
			       "(%s): its memory and vCPUs are fixed when it is created", asked);
	return 0;
}
