/* `kage delete`: remove a stopped container (or, with --force, any). */
#include <getopt.h>
#include <stdio.h>

#include "../cli/cli.h"
#include "../container/lifecycle.h"

int cmd_delete(const struct globals *g, int argc, char **argv, struct err **err)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		if (c == 'f') {
			force = true;
		} else if (c == 'h') {
			printf("Usage: kage delete [--force] CONTAINER_ID\n\n"
			       "Delete a container's state; its microVM must have stopped, or\n"
			       "--force kills it first.\n");
			return 0;
		} else {
			return err_msg(err, "delete: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return err_msg(err, "delete: want exactly one container id");
	return lifecycle__delete(g, argv[optind], force, err) < 0 ? -1 : 0;
}
