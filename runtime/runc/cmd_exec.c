/* `kage exec`: another process in a running container (runtime/container/exec.c runs it). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/cleanup.h"
#include "../cli/cli.h"
#include "../container/lifecycle.h"

enum { OPT_PID = 256, OPT_CONSOLE, OPT_CWD, OPT_IGNORED_ARG, OPT_IGNORED };

static const struct cli_opt opts[] = {
	{ "process", 'p', "FILE", 'p', "the process as OCI JSON (instead of COMMAND)" },
	{ "detach", 'd', NULL, 'd', "return once it runs; a child process stands for it" },
	{ "pid-file", 0, "FILE", OPT_PID, "write the pid standing for the process here" },
	{ "console-socket", 0, "S", OPT_CONSOLE, "send its terminal's master fd to Unix socket S" },
	{ "tty", 't', NULL, 't', "give it a terminal" },
	{ "cwd", 0, "DIR", OPT_CWD, "its working directory" },
	{ "env", 'e', "K=V", 'e', "add to its environment" },
	{ "user", 'u', "UID[:GID]", 'u', "run it as this user" },
	{ "preserve-fds", 0, "N", OPT_IGNORED_ARG, NULL },
	{ "process-label", 0, "L", OPT_IGNORED_ARG, NULL },
	{ "apparmor", 0, "P", OPT_IGNORED_ARG, NULL },
	{ "no-new-privs", 0, NULL, OPT_IGNORED, NULL },
	{ "ignore-paused", 0, NULL, OPT_IGNORED, NULL },
};

const struct cli_cmd cmd_exec_usage = {
	"exec", "exec [options] CONTAINER_ID [COMMAND [ARGS...]]",
	"Run a process in a running container's microVM.",
	opts, ARRAY_SIZE(opts), CLI_OPERAND_CONTAINER,
};

static int parse(int argc, char **argv, struct exec_opts *eo, struct err **err)
{
	struct cli_getopt go;
	int c;

	cli_getopt__init(&go, &cmd_exec_usage, ARRAY_SIZE(opts), "+");
	opterr = 0;
	while ((c = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			eo->process_file = optarg;
			break;
		case 'd':
			eo->detach = true;
			break;
		case OPT_PID:
			eo->pid_file = optarg;
			break;
		case OPT_CONSOLE:
			eo->console_socket = optarg;
			break;
		case 't':
			eo->tty = true;
			break;
		case OPT_CWD:
			eo->cwd = optarg;
			break;
		case 'e':
			if (eo->n_env == EXEC_ENV_MAX || !strchr(optarg, '='))
				return err_msg(err, "exec: --env '%s' is not K=V (at most %d)", optarg,
					       EXEC_ENV_MAX);
			eo->env[eo->n_env++] = optarg;
			break;
		case 'u':
			eo->user = optarg;
			break;
		case OPT_IGNORED_ARG:
		case OPT_IGNORED:
			break;
		case 'h':
			cli_cmd__usage(&cmd_exec_usage, stdout);
			return 1;
		default:
			return err_msg(err, "exec: unknown option '%s' (see kage exec --help)",
				       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return err_msg(err, "exec: want a container id");
	eo->id = argv[optind++];
	eo->args = argv + optind;
	if (!eo->process_file && !*eo->args)
		return err_msg(err, "exec: want a command or --process FILE");
	return 0;
}

int cmd_exec(const struct globals *g, int argc, char **argv, struct err **err)
{
	struct exec_opts eo = { 0 };
	int ret = parse(argc, argv, &eo, err);

	if (ret != 0)
		return ret < 0 ? -1 : 0;
	return lifecycle__exec(g, &eo, err);
}
