/* Option tables (options.h) turned into getopt_long's arrays and into --help text. */
#include <string.h>

#include "options.h"

/* The help column never starts further right than this; a longer label gets its own line. */
#define HELP_COL_MAX 26

const struct cli_opt cli_opt__help = { "help", 'h', NULL, 'h', "this help" };

const struct cli_opt *cli_cmd__opt_at(const struct cli_cmd *cmd, size_t i)
{
	if (i < cmd->n_opts)
		return &cmd->opts[i];
	return i == cmd->n_opts ? &cli_opt__help : NULL;
}

static void add_getopt(struct cli_getopt *go, size_t *nl, size_t *ns, const struct cli_opt *o)
{
	if (!o->name)
		return;
	go->longopts[(*nl)++] = (struct option){ o->name,
						 o->arg ? required_argument : no_argument, NULL,
						 o->val };
	if (!o->short_name)
		return;
	go->shortopts[(*ns)++] = o->short_name;
	if (o->arg)
		go->shortopts[(*ns)++] = ':';
}

void cli_getopt__init(struct cli_getopt *go, const struct cli_cmd *cmd, size_t n,
		      const char *flags)
{
	size_t nl = 0, ns = strlen(flags);

	/* The tables are ours and fixed at build time; tests/build/docs.sh runs every one. */
	if (n > cmd->n_opts)
		n = cmd->n_opts;
	if (n > CLI_OPTS_MAX)
		n = CLI_OPTS_MAX;
	memcpy(go->shortopts, flags, ns);
	for (size_t i = 0; i < n; i++)
		add_getopt(go, &nl, &ns, &cmd->opts[i]);
	add_getopt(go, &nl, &ns, &cli_opt__help);
	go->longopts[nl] = (struct option){ NULL, 0, NULL, 0 };
	go->shortopts[ns] = 0;
}

/* "  -b, --bundle DIR" or "      --pid-file FILE" into buf; returns its length. */
static int opt_label(const struct cli_opt *o, char *buf, size_t size)
{
	char s[8] = "    ";

	if (o->short_name)
		snprintf(s, sizeof(s), "-%c, ", o->short_name);
	return snprintf(buf, size, "  %s--%s%s%s", s, o->name, o->arg ? " " : "",
			o->arg ? o->arg : "");
}

/* Prints help's lines, the first after a label of width len, the others at column col. */
static void print_help(FILE *out, int len, int col, const char *help)
{
	const char *nl;

	if (len + 1 > col) {
		fputc('\n', out);
		len = 0;
	}
	for (;;) {
		nl = strchr(help, '\n');
		fprintf(out, "%*s%.*s\n", col - len, "", nl ? (int)(nl - help) : (int)strlen(help),
			help);
		if (!nl)
			break;
		help = nl + 1;
		len = 0;
	}
}

static int help_col(const struct cli_cmd *cmd)
{
	const struct cli_opt *o;
	char label[128];
	int col = 0, len;

	for (size_t i = 0; (o = cli_cmd__opt_at(cmd, i)); i++) {
		if (!o->name)
			continue;
		len = opt_label(o, label, sizeof(label)) + 2;
		if (o->help && len > col && len <= HELP_COL_MAX)
			col = len;
	}
	return col;
}

/* Options kept only so runc's callers are not refused share one line: they do nothing. */
static void print_compat(const struct cli_cmd *cmd, FILE *out, int col)
{
	char line[512];
	int len = 0;

	for (size_t i = 0; i < cmd->n_opts; i++) {
		const struct cli_opt *o = &cmd->opts[i];

		if (!o->name || o->help)
			continue;
		len += snprintf(line + len, sizeof(line) - len, "%s--%s%s%s",
				len ? ", " : "      ", o->name, o->arg ? " " : "",
				o->arg ? o->arg : "");
		if (len >= (int)sizeof(line))
			len = sizeof(line) - 1;
	}
	if (!len)
		return;
	fputs(line, out);
	print_help(out, len, col, "accepted for runc compatibility");
}

void cli_cmd__print_opts(const struct cli_cmd *cmd, FILE *out)
{
	const struct cli_opt *o;
	int col = help_col(cmd);
	char label[128];

	for (size_t i = 0; i < cmd->n_opts; i++) {
		o = &cmd->opts[i];
		if (!o->name)
			fprintf(out, "%s\n", o->help);
		if (!o->name || !o->help)
			continue;
		int len = opt_label(o, label, sizeof(label));

		fputs(label, out);
		print_help(out, len, col, o->help);
	}
	print_compat(cmd, out, col);
	int len = opt_label(&cli_opt__help, label, sizeof(label));

	fputs(label, out);
	print_help(out, len, col, cli_opt__help.help);
}

void cli_cmd__usage(const struct cli_cmd *cmd, FILE *out)
{
	const char *s = cmd->synopsis, *nl;
	bool first = true;

	do {
		nl = strchr(s, '\n');
		fprintf(out, "%s kage %.*s\n", first ? "Usage:" : "      ",
			nl ? (int)(nl - s) : (int)strlen(s), s);
		first = false;
		if (nl)
			s = nl + 1;
	} while (nl);
	fprintf(out, "\n%s\n\n", cmd->about);
	cli_cmd__print_opts(cmd, out);
}
