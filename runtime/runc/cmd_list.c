/* `kage list`: the containers under --root, as a table or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../cli/cli.h"
#include "../container/state.h"

static const struct cli_opt opts[] = {
	{ "format", 'f', "FMT", 'f', "table (default) or json" },
	{ "quiet", 'q', NULL, 'q', "print the container ids only" },
};

const struct cli_cmd cmd_list_usage = {
	"list", "list [--format table|json] [--quiet]",
	"List the containers and their status.",
	opts, ARRAY_SIZE(opts), CLI_OPERAND_OTHER,
};

int cmd_list(const struct globals *g, int argc, char **argv, struct err **err)
{
	struct cli_getopt go;
	bool json = false, quiet = false;
	char **ids = NULL;
	int c;

	cli_getopt__init(&go, &cmd_list_usage, ARRAY_SIZE(opts), "");
	opterr = 0;
	while ((c = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table"))) {
			json = !strcmp(optarg, "json");
		} else if (c == 'q') {
			quiet = true;
		} else if (c == 'h') {
			cli_cmd__usage(&cmd_list_usage, stdout);
			return 0;
		} else {
			return err_msg(err, "list: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return err_msg(err, "list: unexpected argument '%s'", argv[optind]);
	if (container__list(g->root, &ids, err) < 0) {
		container__free_ids(ids);
		return -1;
	}
	struct json_object *arr = json_object_new_array();

	if (!json && !quiet)
		printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (size_t i = 0; ids[i]; i++) {
		_cleanup_container_ struct container *ct = NULL;

		/* One that goes away meanwhile is simply not listed. */
		if (container__read(g->root, ids[i], &ct, NULL) < 0 || !ct->created)
			continue;
		struct json_object *st = container__state_json(ct);

		if (json) {
			json_object_array_add(arr, st);
			continue;
		}
		if (quiet)
			printf("%s\n", ct->id);
		else
			printf("%-20s %-8d %-10s %-40s %-30s %s\n", ct->id,
			       json_object_get_int(json_object_object_get(st, "pid")),
			       json_object_get_string(json_object_object_get(st, "status")),
			       ct->bundle, ct->created, "root");
		json_object_put(st);
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	container__free_ids(ids);
	return 0;
}
