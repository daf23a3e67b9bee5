/* `kage resume`: restart a paused container's vCPUs. */
#include <stdio.h>

#include "../cli/cli.h"
#include "../container/lifecycle.h"

const struct cli_cmd cmd_resume_usage = {
	"resume", "resume CONTAINER_ID", "Restart the vCPUs of a paused container's microVM.",
	NULL, 0, CLI_OPERAND_CONTAINER,
};

int cmd_resume(const struct globals *g, int argc, char **argv, struct err **err)
{
	if (cli__wants_help(argc, argv)) {
		cli_cmd__usage(&cmd_resume_usage, stdout);
		return 0;
	}
	if (argc != 2)
		return err_msg(err, "resume: want exactly one container id");
	return lifecycle__pause(g, argv[1], false, err) < 0 ? -1 : 0;
}
