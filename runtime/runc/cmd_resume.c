/* `kage resume`: restart a paused container's vCPUs. */
#include <stdio.h>

#include "../cli/cli.h"
#include "../container/lifecycle.h"

int cmd_resume(const struct globals *g, int argc, char **argv, struct err **err)
{
	if (cli__wants_help(argc, argv)) {
		printf("Usage: kage resume CONTAINER_ID\n\nRestart the vCPUs of a paused "
		       "container's microVM.\n");
		return 0;
	}
	if (argc != 2)
		return err_msg(err, "resume: want exactly one container id");
	return lifecycle__pause(g, argv[1], false, err) < 0 ? -1 : 0;
}
