/* `kage state`: the container's OCI state as JSON. */
#include <stdio.h>

#include <json-c/json.h>

#include "../cli/cli.h"
#include "../container/state.h"

const struct cli_cmd cmd_state_usage = {
	"state", "state CONTAINER_ID", "Print the container's state as JSON.",
	NULL, 0, CLI_OPERAND_CONTAINER,
};

int cmd_state(const struct globals *g, int argc, char **argv, struct err **err)
{
	_cleanup_container_ struct container *c = NULL;

	if (cli__wants_help(argc, argv)) {
		cli_cmd__usage(&cmd_state_usage, stdout);
		return 0;
	}
	if (argc != 2)
		return err_msg(err, "state: want exactly one container id");
	if (container__read(g->root, argv[1], &c, err) < 0)
		return -1;
	struct json_object *o = container__state_json(c);

	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_SPACED |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}
