/*
 * `kage events`: a container's stats, and its OOM kills, as runc prints them, one JSON object
 * a line: {"type":"stats","id":ID,"data":{...}} (stats_json.h) and {"type":"oom","id":ID}.
 */
#ifndef KAGE_RUNTIME_CONTAINER_EVENTS_H
#define KAGE_RUNTIME_CONTAINER_EVENTS_H

#include <stdbool.h>
#include <stdio.h>

#include "../cli/cli.h"

struct events_opts {
	const char *id;
	bool once;		/* --stats: one stats event, then exit */
	long long interval_ms;	/* between stats events otherwise */
};

#define EVENTS_INTERVAL_MS_DEFAULT 5000

/*
 * A Go duration as runc's --interval takes it: decimal numbers with units ns, us (µs), ms,
 * s, m, h, one after another ("1m30s", "1.5s", "500ms"). Here it must come to 1 ms .. 24 h.
 */
int events__parse_interval(const char *s, long long *ms, struct err **err);

/*
 * Prints to out until the container stops (0 then: what ends the stream) or, with once, after
 * one stats event. Each request to the guest is bounded by the agent's deadline; the stream
 * never holds the container's lock, so kill and delete go on meanwhile.
 */
int events__run(const struct globals *g, const struct events_opts *o, FILE *out,
		struct err **err);

#endif
