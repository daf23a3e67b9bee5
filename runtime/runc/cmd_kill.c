/* `kage kill`: send a signal to the container's process (or, with --all, every process). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "../../lib/cleanup.h"
#include "../cli/cli.h"
#include "../container/lifecycle.h"

static const struct cli_opt opts[] = {
	{ "all", 'a', NULL, 'a', "signal every process kage started in the microVM" },
};

const struct cli_cmd cmd_kill_usage = {
	"kill", "kill [--all] CONTAINER_ID [SIGNAL]",
	"Send SIGNAL (a name or number, default TERM) to the container's process\n"
	"in its microVM; --all: to every process kage started there.",
	opts, ARRAY_SIZE(opts), CLI_OPERAND_CONTAINER,
};

int cmd_kill(const struct globals *g, int argc, char **argv, struct err **err)
{
	struct cli_getopt go;
	bool all = false;
	int c, sig = SIGTERM;

	cli_getopt__init(&go, &cmd_kill_usage, ARRAY_SIZE(opts), "");
	opterr = 0;
	while ((c = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		if (c == 'a') {
			all = true;
		} else if (c == 'h') {
			cli_cmd__usage(&cmd_kill_usage, stdout);
			return 0;
		} else {
			return err_msg(err, "kill: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc || argc - optind > 2)
		return err_msg(err, "kill: want CONTAINER_ID [SIGNAL]");
	if (argc - optind == 2 && (sig = lifecycle__parse_signal(argv[optind + 1], err)) < 0)
		return -1;
	return lifecycle__kill(g, argv[optind], sig, all, err) < 0 ? -1 : 0;
}
