/*
 * Container state directories: id rules, create/load/save round trips, the status derived
 * from the sandbox's liveness (pid reuse included), listing, removal, and signal names.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "runtime/container/state.h"
#include "runtime/container/lifecycle.h"
#include "tests/unit/tap.h"

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int main(void)
{
	char root[] = "/tmp/kage-test-ctr.XXXXXX";
	struct err *err = NULL;
	struct container *c = NULL, *d = NULL;
	char **ids = NULL;

	if (!mkdtemp(root))
		return 1;

	/* ids */
	CHECK(container__check_id("abc-1.2_x+y", NULL) == 0, "a runc-style id is fine");
	CHECK(container__check_id("", NULL) < 0, "an empty id is refused");
	CHECK(container__check_id(".", NULL) < 0 && container__check_id("..", NULL) < 0,
	      "'.' and '..' are refused");
	CHECK(container__check_id("a/b", &err) < 0 && strstr(err->msg, "invalid container id"),
	      "a slash is refused: %s", err ? err->msg : "");
	err_free(&err);
	CHECK(container__check_id("a b", NULL) < 0 && container__check_id("a\nb", NULL) < 0,
	      "spaces and newlines are refused");
	char *long_id = malloc(CTR_ID_MAX + 2);

	memset(long_id, 'a', CTR_ID_MAX + 1);
	long_id[CTR_ID_MAX + 1] = 0;
	CHECK(container__check_id(long_id, NULL) < 0, "an id over %d characters is refused",
	      CTR_ID_MAX);
	free(long_id);

	/* create, save, load */
	CHECK(container__create(root, "c1", &c, &err) == 0, "create c1");
	CHECK(c && c->status == CTR_CREATING, "a new container is 'creating'");
	c->bundle = strdup("/b");
	c->rootfs = strdup("/b/rootfs");
	c->created = strdup("2026-01-01T00:00:00Z");
	c->process = strdup("p1");
	c->pid = getpid();
	c->pid_start = container__pid_start(getpid());
	c->status = CTR_RUNNING;
	c->annotations = json_object_new_object();
	json_object_object_add(c->annotations, "k", json_object_new_string("v/w"));
	CHECK(container__save(c, &err) == 0, "save");
	CHECK(container__create(root, "c1", &d, &err) < 0 && strstr(err->msg, "exists"),
	      "creating it twice: %s", err ? err->msg : "");
	err_free(&err);
	container__free(c);
	c = NULL;

	CHECK(container__load(root, "c1", &c, &err) == 0, "load c1");
	CHECK(c && !strcmp(c->bundle, "/b") && !strcmp(c->rootfs, "/b/rootfs") &&
	      !strcmp(c->process, "p1") && c->pid == getpid(), "the fields round-trip");
	CHECK(c && container__status(c) == CTR_RUNNING, "our own pid is alive: running");
	struct json_object *st = c ? container__state_json(c) : NULL;
	struct json_object *v;

	CHECK(st && json_object_object_get_ex(st, "annotations", &v) &&
	      !strcmp(json_object_get_string(json_object_object_get(v, "k")), "v/w"),
	      "the state JSON carries the annotations");
	CHECK(st && !strcmp(json_object_get_string(json_object_object_get(st, "status")),
			    "running"), "and the status");
	json_object_put(st);

	/* A pid that was reused by another process is not the sandbox. */
	c->pid_start += 1;
	CHECK(container__status(c) == CTR_STOPPED, "a reused pid (other start time): stopped");
	c->pid_start -= 1;
	container__free(c);
	c = NULL;

	/* A dead sandbox: fork a child that exits, reap it, record its pid. */
	pid_t kid = fork();

	if (kid == 0)
		_exit(0);
	waitpid(kid, NULL, 0);
	CHECK(container__create(root, "c2", &c, &err) == 0, "create c2");
	c->bundle = strdup("/b2");
	c->created = strdup("2026-01-01T00:00:00Z");
	c->pid = kid;
	c->pid_start = 12345;
	c->status = CTR_CREATED;
	CHECK(container__save(c, &err) == 0, "save c2");
	CHECK(container__status(c) == CTR_STOPPED, "a created container whose sandbox is gone: stopped");
	st = container__state_json(c);
	CHECK(json_object_get_int(json_object_object_get(st, "pid")) == 0, "stopped: pid 0");
	json_object_put(st);
	container__free(c);
	c = NULL;

	/* list */
	mkdir("/tmp/kage-test-ctr-not-an-id", 0700);
	CHECK(container__list(root, &ids, &err) == 0 && ids[0] && !strcmp(ids[0], "c1") &&
	      ids[1] && !strcmp(ids[1], "c2") && !ids[2], "list gives c1, c2 in order");
	container__free_ids(ids);

	/* broken state */
	CHECK(container__create(root, "c3", &c, &err) == 0, "create c3");
	write_file(c->dir, "state.json", "{not json");
	container__free(c);
	c = NULL;
	CHECK(container__load(root, "c3", &c, &err) < 0 && strstr(err->msg, "state.json"),
	      "a garbled state.json is an error naming it: %s", err ? err->msg : "");
	err_free(&err);

	/* missing */
	CHECK(container__load(root, "nope", &c, &err) < 0 && err->errnum == ENOENT &&
	      strstr(err->msg, "does not exist"), "a missing container: %s", err ? err->msg : "");
	err_free(&err);

	/* remove */
	CHECK(container__load(root, "c1", &c, &err) == 0 && container__remove(c, &err) == 0,
	      "remove c1");
	container__free(c);
	c = NULL;
	CHECK(container__load(root, "c1", &c, &err) < 0, "c1 is gone");
	err_free(&err);

	/* signals */
	CHECK(lifecycle__parse_signal("TERM", NULL) == SIGTERM &&
	      lifecycle__parse_signal("SIGKILL", NULL) == SIGKILL &&
	      lifecycle__parse_signal("usr1", NULL) == SIGUSR1 &&
	      lifecycle__parse_signal("9", NULL) == 9, "signal names and numbers");
	CHECK(lifecycle__parse_signal("RTMIN+2", NULL) == SIGRTMIN + 2 &&
	      lifecycle__parse_signal("RTMAX-1", NULL) == SIGRTMAX - 1, "real-time signals");
	CHECK(lifecycle__parse_signal("0", NULL) < 0 && lifecycle__parse_signal("65", NULL) < 0 &&
	      lifecycle__parse_signal("FOO", NULL) < 0 && lifecycle__parse_signal("", NULL) < 0 &&
	      lifecycle__parse_signal("RTMIN+99", NULL) < 0, "bad signals are refused");

	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf %s /tmp/kage-test-ctr-not-an-id", root);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
