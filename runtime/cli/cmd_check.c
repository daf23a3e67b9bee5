/* `kage check`: says whether this host can run kage's microVMs, and how to fix it when not. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../machine/check.h"
#include "cli.h"

/* Indexed by enum check_result: the text label, then the JSON value. */
static const char *const labels[] = { " ok ", "warn", "FAIL", "skip" };
static const char *const json_results[] = { "ok", "warn", "fail", "skip" };

static void print_text(const struct check_report *r, bool verbose)
{
	size_t fails = check__failures(r);

	for (size_t i = 0; i < r->n; i++) {
		const struct check *c = &r->checks[i];

		if (!verbose && c->result != CHECK_FAIL && c->result != CHECK_WARN)
			continue;
		printf("[%s] %s: %s\n", labels[c->result], c->name, c->detail);
		if (c->fix[0])
			printf("      fix: %s\n", c->fix);
	}
	if (!fails)
		printf("kage check: this host is fit to run kage\n");
	else
		printf("kage check: this host is NOT fit to run kage (%zu problem%s)\n", fails,
		       fails == 1 ? "" : "s");
}

static void json_putp(json_object **o)
{
	json_object_put(*o);
}

/* Adds key: s, or key: null for an empty s; -1 when memory runs out. */
static int add_string(json_object *o, const char *key, const char *s)
{
	json_object *v = NULL;

	if (s[0] && !(v = json_object_new_string(s)))
		return -1;
	return json_object_object_add(o, key, v);
}

static int json_check(json_object *list, const struct check *c)
{
	json_object *o = json_object_new_object();

	if (!o || json_object_array_add(list, o) < 0) {
		json_object_put(o);
		return -1;
	}
	if (add_string(o, "name", c->name) < 0 ||
	    add_string(o, "result", json_results[c->result]) < 0 ||
	    add_string(o, "detail", c->detail) < 0 || add_string(o, "fix", c->fix) < 0)
		return -1;
	return 0;
}

/* {"fit": bool, "checks": [{"name", "result", "detail", "fix"}]}, fix null when ok. */
static int print_json(const struct check_report *r, struct err **err)
{
	_cleanup_(json_putp) json_object *root = json_object_new_object();
	json_object *list = NULL;

	if (!root || json_object_object_add(root, "fit",
					    json_object_new_boolean(!check__failures(r))) < 0)
		return err_msg(err, "check: out of memory");
	list = json_object_new_array();
	if (!list || json_object_object_add(root, "checks", list) < 0) {
		json_object_put(list);
		return err_msg(err, "check: out of memory");
	}
	for (size_t i = 0; i < r->n; i++) {
		if (json_check(list, &r->checks[i]) < 0)
			return err_msg(err, "check: out of memory");
	}
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	return 0;
}

enum { OPT_FORMAT = 256 };

static const struct cli_opt opts[] = {
	{ "verbose", 'v', NULL, 'v', "print every check, not only the problems" },
	{ "format", 0, "FMT", OPT_FORMAT, "text (default) or json (docs/check.md)" },
};

const struct cli_cmd cmd_check_usage = {
	"check", "check [-v|--verbose] [--format text|json]",
	"Check whether this host can run kage's microVMs: a hardware-backed /dev/kvm with\n"
	"the capabilities kage uses, /dev/net/tun, the traffic-control modules networking\n"
	"needs and cgroups. Prints each problem with its fix, then a verdict; exits 0 when\n"
	"the host is fit, 1 when it is not.",
	opts, ARRAY_SIZE(opts), CLI_OPERAND_OTHER,
};

/* Returns 1 to go on, 0 after --help, <0 with err set for a bad command line. */
static int parse_args(int argc, char **argv, bool *verbose, bool *json, struct err **err)
{
	struct cli_getopt go;
	int c;

	cli_getopt__init(&go, &cmd_check_usage, ARRAY_SIZE(opts), ":");
	/* Errors travel through err and main reports them; getopt stays quiet. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			*verbose = true;
			break;
		case OPT_FORMAT:
			*json = !strcmp(optarg, "json");
			if (!*json && strcmp(optarg, "text"))
				return err_msg(err, "check: invalid --format '%s' (text or json)",
					       optarg);
			break;
		case 'h':
			cli_cmd__usage(&cmd_check_usage, stdout);
			return 0;
		case ':':
			return err_msg(err, "check: option '%s' needs an argument",
				       argv[optind - 1]);
		default:
			/* optopt names a bad short option; a bad long one leaves it 0. */
			if (optopt)
				return err_msg(err, "check: unknown option '-%c' (see kage check "
					       "--help)", optopt);
			return err_msg(err, "check: unknown option '%s' (see kage check --help)",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return err_msg(err, "check: unexpected argument '%s'", argv[optind]);
	return 1;
}

int cmd_check(const struct globals *g, int argc, char **argv, struct err **err)
{
	struct check_report r;
	bool verbose = false, json = false;
	int ret;

	(void)g;
	ret = parse_args(argc, argv, &verbose, &json, err);
	if (ret <= 0)
		return ret;
	check__host(&r);
	if (json) {
		ret = print_json(&r, err);
		if (ret < 0)
			return ret;
	} else {
		print_text(&r, verbose);
	}
	return check__failures(&r) ? 1 : 0;
}
