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

/*
 * A verb whose options are not described yet (options.h) leaves .cmd out: --help still
 * works (the verb prints its own), and the man page and completions list its summary only.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct verb verbs[] = {
	{ "create", cmd_create, "create a container (its microVM boots, its process waits)", true,
	  &cmd_create_usage },
	{ "start", cmd_start, "start a created container's process", true, &cmd_start_usage },
	{ "run", cmd_run, "create and start a container, and wait for it", true, &cmd_run_usage },
	{ "exec", cmd_exec, "run another process in a running container", true, &cmd_exec_usage },
	{ "state", cmd_state, "print a container's state as JSON", true, &cmd_state_usage },
	{ "kill", cmd_kill, "send a signal to a container's process", true, &cmd_kill_usage },
	{ "delete", cmd_delete, "delete a stopped container (--force: any)", true,
	  &cmd_delete_usage },
	{ "list", cmd_list, "list the containers", true, &cmd_list_usage },
	{ "ps", cmd_ps, "list a container's processes", true, &cmd_ps_usage },
	{ "events", cmd_events, "print a container's stats (and OOM kills) as JSON lines", true,
	  &cmd_events_usage },
	{ "pause", cmd_pause, "stop a container's vCPUs", true, &cmd_pause_usage },
	{ "resume", cmd_resume, "restart a paused container's vCPUs", true, &cmd_resume_usage },
	{ "update", cmd_update, "change a container's resources (refused: fixed at create)", true,
	  &cmd_update_usage },
	{ "check", cmd_check, "check whether this host can run kage's microVMs", false,
	  &cmd_check_usage },
	{ "env", cmd_env, "print kage's settings in effect and where each came from", false,
	  &cmd_env_usage },
	{ "features", cmd_features, "print the OCI features kage supports, as JSON", false,
	  &cmd_features_usage },
	{ "spec", cmd_spec, "write a default config.json into a bundle", false, &cmd_spec_usage },
	{ "vm", cmd_vm, "boot a microVM on the embedded kernel (no container)", false,
	  &cmd_vm_usage },
	{ "version", cmd_version, "print the version and the libraries built in", false,
	  &cmd_version_usage },
	{ "install", cmd_install, "register kage as a runtime of Docker, containerd or podman",
	  false, &cmd_install_usage },
	{ "uninstall", cmd_uninstall, "take kage's runtime out of Docker, containerd or podman",
	  false, &cmd_uninstall_usage },
	{ "help", cmd_help, "print a command's help, or (--man) the manual page", false,
	  &cmd_help_usage },
	{ "completion", cmd_completion, "print the bash or zsh completion script", false,
	  &cmd_completion_usage },
};
#pragma GCC diagnostic pop

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

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD_CGROUP, OPT_CONFIG };

static const struct cli_opt global_opts[] = {
	{ "root", 0, "DIR", OPT_ROOT, "state directory (default /run/kage)" },
	{ "config", 0, "FILE", OPT_CONFIG, "kage's settings (default $KAGE_CONFIG, then\n"
	  "/etc/kage/config.json; see kage env)" },
	{ "log", 0, "FILE", OPT_LOG, "write the log to FILE instead of stderr" },
	{ "log-format", 0, "FMT", OPT_LOG_FORMAT, "text (default) or json" },
	{ "debug", 0, NULL, OPT_DEBUG, "log debug messages" },
	{ "systemd-cgroup", 0, NULL, OPT_SYSTEMD_CGROUP, NULL },
	{ "version", 'v', NULL, 'v', "print the version" },
};

const struct cli_cmd cli_globals_cmd = {
	"kage", "[global options] COMMAND [arguments]",
	"kage runs OCI containers, each inside its own KVM microVM.",
	global_opts, ARRAY_SIZE(global_opts), CLI_OPERAND_OTHER,
};

const struct verb *cli__verbs(size_t *n)
{
	*n = ARRAY_SIZE(verbs);
	return verbs;
}

void cli__usage(FILE *out)
{
	fprintf(out, "Usage: kage %s\n\n%s\n\nCommands:\n", cli_globals_cmd.synopsis,
		cli_globals_cmd.about);
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(out, "\nGlobal options (COMMAND --help for a command's own):\n");
	cli_cmd__print_opts(&cli_globals_cmd, out);
}

/* Parses the global options; returns the index of the verb, or -1 with *exit_code set. */
static int parse_globals(int argc, char **argv, struct globals *g, int *exit_code,
			 struct err **err)
{
	struct cli_getopt go;
	int c;

	/* "+" stops at the first non-option: the verb's own options are not ours. */
	cli_getopt__init(&go, &cli_globals_cmd, cli_globals_cmd.n_opts, "+");
	opterr = 0;
	while ((c = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
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
			cli__usage(stdout);
			*exit_code = 0;
			return -1;
		default:
			return err_msg(err, "unknown global option '%s' (see kage --help)",
				       argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		cli__usage(stderr);
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
