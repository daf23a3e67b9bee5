/*
 * `kage ps`: the container's processes. The table lists the processes inside its microVM.
 * JSON gives host pids, as runc does, for its callers (containerd's Pids, and through it
 * `docker top`, which runs the host's ps and keeps the rows of these pids): the container's
 * processes live in the guest, where no host tool can see them, and the one host process that
 * stands for them all is the sandbox (the VMM), so that is the list.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/cleanup.h"
#include "../agent/client.h"
#include "../agent/link.h"
#include "../cli/cli.h"
#include "../container/state.h"
#include "../container/lifecycle.h"

static const struct cli_opt opts[] = {
	{ "format", 'f', "FMT", 'f', "table (default) or json" },
};

const struct cli_cmd cmd_ps_usage = {
	"ps", "ps [--format table|json] CONTAINER_ID",
	"table (the default): the processes in the container's microVM, with\n"
	"their guest pids.\n"
	"json: the host pids standing for the container, as runc prints them:\n"
	"[SANDBOX_PID], the one host process (the VMM) that runs them all. So\n"
	"`docker top` shows the sandbox; `kage ps` shows what runs inside.",
	opts, ARRAY_SIZE(opts), CLI_OPERAND_CONTAINER,
};

int cmd_ps(const struct globals *g, int argc, char **argv, struct err **err)
{
	_cleanup_container_ struct container *c = NULL;
	_cleanup_close_ int ctl = -1;
	struct cli_getopt go;
	bool json = false;
	int opt;

	cli_getopt__init(&go, &cmd_ps_usage, ARRAY_SIZE(opts), "+");
	opterr = 0;
	while ((opt = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		if (opt == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table"))) {
			json = !strcmp(optarg, "json");
		} else if (opt == 'h') {
			cli_cmd__usage(&cmd_ps_usage, stdout);
			return 0;
		} else {
			return err_msg(err, "ps: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return err_msg(err, "ps: want a container id");
	lifecycle__agent_settings(g);
	/* No lock: nothing here changes the container, and docker top should not wait on it. */
	if (container__read(g->root, argv[optind], &c, err) < 0)
		return -1;
	enum ctr_status st = container__status(c);

	if (st != CTR_CREATED && st != CTR_RUNNING && st != CTR_PAUSED)
		return err_msg(err, "container not running");
	if (json) {
		/* created, running or paused: the sandbox is alive (container__status checked it) */
		printf("[%d]\n", (int)c->pid);
		return fflush(stdout) == EOF ? err_errno(err, "ps: write") : 0;
	}
	struct agent_ps ps;

	/* its vCPUs are parked: the agent could only time out (a pod member's pause freezes
	 * only its cgroup, and the agent answers) */
	if (st == CTR_PAUSED && !c->sandbox)
		return err_msg(err, "ps: container %s is paused; resume it to list its processes",
			       c->id);
	ctl = lifecycle__connect(c, AGENT_CTL_PORT, err);
	if (ctl < 0 || agent__ps(ctl, true, c->process, &ps, err) < 0)
		return -1;
	printf("%-8s %-8s %-5s %s\n", "PID", "PPID", "STATE", "COMMAND");
	for (size_t i = 0; i < ps.n_all; i++)
		printf("%-8" PRId64 " %-8" PRId64 " %-5s %s\n", ps.all[i].pid, ps.all[i].ppid,
		       ps.all[i].state, ps.all[i].comm);
	agent_ps__free(&ps);
	return 0;
}
