/* `kage create`: boot the container's microVM and hold its process until `kage start`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/cleanup.h"
#include "../cli/cli.h"
#include "../container/lifecycle.h"
#include "../machine/vm_plan.h"

enum { OPT_PID = 256, OPT_CONSOLE, OPT_NOPIVOT, OPT_NOKEYRING, OPT_PRESERVE, OPT_KEEP };

#define CREATE_OPTS \
	{ "bundle", 'b', "DIR", 'b', "the bundle (default: the current directory)" }, \
	{ "pid-file", 0, "FILE", OPT_PID, "write the sandbox's pid here" }, \
	{ "console-socket", 0, "S", OPT_CONSOLE, \
	  "send the terminal's master fd to Unix socket S" }, \
	{ "no-pivot", 0, NULL, OPT_NOPIVOT, NULL }, \
	{ "no-new-keyring", 0, NULL, OPT_NOKEYRING, NULL }, \
	{ "preserve-fds", 0, "N", OPT_PRESERVE, NULL }, \
	{ "keep", 0, NULL, OPT_KEEP, NULL }

static const struct cli_opt create_opts[] = { CREATE_OPTS };

const struct cli_cmd cmd_create_usage = {
	"create", "create [options] CONTAINER_ID",
	"Create a container from an OCI bundle: its microVM boots, the guest mounts the\n"
	"rootfs and the spec's mounts, and the process is held before exec until start.\n"
	"The pid written to --pid-file stands for the workload until it ends.",
	create_opts, ARRAY_SIZE(create_opts), CLI_OPERAND_OTHER,
};

/* run takes create's options and --detach (cmd_run.c runs it). */
static const struct cli_opt run_opts[] = {
	CREATE_OPTS,
	{ "detach", 'd', NULL, 'd', "return once the container runs (no waiting for it)" },
};

const struct cli_cmd cmd_run_usage = {
	"run", "run [options] CONTAINER_ID",
	"Create a container from an OCI bundle and start it, as create then start do, then\n"
	"wait for its process and exit with its status; the container's state goes with it.",
	run_opts, ARRAY_SIZE(run_opts), CLI_OPERAND_OTHER,
};

int cmd_create__parse(int argc, char **argv, struct create_opts *co, bool *detach,
		      struct err **err)
{
	const struct cli_cmd *cmd = detach ? &cmd_run_usage : &cmd_create_usage;
	struct cli_getopt go;
	int c;

	cli_getopt__init(&go, cmd, cmd->n_opts, "");
	opterr = 0;
	while ((c = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			co->bundle = optarg;
			break;
		case OPT_PID:
			co->pid_file = optarg;
			break;
		case OPT_CONSOLE:
			co->console_socket = optarg;
			break;
		case OPT_NOPIVOT:
		case OPT_NOKEYRING:
		case OPT_PRESERVE:
		case OPT_KEEP:
			break;
		case 'd':
			*detach = true;
			break;
		case 'h':
			cli_cmd__usage(cmd, stdout);
			return -2;
		default:
			return err_msg(err, "%s: unknown option '%s' (see kage %s --help)", argv[0],
				       argv[optind - 1], argv[0]);
		}
	}
	if (optind != argc - 1)
		return err_msg(err, "%s: want exactly one container id (kage %s [options] ID)",
			       argv[0], argv[0]);
	co->id = argv[optind];
	vm_plan__embedded_images(&co->base);
	return optind;
}

int cmd_create(const struct globals *g, int argc, char **argv, struct err **err)
{
	struct create_opts co = { 0 };
	pid_t pid;
	int ret = cmd_create__parse(argc, argv, &co, NULL, err);

	if (ret == -2)
		return 0;
	if (ret < 0)
		return -1;
	return lifecycle__create(g, &co, &pid, err) < 0 ? -1 : 0;
}
