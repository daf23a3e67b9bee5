/* `kage delete`: remove a stopped container (or, with --force, any). */
#include <getopt.h>
#include <stdio.h>

#include "../../lib/cleanup.h"
#include "../cli/cli.h"
#include "../container/lifecycle.h"

static const struct cli_opt opts[] = {
	{ "force", 'f', NULL, 'f', "kill a container that still runs, then delete it" },
};

const struct cli_cmd cmd_delete_usage = {
	"delete", "delete [--force] CONTAINER_ID",
	"Delete a container's state; its microVM must have stopped, or\n--force kills it first.",
	opts, ARRAY_SIZE(opts), CLI_OPERAND_CONTAINER,
};

int cmd_delete(const struct globals *g, int argc, char **argv, struct err **err)
{
	struct cli_getopt go;
	bool force = false;
	int c;

	cli_getopt__init(&go, &cmd_delete_usage, ARRAY_SIZE(opts), "");
	opterr = 0;
	while ((c = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		if (c == 'f') {
			force = true;
		} else if (c == 'h') {
			cli_cmd__usage(&cmd_delete_usage, stdout);
			return 0;
		} else {
			return err_msg(err, "delete: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return err_msg(err, "delete: want exactly one container id");
	return lifecycle__delete(g, argv[optind], force, err) < 0 ? -1 : 0;
}
