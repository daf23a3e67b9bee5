/* `kage pause`: stop the container's vCPUs; its processes keep their state. */
#include <stdio.h>

#include "../cli/cli.h"
#include "../container/lifecycle.h"

const struct cli_cmd cmd_pause_usage = {
	"pause", "pause CONTAINER_ID",
	"Stop the vCPUs of the container's microVM (kage resume restarts them).",
	NULL, 0, CLI_OPERAND_CONTAINER,
};

int cmd_pause(const struct globals *g, int argc, char **argv, struct err **err)
{
	if (cli__wants_help(argc, argv)) {
		cli_cmd__usage(&cmd_pause_usage, stdout);
		return 0;
	}
	if (argc != 2)
		return err_msg(err, "pause: want exactly one container id");
	return lifecycle__pause(g, argv[1], true, err) < 0 ? -1 : 0;
}
