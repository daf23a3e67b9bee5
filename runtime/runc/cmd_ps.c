/*
 * `kage ps`: the container's processes. JSON gives host pids as runc does, and on the host
 * the container is its sandbox process; the table lists the processes inside the guest.
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

int cmd_ps(const struct globals *g, int argc, char **argv, struct err **err)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_container_ struct container *c = NULL;
	_cleanup_close_ int ctl = -1;
	bool json = false;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		if (opt == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table"))) {
			json = !strcmp(optarg, "json");
		} else if (opt == 'h') {
			printf("Usage: kage ps [--format table|json] CONTAINER_ID\n\n"
			       "table: the processes in the container's microVM; json: the host\n"
			       "pids standing for the container (its sandbox process).\n");
			return 0;
		} else {
			return err_msg(err, "ps: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return err_msg(err, "ps: want a container id");
	lifecycle__agent_settings(g);
	if (container__load(g->root, argv[optind], &c, err) < 0)
		return -1;
	enum ctr_status st = container__status(c);

	if (st != CTR_CREATED && st != CTR_RUNNING && st != CTR_PAUSED)
		return err_msg(err, "container not running");
	if (json) {
		printf("[%d]\n", (int)c->pid);
		return 0;
	}
	struct agent_ps ps;

	ctl = lifecycle__connect(c, AGENT_CTL_PORT, err);
	if (ctl < 0 || agent__ps(ctl, true, &ps, err) < 0)
		return -1;
	printf("%-8s %-8s %-5s %s\n", "PID", "PPID", "STATE", "COMMAND");
	for (size_t i = 0; i < ps.n_all; i++)
		printf("%-8" PRId64 " %-8" PRId64 " %-5s %s\n", ps.all[i].pid, ps.all[i].ppid,
		       ps.all[i].state, ps.all[i].comm);
	agent_ps__free(&ps);
	return 0;
}
