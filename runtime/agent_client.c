/* Blocking client of the guest agent protocol (see agent_client.h). */
#include "agent_client.h"

#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

#include "../lib/err.h"
#include "../lib/frame.h"

/* Ids only need to be unique per connection; one counter for all is simplest. */
static int64_t next_id = 1;

int64_t agent__send(int fd, struct json_object *req, struct err **err)
{
	int64_t id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);

	json_object_object_add(req, "v", json_object_new_int(AGENT_PROTOCOL_VERSION));
	json_object_object_add(req, "id", json_object_new_int64(id));
	if (frame__write(fd, req, err) < 0)
		return err_prefix(err, "agent request");
	return id;
}

/* Turns {"ok":false,"error":...} into err; anything malformed is an error too. */
static int check_ok(struct json_object *resp, struct err **err)
{
	struct json_object *ok, *msg;

	if (!json_object_object_get_ex(resp, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean))
		return err_msg(err, "agent: malformed response (no \"ok\")");
	if (json_object_get_boolean(ok))
		return 0;
	if (json_object_object_get_ex(resp, "error", &msg) &&
	    json_object_is_type(msg, json_type_string))
		return err_msg(err, "%s", json_object_get_string(msg));
	return err_msg(err, "agent: request failed without a message");
}

int agent__recv(int fd, int64_t id, struct json_object **resp, struct err **err)
{
	struct json_object *o = NULL, *rid;
	int ret;

	*resp = NULL;
	ret = frame__read(fd, &o, err);
	if (ret < 0)
		return err_prefix(err, "agent response");
	if (ret == 0)
		return err_msg(err, "agent closed the control connection");
	/* An answer without an id is the agent rejecting the stream itself (bad framing). */
	if (!json_object_object_get_ex(o, "id", &rid)) {
		if (check_ok(o, err) == 0)
			err_msg(err, "agent: response without an id");
		json_object_put(o);
		return -1;
	}
	if (!json_object_is_type(rid, json_type_int) || json_object_get_int64(rid) != id) {
		json_object_put(o);
		return err_msg(err, "agent: response to id %s, expected %" PRId64,
			       json_object_get_string(rid), id);
	}
	if (check_ok(o, err) < 0) {
		json_object_put(o);
		return -1;
	}
	*resp = o;
	return 0;
}

int agent__request(int fd, struct json_object *req, struct json_object **resp, struct err **err)
{
	int64_t id = agent__send(fd, req, err);

	if (id < 0)
		return -1;
	return agent__recv(fd, id, resp, err);
}

int agent__open_stream(int fd, const char *process, const char *stream, struct err **err)
{
	struct json_object *h = json_object_new_object(), *ack = NULL;
	int ret;

	json_object_object_add(h, "v", json_object_new_int(AGENT_PROTOCOL_VERSION));
	json_object_object_add(h, "process", json_object_new_string(process));
	json_object_object_add(h, "stream", json_object_new_string(stream));
	ret = frame__write(fd, h, err);
	json_object_put(h);
	if (ret < 0)
		return err_prefix(err, "open %s stream of %s", stream, process);
	/* The acknowledgement is a frame too; raw stream bytes start right after it. */
	ret = frame__read(fd, &ack, err);
	if (ret == 0)
		ret = err_msg(err, "agent closed the connection");
	if (ret > 0)
		ret = check_ok(ack, err);
	json_object_put(ack);
	if (ret < 0)
		return err_prefix(err, "open %s stream of %s", stream, process);
	return 0;
}
