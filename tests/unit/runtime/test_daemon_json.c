/*
 * `kage install`'s edit of Docker's daemon.json (runtime/install/daemon_json.c) and the line
 * diff its --dry-run prints (runtime/install/diff.c): other keys kept in their order,
 * idempotence, uninstall undoing install, --default, and refusals that say where.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/err.h"
#include "runtime/install/daemon_json.h"
#include "runtime/install/diff.h"
#include "tests/unit/tap.h"

static const struct daemon_json_edit add = { .name = "kage", .path = "/usr/local/bin/kage" };
static const struct daemon_json_edit add_default = {
	.name = "kage", .path = "/usr/local/bin/kage", .set_default = true,
};
static const struct daemon_json_edit del = { .name = "kage", .remove = true };

/* Runs the edit; returns its result, with the new text (or NULL) and the message (or ""). */
static int edit(const char *text, const struct daemon_json_edit *e, char **out, char *msg,
		size_t msglen)
{
	struct err *err = NULL;
	int ret = daemon_json__edit("daemon.json", text, strlen(text), e, out, &err);

	snprintf(msg, msglen, "%s", err ? err->msg : "");
	err_free(&err);
	return ret;
}

/* Where needle first is in s, or -1: for checking the order of keys. */
static long at(const char *s, const char *needle)
{
	const char *p = s ? strstr(s, needle) : NULL;

	return p ? p - s : -1;
}

static bool same_json(const char *a, const char *b)
{
	struct json_object *x = json_tokener_parse(a), *y = json_tokener_parse(b);
	bool eq = x && y && json_object_equal(x, y);

	json_object_put(x);
	json_object_put(y);
	return eq;
}

static void test_keeps_keys(void)
{
	const char *old = "{\n\t\"storage-driver\": \"overlay2\",\n\t\"runtimes\": {\n"
			  "\t\t\"runc2\": { \"path\": \"/usr/bin/runc\" }\n\t},\n"
			  "\t\"log-level\": \"warn\"\n}\n";
	char *new = NULL, *again = NULL, *back = NULL, msg[512];

	CHECK(edit(old, &add, &new, msg, sizeof(msg)) == 1, "install into a file with runtimes "
	      "changes it (%s)", msg);
	CHECK(at(new, "\"storage-driver\"") >= 0 && at(new, "\"storage-driver\"") <
	      at(new, "\"runtimes\"") && at(new, "\"runtimes\"") < at(new, "\"runc2\"") &&
	      at(new, "\"runc2\"") < at(new, "\"kage\"") && at(new, "\"kage\"") <
	      at(new, "\"log-level\""), "every key is kept, in its order, kage's entry last in "
	      "runtimes:\n%s", new ? new : "(null)");
	CHECK(at(new, "\"path\": \"/usr/local/bin/kage\"") > at(new, "\"kage\"") &&
	      at(new, "\"/usr/bin/runc\"") > 0, "the entry names the binary, runc2's is kept");
	CHECK(new && new[strlen(new) - 1] == '\n', "the text ends in a newline");
	CHECK(edit(new, &add, &again, msg, sizeof(msg)) == 0 && !again,
	      "installing again changes nothing (%s)", msg);
	CHECK(edit(new, &del, &back, msg, sizeof(msg)) == 1 && same_json(back, old),
	      "uninstall gives back the original content:\n%s", back ? back : "(null)");
	free(new);
	free(back);
}

/*
 * A file in json-c's own layout comes back byte for byte but for an empty "runtimes", which
 * dockerd's reload needs to see to drop the runtime.
 */
static void test_round_trip(void)
{
	const char *old = "{\n  \"log-level\": \"warn\",\n  \"debug\": true\n}\n";
	const char *want = "{\n  \"log-level\": \"warn\",\n  \"debug\": true,\n"
			   "  \"runtimes\": {\n  }\n}\n";
	const char *with = "{\n  \"log-level\": \"warn\",\n  \"runtimes\": {\n  },\n"
			   "  \"debug\": true\n}\n";
	char *new = NULL, *back = NULL, *none = NULL, msg[512];

	CHECK(edit(old, &add, &new, msg, sizeof(msg)) == 1 && at(new, "\"runtimes\"") >
	      at(new, "\"debug\""), "install adds runtimes after the other keys:\n%s",
	      new ? new : msg);
	CHECK(edit(new, &del, &back, msg, sizeof(msg)) == 1 && back && !strcmp(back, want),
	      "uninstall restores the original text, runtimes left empty:\n%s", back ? back : msg);
	free(new);
	free(back);
	new = back = NULL;
	CHECK(edit(with, &add, &new, msg, sizeof(msg)) == 1 &&
	      edit(new, &del, &back, msg, sizeof(msg)) == 1 && back && !strcmp(back, with),
	      "with an empty runtimes to start from, uninstall restores it byte for byte:\n%s",
	      back ? back : msg);
	CHECK(edit(old, &del, &none, msg, sizeof(msg)) == 0 && !none,
	      "uninstall where kage is not installed changes nothing");
	free(new);
	free(back);
}

static void test_update_and_empty(void)
{
	const char *old = "{\"runtimes\": {\"kage\": {\"path\": \"/old/kage\", "
			  "\"runtimeArgs\": [\"--debug\"]}, \"runc\": {\"path\": \"runc\"}}}";
	char *new = NULL, *empty = NULL, *back = NULL, msg[512];

	CHECK(edit(old, &add, &new, msg, sizeof(msg)) == 1 && at(new, "/old/kage") < 0 &&
	      at(new, "\"/usr/local/bin/kage\"") > 0 && at(new, "\"--debug\"") > 0 &&
	      at(new, "\"kage\"") < at(new, "\"runc\""),
	      "an entry with another path is updated in place, its runtimeArgs kept:\n%s",
	      new ? new : msg);
	free(new);
	CHECK(edit("  \n", &add, &empty, msg, sizeof(msg)) == 1 && same_json(empty,
	      "{\"runtimes\": {\"kage\": {\"path\": \"/usr/local/bin/kage\"}}}"),
	      "an empty file counts as {} (%s)", empty ? empty : msg);
	CHECK(edit(empty, &del, &back, msg, sizeof(msg)) == 1 &&
	      same_json(back, "{\"runtimes\": {}}"),
	      "and uninstall leaves an empty runtimes (%s)", back ? back : msg);
	free(empty);
	free(back);
}

static void test_default(void)
{
	const char *other = "{\"default-runtime\": \"runc\", \"runtimes\": {\"kage\": "
			    "{\"path\": \"/usr/local/bin/kage\"}}}";
	char *new = NULL, *again = NULL, *back = NULL, *kept = NULL, msg[512];
	struct json_object *o, *v;

	CHECK(edit("{\"debug\": false}", &add_default, &new, msg, sizeof(msg)) == 1 &&
	      at(new, "\"default-runtime\": \"kage\"") > 0, "--default sets default-runtime (%s)",
	      new ? new : msg);
	CHECK(edit(new, &add_default, &again, msg, sizeof(msg)) == 0,
	      "--default again changes nothing");
	CHECK(edit(new, &add, &again, msg, sizeof(msg)) == 0,
	      "install without --default leaves a default kage alone");
	CHECK(edit(new, &del, &back, msg, sizeof(msg)) == 2 &&
	      same_json(back, "{\"debug\": false, \"runtimes\": {}}"),
	      "uninstall removes default-runtime when it names kage, and says so (%s)",
	      back ? back : msg);
	free(new);
	free(back);
	CHECK(edit(other, &add_default, &new, msg, sizeof(msg)) == 1 &&
	      at(new, "\"default-runtime\": \"kage\"") >= 0 && at(new, "runc") < 0,
	      "--default replaces another default (%s)", new ? new : msg);
	free(new);
	CHECK(edit(other, &del, &kept, msg, sizeof(msg)) == 1, "uninstall with runc as default");
	o = kept ? json_tokener_parse(kept) : NULL;
	CHECK(o && json_object_object_get_ex(o, "default-runtime", &v) &&
	      !strcmp(json_object_get_string(v), "runc") &&
	      json_object_object_get_ex(o, "runtimes", &v) && !json_object_object_length(v),
	      "keeps default-runtime runc and drops only kage's entry (%s)", kept ? kept : msg);
	json_object_put(o);
	free(kept);
}

static void refused(const char *text, const struct daemon_json_edit *e, const char *where,
		    const char *what)
{
	char *out = (char *)"untouched", msg[512];
	char copy[512];

	snprintf(copy, sizeof(copy), "%s", text);
	CHECK(edit(text, e, &out, msg, sizeof(msg)) == -1 && !out && strstr(msg, where) &&
	      !strcmp(copy, text), "%s is refused, the message saying '%s' (%s)", what, where,
	      msg);
}

static void test_refusals(void)
{
	refused("{\n  \"debug\": true,\n  // a comment\n  \"log-level\": \"warn\"\n}\n", &add,
		"line 3", "a comment");
	refused("{\n  /* c */ \"debug\": true\n}\n", &add, "line 2", "a block comment");
	refused("{\n  \"debug\": true,\n  \"log-level\": \"warn\",\n}\n", &add, "line 4",
		"a trailing comma");
	refused("{\n  \"debug\": true,\n  \"runtimes\": [\"kage\"]\n}\n", &add,
		"line 3: \"runtimes\" is an array, not an object", "runtimes as an array");
	refused("{\n  \"debug\": true,\n  \"runtimes\": [\"kage\"]\n}\n", &del, "line 3",
		"runtimes as an array on uninstall");
	refused("{\"x\": {\"runtimes\": 1},\n \"runtimes\": {\n  \"runc\": {},\n"
		"  \"kage\": \"/bin/kage\"\n}}",
		&add, "line 4: \"runtimes\".\"kage\" is a string, not an object",
		"the entry as a string");
	refused("\n\n[ {\"runtimes\": {}} ]\n", &add, "line 3: the top level is an array",
		"a top-level array");
	refused("\"kage\"", &add, "line 1: the top level is a string", "a top-level string");
	refused("null", &add, "the top level is null", "a top-level null");
	refused("{\"a\": 1} {\"b\": 2}", &add, "line 1", "two values");
}

static void diff_is(const char *old, const char *new, const char *want, const char *what)
{
	struct err *err = NULL;
	char *out = NULL;

	CHECK(diff__unified(old, new, "a", "b", &out, &err) == 0 && out && !strcmp(out, want),
	      "diff: %s:\n%s", what, out ? out : err ? err->msg : "(null)");
	free(out);
	err_free(&err);
}

static void test_diff(void)
{
	diff_is("a\nb\n", "a\nb\n", "", "equal texts give nothing");
	diff_is("", "x\n", "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n", "from nothing");
	diff_is("x\ny\n", "", "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n", "to nothing");
	diff_is("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n",
		"--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n",
		"one changed line with three of context");
	diff_is("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n12\n",
		"--- a\n+++ b\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n@@ -8,5 +9,4 @@\n 8\n 9\n 10\n"
		"-11\n 12\n",
		"two hunks far apart");
	diff_is("1\n2\n", "1\n2",
		"--- a\n+++ b\n@@ -1,2 +1,2 @@\n 1\n-2\n+2\n\\ No newline at end of file\n",
		"a missing newline at the end");
	diff_is("{\n}\n", "{\n  \"runtimes\": {}\n}\n",
		"--- a\n+++ b\n@@ -1,2 +1,3 @@\n {\n+  \"runtimes\": {}\n }\n", "an insertion");
}

/*
 * Applies the unified diff d to old as patch(1) would, checking each hunk's counts and
 * context; returns the result (the caller frees it) or NULL when the diff does not apply.
 */
static char *apply(const char *old, const char *d)
{
	char *out = calloc(1, strlen(old) + strlen(d) + 1), *o = out;
	const char *p = old, *line = d;
	long os, ol, ns, nl;
	char last = 0;

	for (int i = 0; i < 2 && line && *line; i++)	/* the --- and +++ headers */
		line = strchr(line, '\n') + 1;
	while (line && *line) {
		if (sscanf(line, "@@ -%ld,%ld +%ld,%ld @@", &os, &ol, &ns, &nl) != 4) {
			if (sscanf(line, "@@ -%ld +%ld,%ld @@", &os, &ns, &nl) == 3)
				ol = 1;
			else if (sscanf(line, "@@ -%ld,%ld +%ld @@", &os, &ol, &ns) == 3)
				nl = 1;
			else if (sscanf(line, "@@ -%ld +%ld @@", &os, &ns) == 2)
				ol = nl = 1;
			else
				goto bad;
		}
		/* Copy the old lines before the hunk. */
		for (long n = 1; n < (ol ? os : os + 1); n++) {
			const char *e = strchr(p, '\n');

			if (!e)
				goto bad;
			memcpy(o, p, e + 1 - p), o += e + 1 - p, p = e + 1;
		}
		for (line = strchr(line, '\n') + 1; *line && *line != '@'; ) {
			const char *e = strchr(line, '\n'), *q = line + 1;
			size_t len = e - q;

			if (*line == '\\') {
				if (last == '+' || last == ' ')
					o--;	/* that line has no newline */
				line = e + 1;
				continue;
			}
			if (*line == ' ' || *line == '-') {
				if (strncmp(p, q, len) || (p[len] != '\n' && p[len] != '\0'))
					goto bad;
				p += len + (p[len] == '\n');
				ol--;
			}
			if (*line == ' ' || *line == '+') {
				memcpy(o, q, len), o += len, *o++ = '\n';
				nl--;
			}
			last = *line;
			line = e + 1;
		}
		if (ol || nl)
			goto bad;
	}
	strcpy(o, p);
	return out;
bad:
	free(out);
	return NULL;
}

/* Random pairs of texts over a few distinct lines: every diff must turn old into new. */
static void test_diff_applies(void)
{
	static const char *const words[] = { "a", "b", "c", "{", "}" };
	unsigned seed = 12345, bad = 0, runs = 2000;
	char *wrong = apply("a\n", "--- a\n+++ b\n@@ -1 +1 @@\n-b\n+c\n");

	CHECK(!wrong, "the checker refuses a diff whose removed line is not in the old text");
	free(wrong);

	for (unsigned r = 0; r < runs; r++) {
		char old[256] = "", new[256] = "", *d = NULL, *got;
		struct err *err = NULL;

		for (char *t = old; t; t = t == old ? new : NULL) {
			unsigned n = (seed = seed * 1103515245 + 12345) >> 16 & 15;

			for (unsigned i = 0; i < n; i++) {
				seed = seed * 1103515245 + 12345;
				strcat(t, words[(seed >> 16) % 5]);
				strcat(t, "\n");
			}
			/* Now and then no newline at the end. */
			if (n && ((seed >> 20) & 7) == 0)
				t[strlen(t) - 1] = '\0';
		}
		if (diff__unified(old, new, "a", "b", &d, &err) < 0) {
			bad++;
			err_free(&err);
			continue;
		}
		got = apply(old, d);
		if (!got || strcmp(got, new)) {
			if (!bad)
				printf("# old:\n%s# new:\n%s# diff:\n%s", old, new, d);
			bad++;
		}
		free(got);
		free(d);
	}
	CHECK(bad == 0, "%u random diffs all apply and give the new text (%u did not)", runs, bad);
}

int main(void)
{
	test_keeps_keys();
	test_round_trip();
	test_update_and_empty();
	test_default();
	test_refusals();
	test_diff();
	test_diff_applies();
	return tap_done();
}
