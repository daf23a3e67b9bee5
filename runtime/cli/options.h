/*
 * One description of a command's options drives its getopt_long parsing, its --help, the man
 * page and the shell completions, so none of them can name a flag the others do not know.
 */
#ifndef KAGE_RUNTIME_CLI_OPTIONS_H
#define KAGE_RUNTIME_CLI_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_STR_(x) #x
#define CLI_STR(x) CLI_STR_(x)

/* A row whose name is NULL is a heading: its help is printed as a line of its own. */
struct cli_opt {
	const char *name;	/* the long name, without "--" */
	char short_name;	/* 0: none */
	const char *arg;	/* the argument's name in the help; NULL: takes no argument */
	int val;		/* what getopt_long returns for it */
	/* One line per "\n"; NULL: accepted for compatibility only, and listed as such. */
	const char *help;
};

/* What a command's first operand is, for the completions to offer. */
enum cli_operand {
	CLI_OPERAND_OTHER,	/* nothing to offer, or a file */
	CLI_OPERAND_CONTAINER,	/* an existing container's id (`kage list -q`) */
	CLI_OPERAND_COMMAND,	/* one of kage's commands */
};

struct cli_cmd {
	const char *name;	/* "create"; the global options' table is "kage" */
	/* After "kage ": "create [options] CONTAINER_ID"; one usage form per "\n". */
	const char *synopsis;
	const char *about;	/* what it does, as paragraph text with "\n" line breaks */
	const struct cli_opt *opts;
	size_t n_opts;
	enum cli_operand operand;
};

/* Every command takes -h/--help; the tables leave it out and the helpers below add it. */
extern const struct cli_opt cli_opt__help;

#define CLI_OPTS_MAX 32

/* getopt_long's view of a table: built on the stack by each parse. */
struct cli_getopt {
	struct option longopts[CLI_OPTS_MAX + 2];
	char shortopts[3 * CLI_OPTS_MAX + 8];
};

/*
 * Fills go from the first n options of cmd plus --help; flags go first in the short option
 * string ("+": stop at the first operand, ":": report a missing argument as ':').
 */
void cli_getopt__init(struct cli_getopt *go, const struct cli_cmd *cmd, size_t n,
		      const char *flags);

/* The i-th row of cmd counting the implicit --help last (headings too); NULL past the end. */
const struct cli_opt *cli_cmd__opt_at(const struct cli_cmd *cmd, size_t i);

/* "Usage: kage SYNOPSIS", the about text and the options, as `kage VERB --help` prints them. */
void cli_cmd__usage(const struct cli_cmd *cmd, FILE *out);
/* Only the option lines, indented, with the help aligned in one column. */
void cli_cmd__print_opts(const struct cli_cmd *cmd, FILE *out);

#endif
