/* `kage exec`: another process in a running container (runtime/container/exec.c runs it). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/cleanup.h"
#include "../cli/cli.h"
#include "../container/lifecycle.h"

static void usage(void)
{
	printf("Usage: kage exec [options] CONTAINER_ID [COMMAND [ARGS...]]\n\n"
	       "Run a process in a running container's microVM.\n\n"
	       "  -p, --process FILE      the process as OCI JSON (instead of COMMAND)\n"
	       "  -d, --detach            return once it runs; a child process stands for it\n"
	       "      --pid-file FILE     write the pid standing for the process here\n"
	       "      --console-socket S  send its terminal's master fd to Unix socket S\n"
	       "  -t, --tty               give it a terminal\n"
	       "      --cwd DIR           its working directory\n"
	       "  -e, --env K=V           add to its environment\n"
	       "  -u, --user UID[:GID]    run it as this user\n");
}

static int parse(int argc, char **argv, struct exec_opts *eo, struct err **err)
{
	enum { OPT_PID = 256, OPT_CONSOLE, OPT_CWD, OPT_IGNORED_ARG, OPT_IGNORED };
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, OPT_PID },
		{ "console-socket", required_argument, NULL, OPT_CONSOLE },
		{ "tty", no_argument, NULL, 't' },
		{ "cwd", required_argument, NULL, OPT_CWD },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "preserve-fds", required_argument, NULL, OPT_IGNORED_ARG },
		{ "process-label", required_argument, NULL, OPT_IGNORED_ARG },
		{ "apparmor", required_argument, NULL, OPT_IGNORED_ARG },
		{ "no-new-privs", no_argument, NULL, OPT_IGNORED },
		{ "ignore-paused", no_argument, NULL, OPT_IGNORED },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:dte:u:h", opts, NULL)) != -1) {
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
			usage();
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
