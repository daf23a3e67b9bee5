/* Log lines: JSON lines containerd can parse (escaping, level names), and level filtering. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lib/log.h"
#include "tests/unit/tap.h"

static char *slurp(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

int main(void)
{
	char path[] = "/tmp/kage-test-log.XXXXXX";
	int fd = mkstemp(path);
	struct err *err = NULL;

	close(fd);
	CHECK(log__init(path, LOG_JSON, LOG_INFO, &err) == 0, "open a JSON log");
	pr_err("quote \" backslash \\ newline \n tab \t done");
	pr_debug("not shown at info level");
	pr_warn("second");

	char *text = slurp(path);
	char *nl = strchr(text, '\n');

	CHECK(nl != NULL, "one line per message");
	if (nl)
		*nl = 0;
	struct json_object *o = json_tokener_parse(text);

	CHECK(o != NULL, "the line is valid JSON: %s", text);
	struct json_object *v;

	CHECK(o && json_object_object_get_ex(o, "level", &v) &&
		      !strcmp(json_object_get_string(v), "error"),
	      "level is error");
	CHECK(o && json_object_object_get_ex(o, "msg", &v) &&
		      !strcmp(json_object_get_string(v),
			      "quote \" backslash \\ newline \n tab \t done"),
	      "msg round-trips with escapes");
	CHECK(o && json_object_object_get_ex(o, "time", &v), "has a time");
	json_object_put(o);
	CHECK(nl && strstr(nl + 1, "\"level\":\"warning\"") && !strstr(nl + 1, "not shown"),
	      "debug filtered at info level, warning kept");

	CHECK(log__init("/nonexistent-dir/x.log", LOG_TEXT, LOG_INFO, &err) < 0 && err &&
		      strstr(err->msg, "/nonexistent-dir/x.log"),
	      "unopenable log file is an error naming the path");
	err_free(&err);
	unlink(path);
	return tap_done();
}
