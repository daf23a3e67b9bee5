/*
 * The host's agent client against a fake agent on a socketpair: good replies decode; every
 * malformed, mistyped, oversized, late or cut-off reply is an error naming what was wrong,
 * never a crash (this runs under ASan and UBSan).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "lib/wire/frame.h"
#include "runtime/agent/client.h"
#include "tests/unit/tap.h"

/* What the fake agent does with the one request it reads. */
struct fake {
	int fd;
	const char *reply;	/* a printf format taking the request's id (long long) */
	const char *raw;	/* or these bytes exactly, header included */
	size_t raw_len;
	int id_delta;		/* answer another id */
	bool hold;		/* keep the connection open until the client closes it */
};

static void *agent_thread(void *arg)
{
	struct fake *f = arg;
	struct json_object *req = NULL, *v;
	struct err *err = NULL;
	long long id = 0;
	char body[8192];

	if (frame__read(f->fd, &req, &err) == 1 && json_object_object_get_ex(req, "id", &v))
		id = json_object_get_int64(v) + f->id_delta;
	json_object_put(req);
	err_free(&err);
	if (f->raw) {
		if (write(f->fd, f->raw, f->raw_len) < 0)
			perror("fake agent");
	} else if (f->reply) {
		int n = snprintf(body, sizeof(body), f->reply, id);
		unsigned char hdr[4] = { n >> 24, n >> 16, n >> 8, n };

		if (write(f->fd, hdr, 4) != 4 || write(f->fd, body, n) != n)
			perror("fake agent");
	}
	if (f->hold) {
		char c;

		while (read(f->fd, &c, 1) > 0)
			;
	}
	close(f->fd);
	return NULL;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Runs op against a fake agent; returns the op's result and copies its error text. */
enum op { OP_PS, OP_CREATE, OP_START, OP_WAIT, OP_DISK, OP_STREAM };

static struct agent_ps last_ps;
static char last_process[AGENT_NAME_MAX];
static int last_status;
static int64_t last_major, last_minor;
static char last_device[64];

static int run_op(enum op op, struct fake f, char *why, size_t why_len)
{
	int sv[2];
	pthread_t t;
	struct err *err = NULL;
	int ret = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -2;
	f.fd = sv[1];
	pthread_create(&t, NULL, agent_thread, &f);
	switch (op) {
	case OP_PS:
		agent_ps__free(&last_ps);
		ret = agent__ps(sv[0], true, NULL, &last_ps, &err);
		break;
	case OP_CREATE: {
		struct json_object *req = json_object_new_object();
		char *p = NULL;

		json_object_object_add(req, "args", json_object_new_array());
		ret = agent__create(sv[0], req, &p, &err);
		snprintf(last_process, sizeof(last_process), "%s", p ? p : "");
		free(p);
		break;
	}
	case OP_START:
		ret = agent__start(sv[0], "p1", &err);
		break;
	case OP_WAIT: {
		int64_t id = agent__wait_send(sv[0], "p1", &err);

		ret = id < 0 ? -1 : agent__wait_recv(sv[0], id, &last_status, &err);
		break;
	}
	case OP_DISK:
		ret = agent__disk(sv[0], "kage-root", last_device, sizeof(last_device), &last_major,
				  &last_minor, &err);
		break;
	case OP_STREAM:
		ret = agent__open_stream(sv[0], "p1", "stdout", &err);
		break;
	}
	snprintf(why, why_len, "%s", err ? err->msg : "");
	err_free(&err);
	close(sv[0]);
	pthread_join(t, NULL);
	return ret;
}

#define REPLY(fmt) ((struct fake){ .reply = "{\"id\":%lld,\"ok\":true," fmt "}" })

static void expect_error(enum op op, struct fake f, const char *want, const char *what)
{
	char why[512];
	int ret = run_op(op, f, why, sizeof(why));

	CHECK(ret < 0 && strstr(why, want), "%s: an error (%s)", what, why);
}

static void good_replies(void)
{
	char why[512];

	CHECK(run_op(OP_PS, REPLY("\"processes\":[{\"process\":\"p1\",\"pid\":12,\"args\":[\"sh\"],"
				  "\"status\":\"running\",\"owner\":\"p1\"},{\"process\":\"p2\",\"pid\":13,"
				  "\"status\":\"exited\",\"exit_status\":0}],\"all\":[{\"pid\":1,"
				  "\"ppid\":0,\"state\":\"S\",\"comm\":\"init\"}]"),
		     why, sizeof(why)) == 0 &&
		      last_ps.n_procs == 2 && !strcmp(last_ps.procs[0].process, "p1") &&
		      last_ps.procs[0].pid == 12 && !last_ps.procs[0].exited &&
		      !strcmp(last_ps.procs[0].owner, "p1") && !*last_ps.procs[1].owner &&
		      last_ps.procs[1].exited && last_ps.n_all == 1 && last_ps.all[0].pid == 1 &&
		      !strcmp(last_ps.all[0].comm, "init") && !strcmp(last_ps.all[0].state, "S"),
	      "ps decodes (%s)", why);
	CHECK(run_op(OP_PS, REPLY("\"processes\":[]"), why, sizeof(why)) == 0 &&
		      last_ps.n_procs == 0 && last_ps.n_all == 0,
	      "ps without all decodes (%s)", why);
	CHECK(run_op(OP_CREATE, REPLY("\"process\":\"p7\""), why, sizeof(why)) == 0 &&
		      !strcmp(last_process, "p7"),
	      "create names its process (%s)", why);
	CHECK(run_op(OP_START, REPLY("\"extra\":[1,2]"), why, sizeof(why)) == 0,
	      "start: unknown members are ignored (%s)", why);
	CHECK(run_op(OP_WAIT, REPLY("\"signal\":9,\"exit_status\":137"), why, sizeof(why)) == 0 &&
		      last_status == 137,
	      "wait gives the exit status (%s)", why);
	CHECK(run_op(OP_DISK, REPLY("\"device\":\"/dev/vda\",\"major\":254,\"minor\":0"), why,
		     sizeof(why)) == 0 &&
		      !strcmp(last_device, "/dev/vda") && last_major == 254 && last_minor == 0,
	      "disk decodes (%s)", why);
	CHECK(run_op(OP_STREAM, (struct fake){ .reply = "{\"ok\":true}" }, why, sizeof(why)) == 0,
	      "a stream is acknowledged (%s)", why);
}

static void wrong_types(void)
{
	expect_error(OP_PS, REPLY("\"processes\":null"), "field \"processes\" is null, want an array",
		     "ps: processes null");
	expect_error(OP_PS, REPLY("\"processes\":5"), "field \"processes\" is a number, want an array",
		     "ps: processes a number");
	expect_error(OP_PS, REPLY("\"processes\":{}"), "is an object, want an array",
		     "ps: processes an object");
	expect_error(OP_PS, REPLY("\"x\":1"), "field \"processes\" is missing", "ps: no processes");
	expect_error(OP_PS, REPLY("\"processes\":[7]"), "processes[0] is a number, want an object",
		     "ps: an element a number");
	expect_error(OP_PS, REPLY("\"processes\":[null]"), "processes[0] is null",
		     "ps: an element null");
	expect_error(OP_PS, REPLY("\"processes\":[{\"pid\":1,\"status\":\"running\"}]"),
		     "field \"process\" is missing", "ps: an element without process");
	expect_error(OP_PS, REPLY("\"processes\":[{\"process\":\"p1\",\"pid\":1,"
				  "\"status\":\"running\",\"owner\":[1]}]"),
		     "field \"owner\" is an array, want a string", "ps: owner an array");
	expect_error(OP_PS, REPLY("\"processes\":[{\"process\":\"p1\",\"pid\":\"1\","
				  "\"status\":\"running\"}]"),
		     "field \"pid\" is a string, want an integer", "ps: pid a string");
	expect_error(OP_PS, REPLY("\"processes\":[{\"process\":\"p1\",\"pid\":-4,"
				  "\"status\":\"running\"}]"),
		     "field \"pid\" is -4", "ps: pid negative");
	expect_error(OP_PS, REPLY("\"processes\":[{\"process\":\"p1\",\"pid\":1.5,"
				  "\"status\":\"running\"}]"),
		     "field \"pid\" is a number, want an integer", "ps: pid a double");
	expect_error(OP_PS, REPLY("\"processes\":[{\"process\":\"p1\",\"pid\":18446744073709551615,"
				  "\"status\":\"running\"}]"),
		     "field \"pid\" is 18446744073709551615", "ps: pid past int64");
	expect_error(OP_PS, REPLY("\"processes\":[],\"all\":[{\"pid\":1,\"ppid\":0,\"state\":\"S\","
				  "\"comm\":null}]"),
		     "field \"comm\" is null", "ps: comm null");
	expect_error(OP_PS, REPLY("\"processes\":[],\"all\":[{\"pid\":1,\"ppid\":0,\"state\":"
				  "\"SSSSSSSSSSSS\",\"comm\":\"x\"}]"),
		     "field \"state\" has 12 bytes", "ps: state too long");
	expect_error(OP_PS, REPLY("\"processes\":[],\"all\":\"all\""), "field \"all\" is a string",
		     "ps: all a string");
	expect_error(OP_CREATE, REPLY("\"process\":null"), "field \"process\" is null",
		     "create: process null");
	expect_error(OP_CREATE, REPLY("\"process\":\"\""), "has 0 bytes", "create: process empty");
	expect_error(OP_CREATE, REPLY("\"process\":\"p\\u0000x\""), "holds a NUL byte",
		     "create: a NUL inside the name");
	expect_error(OP_CREATE,
		     REPLY("\"process\":\"pppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
			   "ppppppppppppppppppp\""),
		     "field \"process\" has 75 bytes, want 1 to 63", "create: a name too long");
	expect_error(OP_WAIT, REPLY("\"exit_status\":300"), "field \"exit_status\" is 300",
		     "wait: status out of range");
	expect_error(OP_WAIT, REPLY("\"exit_status\":true"), "is a boolean, want an integer",
		     "wait: status a boolean");
	expect_error(OP_DISK, REPLY("\"device\":\"/etc/passwd\",\"major\":8,\"minor\":0"),
		     "want a path under /dev/", "disk: a device outside /dev");
	expect_error(OP_DISK, REPLY("\"device\":\"/dev/vda\",\"major\":70000,\"minor\":0"),
		     "field \"major\" is 70000", "disk: major out of range");
	expect_error(OP_DISK, REPLY("\"device\":[],\"major\":8,\"minor\":0"),
		     "field \"device\" is an array", "disk: device an array");
	expect_error(OP_STREAM, (struct fake){ .reply = "{\"ok\":\"yes\"}" },
		     "field \"ok\" is a string, want a boolean", "stream: ok a string");
}

static void bad_envelopes(void)
{
	static const char huge[] = "\xff\xff\xff\xff{}";
	static const char zero[] = "\0\0\0\0{}";
	static const char cut[] = "\0\0\0\x64{\"id\":1";

	expect_error(OP_START, (struct fake){ .reply = "{\"id\":%lld,\"ok\":true" },
		     "invalid JSON", "malformed JSON");
	expect_error(OP_START, (struct fake){ .reply = "[%lld]" }, "not a JSON object",
		     "an array, not an object");
	expect_error(OP_START, (struct fake){ .reply = "{\"id\":%lld,\"ok\":true} x" },
		     "frame: ", "trailing data");
	expect_error(OP_START, (struct fake){ .reply = "{\"id\":%lld}" },
		     "field \"ok\" is missing", "ok missing");
	expect_error(OP_START, (struct fake){ .reply = "{\"id\":%lld,\"ok\":null}" },
		     "field \"ok\" is null", "ok null");
	expect_error(OP_START, (struct fake){ .reply = "{\"id\":%lld,\"ok\":false,\"error\":"
						       "\"process p1 is already started\"}" },
		     "process p1 is already started", "the agent's own error");
	expect_error(OP_START, (struct fake){ .reply = "{\"id\":%lld,\"ok\":false,\"error\":7}" },
		     "without a usable message", "an error that is a number");
	expect_error(OP_START, (struct fake){ .reply = "{\"id\":\"%lld\",\"ok\":true}" },
		     "field \"id\" is a string", "id a string");
	expect_error(OP_START, (struct fake){ .reply = "{\"id\":%lld,\"ok\":true}", .id_delta = 1 },
		     "it answers id", "a wrong id");
	expect_error(OP_START, (struct fake){ .reply = "{\"ok\":false,\"error\":\"frame: bad\"}" },
		     "refused start: frame: bad", "an error frame without an id");
	expect_error(OP_START, (struct fake){ .reply = "{\"ok\":true}" }, "field \"id\" is missing",
		     "no id");
	expect_error(OP_PS, (struct fake){ .raw = huge, .raw_len = sizeof(huge) - 1, .hold = true },
		     "frame length 4294967295 out of range", "a 4 GiB frame length");
	expect_error(OP_PS, (struct fake){ .raw = zero, .raw_len = sizeof(zero) - 1 },
		     "frame length 0 out of range", "a zero frame length");
	expect_error(OP_PS, (struct fake){ 0 }, "closed the connection before it answered",
		     "closed before answering");
	expect_error(OP_PS, (struct fake){ .raw = cut, .raw_len = sizeof(cut) - 1 },
		     "closed the connection inside its reply", "closed inside a frame");
	expect_error(OP_STREAM, (struct fake){ 0 }, "closed the connection", "stream: closed");
}

/* Silence: the error comes at the deadline, not before and not much after. */
static void silence(void)
{
	static const char half[] = "\0\0\0\x10{\"id\"";
	char why[512];
	long long t0;
	int ret;

	agent__set_timeout(1);
	t0 = now_ms();
	ret = run_op(OP_PS, (struct fake){ .hold = true }, why, sizeof(why));
	t0 = now_ms() - t0;
	CHECK(ret < 0 && strstr(why, "the guest agent did not answer in 1 s (op ps)") && t0 >= 990 &&
		      t0 < 1500,
	      "a silent agent: '%s' after %lld ms", why, t0);
	t0 = now_ms();
	ret = run_op(OP_START, (struct fake){ .raw = half, .raw_len = sizeof(half) - 1, .hold = true },
		     why, sizeof(why));
	t0 = now_ms() - t0;
	CHECK(ret < 0 && strstr(why, "did not answer in 1 s (op start)") && t0 >= 990 && t0 < 1500,
	      "half a frame, then silence: '%s' after %lld ms", why, t0);
	t0 = now_ms();
	ret = run_op(OP_CREATE, (struct fake){ .hold = true, .reply = NULL }, why, sizeof(why));
	t0 = now_ms() - t0;
	CHECK(ret < 0 && strstr(why, "did not answer in 12 s (op create)") && t0 >= 11990 &&
		      t0 < 12500,
	      "create gets the setup deadline: '%s' after %lld ms", why, t0);
	t0 = now_ms();
	ret = run_op(OP_STREAM, (struct fake){ .hold = true }, why, sizeof(why));
	t0 = now_ms() - t0;
	CHECK(ret < 0 && strstr(why, "did not answer in 1 s") && t0 < 1500,
	      "a stream header never acknowledged: '%s' after %lld ms", why, t0);
	agent__set_timeout(AGENT_TIMEOUT_S_DEFAULT);
	CHECK(agent__timeout_ms(false) == 10000 && agent__timeout_ms(true) == 120000,
	      "default deadlines: 10 s, setup 120 s");
}

int main(void)
{
	good_replies();
	wrong_types();
	bad_envelopes();
	silence();
	agent_ps__free(&last_ps);
	printf("1..%d\n", tap_n);
	return tap_done();
}
