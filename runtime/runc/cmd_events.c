/* `kage events`: a container's stats and OOM kills as JSON lines, as runc prints them. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/cleanup.h"
#include "../cli/cli.h"
#include "../container/events.h"

static const struct cli_opt opts[] = {
	{ "stats", 0, NULL, 's', "print one stats event and exit" },
	{ "interval", 0, "DURATION", 'i', "between stats events (default 5s; 500ms, 1m, ...)" },
};

const struct cli_cmd cmd_events_usage = {
	"events", "events [--stats] [--interval DURATION] CONTAINER_ID",
	"Print the container's resource figures as JSON lines, as runc does:\n"
	"{\"type\":\"stats\",\"id\":ID,\"data\":{\"cpu\",\"memory\",\"pids\",\"blkio\",\n"
	"\"network_interfaces\",\"kage\"}}, read inside its microVM (the container's\n"
	"cgroup there) and, under \"kage\":{\"host\"}, from the VM's own host cgroup;\n"
	"and {\"type\":\"oom\",\"id\":ID} when the guest's OOM killer struck the\n"
	"container since the last stats. Runs until the container stops.",
	opts, ARRAY_SIZE(opts), CLI_OPERAND_CONTAINER,
};

int cmd_events(const struct globals *g, int argc, char **argv, struct err **err)
{
	struct events_opts o = { .interval_ms = EVENTS_INTERVAL_MS_DEFAULT };
	struct cli_getopt go;
	int opt;

	cli_getopt__init(&go, &cmd_events_usage, ARRAY_SIZE(opts), "+");
	opterr = 0;
	while ((opt = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		if (opt == 's') {
			o.once = true;
		} else if (opt == 'i') {
			if (events__parse_interval(optarg, &o.interval_ms, err) < 0)
				return -1;
		} else if (opt == 'h') {
			cli_cmd__usage(&cmd_events_usage, stdout);
			return 0;
		} else if (opt == '?' && optopt == 'i') {
			return err_msg(err, "events: --interval wants a duration");
		} else {
			return err_msg(err, "events: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return err_msg(err, "events: want one CONTAINER_ID");
	o.id = argv[optind];
	return events__run(g, &o, stdout, err) < 0 ? -1 : 0;
}
