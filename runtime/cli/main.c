/*
 * kage's entry point: parse the global options runc accepts, then dispatch to a verb.
 * Errors travel up as struct err and are reported exactly once, here.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/log.h"
#include "cli.h"

static const struct verb verbs[] = {
	{ "create", cmd_create, "create a container (its microVM boots, its process waits)", true },
	{ "start", cmd_start, "start a created container's process", true },
	{ "run", cmd_run, "create and start a container, and wait for it", true },
	{ "exec", cmd_exec, "run another process in a running container", true },
	{ "state", cmd_state, "print a container's state as JSON", true },
	{ "kill", cmd_kill, "send a signal to a container's process", true },
	{ "delete", cmd_delete, "delete a stopped container (--force: any)", true },
	{ "list", cmd_list, "list the containers", true },
	{ "ps", cmd_ps, "list a container's processes", true },
	{ "pause", cmd_pause, "stop a container's vCPUs", true },
	{ "resume", cmd_resume, "restart a paused container's vCPUs", true },
	{ "update", cmd_update, "change a container's resources (refused: fixed at create)", true },
	{ "check", cmd_check, "check whether this host can run kage's microVMs", false },
	{ "env", cmd_env, "print kage's settings in effect and where each came from", false },
	{ "features", cmd_features, "print the OCI features kage supports, as JSON", false },
	{ "spec", cmd_spec, "write a default config.json into a bundle", false },
	{ "vm", cmd_vm, "boot a microVM on the embedded kernel (no container)", false },
	{ "version", cmd_version, "print the version and the libraries built in", false },
};

/*
 * --root holds every container's state, their pids (which kage signals) and sockets: a
 * directory another user can write, or that another user owns, could hand kage a planted
 * state file or socket. One that does not exist yet is created 0711 by create.
 */
static int check_state_root(const char *root, struct err **err)
{
	struct stat st;

	if (stat(root, &st) < 0)
		return errno == ENOENT ? 0 : err_errno(err, "--root %s", root);
	if (!S_ISDIR(st.st_mode))
		return err_msg(err, "--root %s is not a directory", root);
	if (st.st_uid != geteuid())
		return err_msg(err, "--root %s is owned by uid %u, not by uid %u running kage: "
			       "refusing another user's state directory", root, st.st_uid, geteuid());
	if (st.st_mode & 022)
		return err_msg(err, "--root %s is writable by other users (mode %04o): "
			       "chmod go-w it", root, st.st_mode & 07777);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kage [global options] COMMAND [arguments]\n\n"
		"kage runs OCI containers, each inside its own KVM microVM.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(out,
		"\nGlobal options:\n"
		"  --root DIR          state directory (default /run/kage)\n"
		"  --config FILE       kage's settings (default $KAGE_CONFIG, then\n"
		"                      /etc/kage/config.json; see kage env)\n"
		"  --log FILE          write the log to FILE instead of stderr\n"
		"  --log-format FMT    text (default) or json\n"
		"  --debug             log debug messages\n"
		"  --systemd-cgroup    accepted for runc compatibility\n"
		"  -v, --version       print the version\n"
		"  -h, --help          this help; COMMAND --help for a command's\n");
}

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD_CGROUP, OPT_CONFIG };

static const struct option global_opts[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
	{ "version", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Parses the global options; returns the index of the verb, or -1 with *exit_code set. */
static int parse_globals(int argc, char **argv, struct globals *g, int *exit_code,
			 struct err **err)
{
	int c;

	/* "+" stops at the first non-option: the verb's own options are not ours. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", global_opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			g->root = optarg;
			break;
		case OPT_CONFIG:
			g->config_path = optarg;
			break;
		case OPT_LOG:
			g->log_path = optarg;
			break;
		case OPT_LOG_FORMAT:
			if (!strcmp(optarg, "json"))
				g->log_json = true;
			else if (strcmp(optarg, "text"))
				return err_msg(err, "invalid --log-format '%s' (text or json)", optarg);
			break;
		case OPT_DEBUG:
			g->debug = true;
			break;
		case OPT_SYSTEMD_CGROUP:
			g->systemd_cgroup = true;
			break;
		case 'v':
			cli__print_version();
			*exit_code = 0;
			return -1;
		case 'h':
			usage(stdout);
			*exit_code = 0;
			return -1;
		default:
			return err_msg(err, "unknown global option '%s' (see kage --help)",
				       argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return err_msg(err, "no command given");
	}
	return optind;
}

/*
 * Whatever our caller left open beyond stdio is not ours: a pipe's write end leaked by a
 * shim would keep the container's stdin from ever seeing EOF, since the sandbox and exec
 * relays live as long as the workload. runc's init closes them the same way.
 */
static void close_inherited_fds(void)
{
	if (syscall(SYS_close_range, 3, ~0U, 0) == 0)
		return;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (fd > 2 && fd != dirfd(d))
			close(fd);
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	struct globals g = { .root = "/run/kage" };
	_cleanup_err_ struct err *err = NULL;
	int exit_code = 1, idx;

	close_inherited_fds();
	/*
	 * kage writes to sockets and pipes whose readers may leave (vsock peers, relays, hook
	 * stdin, a closed stdout): each write handles EPIPE, none of them may kill the VMM.
	 */
	signal(SIGPIPE, SIG_IGN);
	idx = parse_globals(argc, argv, &g, &exit_code, &err);
	if (idx < 0) {
		if (err)
			fprintf(stderr, "kage: %s\n", err->msg);
		return exit_code;
	}
	if (log__init(g.log_path, g.log_json ? LOG_JSON : LOG_TEXT,
		      g.debug ? LOG_DEBUG : LOG_INFO, &err) < 0) {
		fprintf(stderr, "kage: %s\n", err->msg);
		return 1;
	}

	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (strcmp(argv[idx], verbs[i].name))
			continue;
		/* getopt state is global: reset it so the verb parses from its own argv[1]. */
		optind = 0;
		int rc = verbs[i].state && check_state_root(g.root, &err) < 0 ?
				 -1 : verbs[i].fn(&g, argc - idx, argv + idx, &err);

		if (rc < 0) {
			pr_err("%s", err && err->msg ? err->msg : "failed");
			return 1;
		}
		return rc;
	}
	pr_err("unknown command '%s' (see kage --help)", argv[idx]);
	return 1;
}
