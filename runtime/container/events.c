/* The stream behind `kage events` (see events.h). */
#include "events.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/log.h"
#include "../../lib/time.h"
#include "../agent/client.h"
#include "lifecycle.h"
#include "state.h"
#include "stats_json.h"

/* How often a wait between events looks whether the container has stopped. */
#define STOP_CHECK_MS 250
/* A guest that stops answering may be on its way down: how long to look for that. */
#define STOP_WAIT_MS 3000
#define INTERVAL_MAX_MS (24LL * 3600 * 1000)

int events__parse_interval(const char *s, long long *ms, struct err **err)
{
	/* two-letter units first, so that "ms" is not read as "m" */
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ns", 1e-6 }, { "us", 1e-3 }, { "\xc2\xb5s", 1e-3 }, { "ms", 1 },
		      { "s", 1e3 },  { "m", 6e4 },    { "h", 3.6e6 } };
	const char *p = s;
	double total = 0;

	while (*p) {
		/* digits with at most one '.': strtod alone would take "1e3", "0x1p4", "inf" */
		size_t i, len = strspn(p, "0123456789.");
		char num[32], *end;
		double v;

		if (!len || len >= sizeof(num))
			goto bad;
		memcpy(num, p, len);
		num[len] = 0;
		v = strtod(num, &end);
		if (*end || strchr(num, '.') != strrchr(num, '.'))
			goto bad;
		p += len;
		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (!strncmp(p, units[i].unit, strlen(units[i].unit)))
				break;
		if (i == ARRAY_SIZE(units))
			goto bad;
		total += v * units[i].ms;
		p += strlen(units[i].unit);
	}
	if (p == s || !isfinite(total))
		goto bad;
	if (total < 1 || total > INTERVAL_MAX_MS)
		return err_msg(err, "events: --interval '%s': want 1ms to 24h", s);
	*ms = (long long)total;
	return 0;
bad:
	return err_msg(err, "events: --interval '%s': want a duration such as 5s, 500ms or 1m", s);
}

/* One line: {"type":type,"id":id[,"data":data]}; data is taken. */
static int emit(FILE *out, const char *type, const char *id, struct json_object *data,
		struct err **err)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "id", json_object_new_string(id));
	if (data)
		json_object_object_add(o, "data", data);
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	/* A reader that went away ends the stream (SIGPIPE is ignored: EPIPE comes here). */
	if (fflush(out) == EOF || ferror(out))
		return err_errno(err, "events: write");
	return 0;
}

/* The container as its state says now (no lock: a stream must not keep kill waiting). */
static enum ctr_status status_now(const struct globals *g, const char *id)
{
	_cleanup_container_ struct container *c = NULL;
	_cleanup_err_ struct err *e = NULL;

	/* deleted meanwhile: as good as stopped */
	if (container__read(g->root, id, &c, &e) < 0)
		return CTR_STOPPED;
	return container__status(c);
}

/* Whether the container stops within ms (a failed request may be its VM going down). */
static bool stops_within(const struct globals *g, const char *id, int ms)
{
	long long deadline = time__now_ms() + ms;

	for (;;) {
		if (status_now(g, id) == CTR_STOPPED)
			return true;
		if (time__now_ms() >= deadline)
			return false;
		poll(NULL, 0, STOP_CHECK_MS);
	}
}

/*
 * Waits until deadline, or less when the container stops (*stopped then). The agent's
 * connection is watched too: it only answers, so anything on it means the guest closed it
 * (or misbehaves), and it is dropped, to be made again for the next request.
 */
static void wait_until(const struct globals *g, const char *id, long long deadline, int *ctl,
		       bool *stopped)
{
	long long left;

	while ((left = deadline - time__now_ms()) > 0) {
		struct pollfd p = { .fd = *ctl, .events = POLLIN };
		int slice = left < STOP_CHECK_MS ? (int)left : STOP_CHECK_MS;

		if (poll(&p, 1, slice) > 0 && p.revents) {
			close(*ctl);
			*ctl = -1;
		}
		if (status_now(g, id) == CTR_STOPPED) {
			*stopped = true;
			return;
		}
	}
}

/*
 * One stats event (and an oom one first when the guest's OOM killer struck since the last):
 * 1 when the container has stopped meanwhile, 0 when printed, -1 on error.
 */
static int sample(const struct globals *g, const struct events_opts *o, int *ctl,
		  int64_t *oom_kills, FILE *out, struct err **err)
{
	_cleanup_container_ struct container *c = NULL;
	struct agent_stats s = { 0 };
	struct host_stats host;
	bool guest = false;
	enum ctr_status st;

	if (container__read(g->root, o->id, &c, err) < 0)
		return -1;
	st = container__status(c);
	if (st == CTR_STOPPED)
		return 1;
	if ((st != CTR_CREATED && st != CTR_RUNNING && st != CTR_PAUSED) || !c->process)
		return err_msg(err, "events: container %s is still being created", o->id);
	/* A paused VM's vCPUs are stopped: its agent cannot answer, the host's cgroup can. */
	if (st != CTR_PAUSED) {
		if (*ctl < 0)
			*ctl = lifecycle__connect(c, AGENT_CTL_PORT, err);
		if (*ctl < 0 || agent__stats(*ctl, c->process, &s, err) < 0) {
			if (*ctl >= 0)
				close(*ctl);
			*ctl = -1;
			return stops_within(g, o->id, STOP_WAIT_MS) ? 1 : -1;
		}
		guest = true;
	}
	host_stats__read(c->cgroup, &host);
	if (guest && s.has_memory) {
		bool oom = *oom_kills >= 0 && s.memory.oom_kill > *oom_kills;

		*oom_kills = s.memory.oom_kill;
		if (oom && emit(out, "oom", o->id, NULL, err) < 0) {
			agent_stats__free(&s);
			return -1;
		}
	}
	int ret = emit(out, "stats", o->id, stats_json__data(guest ? &s : NULL, &host), err);

	agent_stats__free(&s);
	return ret;
}

int events__run(const struct globals *g, const struct events_opts *o, FILE *out,
		struct err **err)
{
	_cleanup_container_ struct container *c = NULL;
	_cleanup_close_ int ctl = -1;
	int64_t oom_kills = -1;
	enum ctr_status st;

	lifecycle__agent_settings(g);
	if (container__read(g->root, o->id, &c, err) < 0)
		return -1;
	st = container__status(c);
	if (st == CTR_STOPPED)
		return err_msg(err, "events: container %s is not running", o->id);
	for (;;) {
		long long next = time__now_ms() + o->interval_ms;
		bool stopped = false;
		int ret = sample(g, o, &ctl, &oom_kills, out, err);

		if (ret < 0)
			return -1;
		if (ret > 0 && o->once)
			return err_msg(err, "events: container %s is not running", o->id);
		if (ret > 0 || o->once)
			return 0;
		wait_until(g, o->id, next, &ctl, &stopped);
		if (stopped)
			return 0;
	}
}
