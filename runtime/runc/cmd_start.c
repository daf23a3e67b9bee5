/* `kage start`: let a created container's process exec. */
#include <stdio.h>

#include "../cli/cli.h"
#include "../container/lifecycle.h"

const struct cli_cmd cmd_start_usage = {
	"start", "start CONTAINER_ID", "Start the process of a created container.",
	NULL, 0, CLI_OPERAND_CONTAINER,
};

int cmd_start(const struct globals *g, int argc, char **argv, struct err **err)
{
	if (cli__wants_help(argc, argv)) {
		cli_cmd__usage(&cmd_start_usage, stdout);
		return 0;
	}
	if (argc != 2)
		return err_msg(err, "start: want exactly one container id");
	return lifecycle__start(g, argv[1], err) < 0 ? -1 : 0;
}
