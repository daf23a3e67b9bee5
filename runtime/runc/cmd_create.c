/* `kage create`: boot the container's microVM and hold its process until `kage start`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../cli/cli.h"
#include "../container/lifecycle.h"
#include "../machine/vm_plan.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kage create [options] CONTAINER_ID\n\n"
		"Create a container from an OCI bundle: its microVM boots, the guest mounts the\n"
		"rootfs and the spec's mounts, and the process is held before exec until start.\n"
		"The pid written to --pid-file stands for the workload until it ends.\n\n"
		"  -b, --bundle DIR        the bundle (default: the current directory)\n"
		"      --pid-file FILE     write the sandbox's pid here\n"
		"      --console-socket S  send the terminal's master fd to Unix socket S\n"
		"      --no-pivot, --no-new-keyring, --preserve-fds N\n"
		"                          accepted for runc compatibility\n");
}

int cmd_create__parse(int argc, char **argv, struct create_opts *co, bool *detach,
		      struct err **err)
{
	enum { OPT_PID = 256, OPT_CONSOLE, OPT_NOPIVOT, OPT_NOKEYRING, OPT_PRESERVE, OPT_KEEP };
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, OPT_PID },
		{ "console-socket", required_argument, NULL, OPT_CONSOLE },
		{ "no-pivot", no_argument, NULL, OPT_NOPIVOT },
		{ "no-new-keyring", no_argument, NULL, OPT_NOKEYRING },
		{ "preserve-fds", required_argument, NULL, OPT_PRESERVE },
		{ "detach", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, detach ? "b:dh" : "b:h", opts, NULL)) != -1) {
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
			if (!detach)
				goto unknown;
			*detach = true;
			break;
		case 'h':
			usage(stdout);
			return -2;
		default:
unknown:
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
