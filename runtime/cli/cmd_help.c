/*
 * `kage help`: a command's help, or with --man the manual page kage(8), written from the
 * same option tables (options.h) that parse the command line, so the two cannot disagree.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/cleanup.h"
#include "cli.h"

enum { OPT_MAN = 256 };

static const struct cli_opt opts[] = {
	{ "man", 0, NULL, OPT_MAN, "print the manual page kage(8), in roff (man -l - reads it)" },
};

const struct cli_cmd cmd_help_usage = {
	"help", "help [--man | COMMAND]",
	"Print kage's help, a command's help (as COMMAND --help does), or the manual page.",
	opts, ARRAY_SIZE(opts), CLI_OPERAND_COMMAND,
};

/* len bytes of s as roff text: '\\' and '-' escaped, a line starting '.' or '\'' kept as text. */
static void roff_n(FILE *out, const char *s, size_t len)
{
	bool bol = true;

	for (const char *end = s + len; s < end; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", out);
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
		bol = *s == '\n';
	}
}

static void roff(FILE *out, const char *s)
{
	roff_n(out, s, strlen(s));
}

/* A .TP entry: the flags in bold, the argument in italics, then the help. */
static void man_opt(FILE *out, const struct cli_opt *o)
{
	fputs(".TP\n", out);
	if (o->short_name)
		fprintf(out, "\\fB\\-%c\\fR, ", o->short_name);
	fputs("\\fB\\-\\-", out);
	roff(out, o->name);
	fputs("\\fR", out);
	if (o->arg) {
		fputs(" \\fI", out);
		roff(out, o->arg);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	roff(out, o->help ? o->help : "accepted for runc compatibility; it changes nothing");
	fputc('\n', out);
}

static void man_opts(FILE *out, const struct cli_cmd *cmd)
{
	const struct cli_opt *o;

	for (size_t i = 0; (o = cli_cmd__opt_at(cmd, i)); i++) {
		if (o->name) {
			man_opt(out, o);
			continue;
		}
		fputs(".PP\n\\fI", out);
		roff(out, o->help);
		fputs("\\fR\n", out);
	}
}

static void man_verb(FILE *out, const struct verb *v)
{
	const struct cli_cmd *cmd = v->cmd;

	fputs(".SS ", out);
	roff(out, v->name);
	fputc('\n', out);
	roff(out, v->summary);
	fputs(".\n", out);
	if (!cmd) {
		/* Described by its own --help until its options join a table. */
		fprintf(out, ".PP\nSee \\fBkage %s \\-\\-help\\fR for its options.\n", v->name);
		return;
	}
	fputs(".PP\n.nf\n", out);
	for (const char *s = cmd->synopsis, *nl; s; s = nl ? nl + 1 : NULL) {
		nl = strchr(s, '\n');
		fputs("\\fBkage\\fR ", out);
		roff_n(out, s, nl ? (size_t)(nl - s) : strlen(s));
		fputc('\n', out);
	}
	fputs(".fi\n.PP\n", out);
	roff(out, cmd->about);
	fputc('\n', out);
	man_opts(out, cmd);
}

static void print_man(FILE *out)
{
	size_t n;
	const struct verb *verbs = cli__verbs(&n);

	fprintf(out, ".\\\" kage(8), written by `kage help --man` from its option tables.\n"
		".TH KAGE 8 \"\" \"kage %s\" \"System Administration\"\n", KAGE_VERSION);
	fputs(".SH NAME\nkage \\- run OCI containers, each in its own KVM microVM\n"
	      ".SH SYNOPSIS\n\\fBkage\\fR [\\fIglobal options\\fR] \\fICOMMAND\\fR "
	      "[\\fIarguments\\fR]\n"
	      ".SH DESCRIPTION\n"
	      "kage is a minimal KVM virtual machine monitor and an OCI runtime in one static "
	      "binary. It takes the command line of runc, so containerd and Docker can run "
	      "containers with it; each container runs in a microVM of its own, on the guest "
	      "kernel and agent built into kage.\n"
	      ".PP\n"
	      "\\fBkage check\\fR says whether a host can run kage's microVMs, and how to fix it "
	      "when not.\n"
	      ".SH COMMANDS\n", out);
	for (size_t i = 0; i < n; i++)
		man_verb(out, &verbs[i]);
	fputs(".SH GLOBAL OPTIONS\nThey come before the command.\n", out);
	man_opts(out, &cli_globals_cmd);
	fputs(".SH ENVIRONMENT\n.TP\n.B KAGE_CONFIG\n"
	      "kage's settings file, when \\fB\\-\\-config\\fR names none.\n"
	      ".SH FILES\n.TP\n.I /etc/kage/config.json\n"
	      "kage's settings, when neither \\fB\\-\\-config\\fR nor \\fBKAGE_CONFIG\\fR names "
	      "another file; \\fBkage env\\fR prints the settings in effect.\n"
	      ".TP\n.I /run/kage\n"
	      "the state directory (\\fB\\-\\-root\\fR): a directory per container, with its "
	      "state, pid and sockets. It must belong to the user running kage and not be "
	      "writable by others.\n"
	      ".SH EXIT STATUS\n"
	      "0 on success, 1 with a message on standard error (or in the \\fB\\-\\-log\\fR "
	      "file) on failure; \\fBrun\\fR, \\fBexec\\fR and \\fBvm run\\fR exit with their "
	      "process's status (128+N for signal N).\n"
	      ".SH SEE ALSO\n"
	      ".BR runc (8),\n.BR containerd (8),\n.BR dockerd (8)\n", out);
}

int cmd_help(const struct globals *g, int argc, char **argv, struct err **err)
{
	struct cli_getopt go;
	size_t n;
	const struct verb *verbs = cli__verbs(&n);
	int c;

	cli_getopt__init(&go, &cmd_help_usage, ARRAY_SIZE(opts), "+");
	opterr = 0;
	while ((c = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MAN:
			if (optind < argc)
				return err_msg(err, "help: --man takes no command");
			print_man(stdout);
			return 0;
		case 'h':
			cli_cmd__usage(&cmd_help_usage, stdout);
			return 0;
		default:
			return err_msg(err, "help: unknown option '%s' (see kage help --help)",
				       argv[optind - 1]);
		}
	}
	if (optind == argc) {
		cli__usage(stdout);
		return 0;
	}
	if (argc - optind > 1)
		return err_msg(err, "help: want one command, not '%s'", argv[optind + 1]);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[optind], verbs[i].name))
			continue;
		/* The verb prints its own help, as `kage VERB --help` would. */
		char *help_argv[] = { argv[optind], "--help", NULL };

		optind = 0;
		return verbs[i].fn(g, 2, help_argv, err);
	}
	return err_msg(err, "help: unknown command '%s' (see kage --help)", argv[optind]);
}
