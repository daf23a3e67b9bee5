/* `kage start`: let a created container's process exec. */
#include <stdio.h>

#include "../cli/cli.h"
#include "../container/lifecycle.h"

int cmd_start(const struct globals *g, int argc, char **argv, struct err **err)
{
	if (cli__wants_help(argc, argv)) {
		printf("Usage: kage start CONTAINER_ID\n\nStart the process of a created "
		       "container.\n");
		return 0;
	}
	if (argc != 2)
		return err_msg(err, "start: want exactly one container id");
	return lifecycle__start(g, argv[1], err) < 0 ? -1 : 0;
}
