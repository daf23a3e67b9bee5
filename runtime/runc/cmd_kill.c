/* `kage kill`: send a signal to the container's process (or, with --all, every process). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "../cli/cli.h"
#include "../container/lifecycle.h"

int cmd_kill(const struct globals *g, int argc, char **argv, struct err **err)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool all = false;
	int c, sig = SIGTERM;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
		if (c == 'a') {
			all = true;
		} else if (c == 'h') {
			printf("Usage: kage kill [--all] CONTAINER_ID [SIGNAL]\n\n"
			       "Send SIGNAL (a name or number, default TERM) to the container's "
			       "process\nin its microVM; --all: to every process kage started "
			       "there.\n");
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
