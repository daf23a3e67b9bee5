/* The typed guest agent client's requests and deadlines (see client.h). */
#include "client.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "../../lib/wire/frame.h"
#include "../../lib/log.h"
#include "../../lib/time.h"

/* Ids only need to be unique per connection; one counter for all is simplest. */
static int64_t next_id = 1;
static unsigned int timeout_s = AGENT_TIMEOUT_S_DEFAULT;

void agent__set_timeout(unsigned int seconds)
{
	timeout_s = seconds;
}

unsigned int agent__timeout_ms(bool setup)
{
	return timeout_s * 1000u * (setup ? AGENT_SETUP_FACTOR : 1);
}


static const char *op_of(struct json_object *req)
{
	struct json_object *v;

	if (json_object_object_get_ex(req, AGENT_KEY_OP, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "?";
}

/* Setup ops may wait on the guest's disks and shares, or build a whole container. */
static bool is_setup(const char *op)
{
	enum agent_op o = agent_op__find(op);

	return o < AGENT_OP_COUNT && agent_op_infos[o].setup;
}

/* Reads exactly len bytes, none after the deadline; 0 at a clean EOF before any byte. */
static int read_until(int fd, void *buf, size_t len, long long deadline, int timeout_ms,
		      const char *op, struct err **err)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - time__now_ms();
		int r = left > 0 ? poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left) : 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_errno(err, "the guest agent's reply to %s: poll", op);
		if (r == 0)
			return err_msg(err, "the guest agent did not answer in %d s (op %s)",
				       (timeout_ms + 999) / 1000, op);
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return err_errno(err, "the guest agent's reply to %s: read", op);
		if (n == 0 && got == 0)
			return 0;
		if (n == 0)
			return err_msg(err, "the guest agent closed the connection inside its reply "
				       "to %s", op);
		got += n;
	}
	return 1;
}

/*
 * One frame, read within timeout_ms. The length is checked before anything is allocated
 * for the body, so a guest cannot make us reserve more than FRAME_MAX.
 */
static int read_frame(int fd, int timeout_ms, const char *op, struct json_object **obj,
		      struct err **err)
{
	long long deadline = time__now_ms() + timeout_ms;
	unsigned char hdr[FRAME_HDR];
	_cleanup_free_ char *body = NULL;
	uint32_t len;
	int ret;

	*obj = NULL;
	ret = read_until(fd, hdr, sizeof(hdr), deadline, timeout_ms, op, err);
	if (ret <= 0)
		return ret < 0 ? -1 : err_msg(err, "the guest agent closed the connection before "
					      "it answered %s", op);
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (len == 0 || len > FRAME_MAX)
		return err_msg(err, "the guest agent's reply to %s: frame length %" PRIu32
			       " out of range (1..%u)", op, len, FRAME_MAX);
	body = malloc(len);
	if (!body)
		return err_errno(err, "the guest agent's reply to %s", op);
	ret = read_until(fd, body, len, deadline, timeout_ms, op, err);
	if (ret == 0)
		ret = err_msg(err, "the guest agent closed the connection inside its reply to %s",
			      op);
	if (ret < 0)
		return -1;
	if (frame__parse(body, len, obj, err) < 0)
		return err_prefix(err, "the guest agent's reply to %s", op);
	return 0;
}

static int64_t send_req(int fd, struct json_object *req, const char *op, struct err **err)
{
	int64_t id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);

	json_object_object_add(req, AGENT_KEY_VERSION, json_object_new_int(AGENT_PROTOCOL));
	json_object_object_add(req, AGENT_KEY_ID, json_object_new_int64(id));
	if (frame__write(fd, req, err) < 0)
		return err_prefix(err, "the guest agent's request %s", op);
	return id;
}

static int recv_reply(int fd, int64_t id, const char *op, int timeout_ms,
		      struct json_object **resp, struct err **err)
{
	struct json_object *o = NULL;

	*resp = NULL;
	if (read_frame(fd, timeout_ms, op, &o, err) < 0)
		return -1;
	if (agent_reply__check(o, id, op, err) < 0) {
		json_object_put(o);
		return -1;
	}
	*resp = o;
	return 0;
}

int64_t agent__send(int fd, struct json_object *req, struct err **err)
{
	return send_req(fd, req, op_of(req), err);
}

int agent__recv(int fd, int64_t id, struct json_object **resp, struct err **err)
{
	return recv_reply(fd, id, "wait", agent__timeout_ms(false), resp, err);
}

int agent__call(int fd, struct json_object *req, int timeout_ms, struct json_object **resp,
		struct err **err)
{
	const char *op = op_of(req);
	long long t0 = time__now_ms();
	int64_t id = send_req(fd, req, op, err);
	int ret;

	if (id < 0)
		return -1;
	ret = recv_reply(fd, id, op, timeout_ms, resp, err);
	/* What the deadlines are measured against (docs/agent-protocol.md). */
	pr_debug("guest agent: %s answered in %lld ms (deadline %d ms)", op, time__now_ms() - t0,
		 timeout_ms);
	return ret;
}

int agent__request(int fd, struct json_object *req, struct json_object **resp, struct err **err)
{
	return agent__call(fd, req, agent__timeout_ms(is_setup(op_of(req))), resp, err);
}

int agent__simple(int fd, struct json_object *req, struct err **err)
{
	struct json_object *resp = NULL;
	int ret = agent__request(fd, req, &resp, err);

	json_object_put(resp);
	json_object_put(req);
	return ret;
}

/* {"op":op,"process":process} */
static struct json_object *process_req(enum agent_op op, const char *process)
{
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, AGENT_KEY_OP, json_object_new_string(agent_op__name(op)));
	if (process)
		json_object_object_add(req, AGENT_KEY_PROCESS, json_object_new_string(process));
	return req;
}

/* An op whose reply carries nothing, its members in body (taken). */
static int change(int fd, enum agent_op op, struct json_object *body, struct err **err)
{
	json_object_object_add(body, AGENT_KEY_OP, json_object_new_string(agent_op__name(op)));
	return agent__simple(fd, body, err);
}

int agent__mount(int fd, struct json_object *body, struct err **err)
{
	return change(fd, AGENT_OP_MOUNT, body, err);
}

int agent__mknod(int fd, struct json_object *body, struct err **err)
{
	return change(fd, AGENT_OP_MKNOD, body, err);
}

int agent__network(int fd, struct json_object *body, struct err **err)
{
	return change(fd, AGENT_OP_NETWORK, body, err);
}

int agent__sysctl(int fd, struct json_object *settings, struct err **err)
{
	struct json_object *body = json_object_new_object();

	json_object_object_add(body, "sysctl", settings);
	return change(fd, AGENT_OP_SYSCTL, body, err);
}

int agent__hostname(int fd, const char *hostname, const char *domainname, struct err **err)
{
	struct json_object *body = json_object_new_object();

	if (hostname)
		json_object_object_add(body, "hostname", json_object_new_string(hostname));
	if (domainname)
		json_object_object_add(body, "domainname", json_object_new_string(domainname));
	return change(fd, AGENT_OP_HOSTNAME, body, err);
}

int agent__unmount(int fd, const char *target, struct err **err)
{
	struct json_object *body = json_object_new_object();

	json_object_object_add(body, "target", json_object_new_string(target));
	return change(fd, AGENT_OP_UNMOUNT, body, err);
}

int agent__create(int fd, struct json_object *req, char **process, struct err **err)
{
	struct json_object *resp = NULL;
	int ret;

	*process = NULL;
	json_object_object_add(req, AGENT_KEY_OP, json_object_new_string(agent_op__name(AGENT_OP_CREATE)));
	ret = agent__request(fd, req, &resp, err);
	json_object_put(req);
	if (ret == 0)
		ret = agent_reply__create(resp, process, err);
	json_object_put(resp);
	return ret;
}

int agent__start(int fd, const char *process, struct err **err)
{
	return agent__simple(fd, process_req(AGENT_OP_START, process), err);
}

int agent__signal(int fd, const char *process, int sig, struct err **err)
{
	struct json_object *req = process_req(AGENT_OP_SIGNAL, process);

	json_object_object_add(req, AGENT_KEY_SIGNAL, json_object_new_int(sig));
	return agent__simple(fd, req, err);
}

int agent__freeze(int fd, const char *process, bool frozen, struct err **err)
{
	struct json_object *req = process_req(AGENT_OP_FREEZE, process);

	json_object_object_add(req, AGENT_KEY_FROZEN, json_object_new_boolean(frozen));
	return agent__simple(fd, req, err);
}

int agent__resize(int fd, const char *process, unsigned int rows, unsigned int cols,
		  struct err **err)
{
	struct json_object *req = process_req(AGENT_OP_RESIZE, process);

	json_object_object_add(req, AGENT_KEY_ROWS, json_object_new_int(rows));
	json_object_object_add(req, AGENT_KEY_COLS, json_object_new_int(cols));
	return agent__simple(fd, req, err);
}

int agent__ps(int fd, bool all, const char *of, struct agent_ps *out, struct err **err)
{
	struct json_object *req = process_req(AGENT_OP_PS, of), *resp = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	if (all)
		json_object_object_add(req, AGENT_KEY_ALL, json_object_new_boolean(1));
	ret = agent__request(fd, req, &resp, err);
	json_object_put(req);
	if (ret == 0)
		ret = agent_reply__ps(resp, out, err);
	json_object_put(resp);
	return ret;
}

int64_t agent__wait_send(int fd, const char *process, struct err **err)
{
	struct json_object *req = process_req(AGENT_OP_WAIT, process);
	int64_t id = send_req(fd, req, "wait", err);

	json_object_put(req);
	return id;
}

int agent__wait_recv(int fd, int64_t id, int *status, struct err **err)
{
	struct json_object *resp = NULL;
	int ret = agent__recv(fd, id, &resp, err);

	if (ret == 0)
		ret = agent_reply__wait(resp, status, err);
	json_object_put(resp);
	return ret;
}

int agent__shutdown(int fd, struct err **err)
{
	struct json_object *req = process_req(AGENT_OP_SHUTDOWN, NULL);
	int64_t id = send_req(fd, req, "shutdown", err);

	json_object_put(req);
	return id < 0 ? -1 : 0;
}

int agent__disk(int fd, const char *serial, char *device, size_t size, int64_t *major,
		int64_t *minor, struct err **err)
{
	struct json_object *req = process_req(AGENT_OP_DISK, NULL), *resp = NULL;
	int ret;

	json_object_object_add(req, AGENT_KEY_SERIAL, json_object_new_string(serial));
	ret = agent__request(fd, req, &resp, err);
	json_object_put(req);
	if (ret == 0)
		ret = agent_reply__disk(resp, device, size, major, minor, err);
	json_object_put(resp);
	return ret;
}

int agent__open_stream(int fd, const char *process, const char *stream, struct err **err)
{
	struct json_object *h = json_object_new_object(), *ack = NULL;
	bool ok = false;
	const char *msg;
	int ret;

	json_object_object_add(h, AGENT_KEY_VERSION, json_object_new_int(AGENT_PROTOCOL));
	json_object_object_add(h, AGENT_KEY_PROCESS, json_object_new_string(process));
	json_object_object_add(h, AGENT_KEY_STREAM, json_object_new_string(stream));
	ret = frame__write(fd, h, err);
	json_object_put(h);
	/* The acknowledgement is a frame too; raw stream bytes start right after it. */
	if (ret == 0)
		ret = read_frame(fd, agent__timeout_ms(false), "stream", &ack, err);
	if (ret == 0)
		ret = reply__bool(ack, "stream", "ok", &ok, err);
	if (ret == 0 && !ok)
		ret = reply__string(ack, "stream", "error", 4096, &msg, NULL) == 0 ?
			      err_msg(err, "%s", msg) :
			      err_msg(err, "the guest agent refused the stream without a message");
	json_object_put(ack);
	if (ret < 0)
		return err_prefix(err, "open %s stream of %s", stream, process);
	return 0;
}
