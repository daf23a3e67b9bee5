/*
 * `kage completion bash|zsh`: shell completion scripts written from the verb table and the
 * option tables (options.h), so they offer exactly the flags the parsers accept.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/cleanup.h"
#include "cli.h"

const struct cli_cmd cmd_completion_usage = {
	"completion", "completion bash|zsh",
	"Print a completion script for the shell: for bash, source it or install it as\n"
	"share/bash-completion/completions/kage; for zsh, install it as _kage in a\n"
	"directory of $fpath. Container ids come from `kage list -q`.",
	NULL, 0, CLI_OPERAND_OTHER,
};

/* Names and flags are ours ([a-z0-9-]); only help text needs quoting, zsh's. */
/* The flags of cmd separated by sep (" " for a word list, "|" for a case pattern). */
static void flag_words(FILE *out, const struct cli_cmd *cmd, bool with_arg_only,
		       const char *between)
{
	const struct cli_opt *o;
	const char *sep = "";

	for (size_t i = 0; (o = cli_cmd__opt_at(cmd, i)); i++) {
		if (!o->name || (with_arg_only && !o->arg))
			continue;
		if (o->short_name)
			fprintf(out, "%s-%c", sep, o->short_name), sep = between;
		fprintf(out, "%s--%s", sep, o->name);
		sep = between;
	}
}

static void bash_case(FILE *out, const char *pattern, const struct cli_cmd *cmd, bool ids,
		      bool verbs)
{
	fprintf(out, "\t%s)\n\t\tflags='", pattern);
	flag_words(out, cmd, false, " ");
	fputs("'\n\t\targflags='", out);
	flag_words(out, cmd, true, " ");
	fprintf(out, "'\n\t\tids=%d words=%d\n\t\t;;\n", ids, verbs);
}

static void print_bash(FILE *out)
{
	size_t n;
	const struct verb *verbs = cli__verbs(&n);

	fputs("# bash completion for kage(8), written by `kage completion bash` from its option\n"
	      "# tables.\n"
	      "_kage() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	      "\tlocal i word verb= root= flags argflags ids words\n"
	      "\t# The verb is the first word that is neither a global option nor its argument.\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tword=${COMP_WORDS[i]}\n"
	      "\t\tcase $word in\n"
	      "\t\t--root) root=${COMP_WORDS[i + 1]}; ((i++)) ;;\n"
	      "\t\t--root=*) root=${word#--root=} ;;\n"
	      "\t\t", out);
	flag_words(out, &cli_globals_cmd, true, "|");
	fputs(") ((i++)) ;;\n"
	      "\t\t-*) ;;\n"
	      "\t\t*) verb=$word; break ;;\n"
	      "\t\tesac\n"
	      "\tdone\n"
	      "\tcase $verb in\n", out);
	bash_case(out, "''", &cli_globals_cmd, false, true);
	for (size_t i = 0; i < n; i++) {
		if (!verbs[i].cmd)
			continue;
		bash_case(out, verbs[i].name, verbs[i].cmd,
			  verbs[i].cmd->operand == CLI_OPERAND_CONTAINER,
			  verbs[i].cmd->operand == CLI_OPERAND_COMMAND);
	}
	/* A verb without a table yet: the flags its own --help lists. */
	fputs("\t*)\n\t\tflags=$(kage \"$verb\" --help 2>/dev/null | grep -oE -- "
	      "'--[a-z][a-z0-9-]*' | sort -u)\n\t\targflags= ids=0 words=0\n\t\t;;\n\tesac\n"
	      "\t# An option's argument: a file name.\n"
	      "\tcase \" $argflags \" in\n"
	      "\t*\" $prev \"*)\n"
	      "\t\t[ -n \"$prev\" ] && { COMPREPLY=($(compgen -f -- \"$cur\")); return; } ;;\n"
	      "\tesac\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n"
	      "\telif ((words)); then\n"
	      "\t\tCOMPREPLY=($(compgen -W '", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? " " : "", verbs[i].name);
	fputs("' -- \"$cur\"))\n"
	      "\telif ((ids)); then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$(kage ${root:+--root \"$root\"} list -q "
	      "2>/dev/null)\" -- \"$cur\"))\n"
	      "\telse\n"
	      "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "\tfi\n"
	      "}\n"
	      "complete -F _kage kage\n", out);
}

/*
 * s inside a single-quoted zsh word, its lines joined; in_spec: inside an _arguments spec,
 * where '[', ']' and ':' would end a part.
 */
static void zsh_text(FILE *out, const char *s, bool in_spec)
{
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else if (*s == '\n')
			fputc(' ', out);
		else if (in_spec && strchr("[]:\\", *s))
			fprintf(out, "\\%c", *s);
		else
			fputc(*s, out);
	}
}

static void zsh_spec(FILE *out, const struct cli_opt *o, const char *flag, bool is_long)
{
	fprintf(out, " \\\n\t\t'%s%s[", flag, o->arg ? (is_long ? "=" : "+") : "");
	zsh_text(out, o->help ? o->help : "accepted for runc compatibility", true);
	fputc(']', out);
	if (o->arg) {
		fputc(':', out);
		zsh_text(out, o->arg, true);
		fputs(":_files", out);
	}
	fputc('\'', out);
}

static void zsh_specs(FILE *out, const struct cli_cmd *cmd)
{
	const struct cli_opt *o;
	char flag[64];

	for (size_t i = 0; (o = cli_cmd__opt_at(cmd, i)); i++) {
		if (!o->name)
			continue;
		if (o->short_name) {
			snprintf(flag, sizeof(flag), "-%c", o->short_name);
			zsh_spec(out, o, flag, false);
		}
		snprintf(flag, sizeof(flag), "--%s", o->name);
		zsh_spec(out, o, flag, true);
	}
}

static void print_zsh(FILE *out)
{
	size_t n;
	const struct verb *verbs = cli__verbs(&n);

	fputs("#compdef kage\n"
	      "# zsh completion for kage(8), written by `kage completion zsh` from its option\n"
	      "# tables.\n\n"
	      "_kage_ids() {\n"
	      "\tlocal -a ids\n"
	      "\tids=(${(f)\"$(_call_program ids kage list -q 2>/dev/null)\"})\n"
	      "\t_describe -t ids 'container' ids\n"
	      "}\n\n"
	      "_kage() {\n"
	      "\tlocal curcontext=$curcontext state line ret=1\n"
	      "\tlocal -a verbs\n"
	      "\ttypeset -A opt_args\n"
	      "\tverbs=(", out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "\n\t\t'%s:", verbs[i].name);
		zsh_text(out, verbs[i].summary, false);
		fputc('\'', out);
	}
	fputs("\n\t)\n\t_arguments -C", out);
	zsh_specs(out, &cli_globals_cmd);
	fputs(" \\\n\t\t'(-): :->verb' \\\n\t\t'(-)*:: :->args' && ret=0\n"
	      "\tcase $state in\n"
	      "\tverb)\n\t\t_describe -t commands 'kage command' verbs && ret=0\n\t\t;;\n"
	      "\targs)\n"
	      "\t\tcurcontext=${curcontext%:*:*}:kage-$words[1]:\n"
	      "\t\tcase $words[1] in\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct cli_cmd *cmd = verbs[i].cmd;

		if (!cmd)
			continue;
		fprintf(out, "\t\t%s)\n\t\t\t_arguments -s", verbs[i].name);
		zsh_specs(out, cmd);
		if (cmd->operand == CLI_OPERAND_CONTAINER)
			fputs(" \\\n\t\t'1:container:_kage_ids'", out);
		else if (cmd->operand == CLI_OPERAND_COMMAND)
			fputs(" \\\n\t\t'1:command:(($verbs))'", out);
		fputs(" && ret=0\n\t\t\t;;\n", out);
	}
	/* A verb without a table yet: the flags its own --help lists. */
	fputs("\t\t*)\n\t\t\tlocal -a flags\n"
	      "\t\t\tflags=(${(f)\"$(_call_program flags kage $words[1] --help 2>/dev/null |\n"
	      "\t\t\t\tgrep -oE -- '--[a-z][a-z0-9-]*' | sort -u)\"})\n"
	      "\t\t\tif [[ $PREFIX == -* ]]; then\n\t\t\t\tcompadd -- $flags && ret=0\n"
	      "\t\t\telse\n\t\t\t\t_files && ret=0\n\t\t\tfi\n"
	      "\t\t\t;;\n\t\tesac\n\t\t;;\n\tesac\n\treturn ret\n}\n\n_kage \"$@\"\n", out);
}

int cmd_completion(const struct globals *g, int argc, char **argv, struct err **err)
{
	(void)g;
	if (cli__wants_help(argc, argv)) {
		cli_cmd__usage(&cmd_completion_usage, stdout);
		return 0;
	}
	if (argc != 2)
		return err_msg(err, "completion: want one shell, bash or zsh");
	if (!strcmp(argv[1], "bash"))
		print_bash(stdout);
	else if (!strcmp(argv[1], "zsh"))
		print_zsh(stdout);
	else
		return err_msg(err, "completion: unknown shell '%s' (bash or zsh)", argv[1]);
	return 0;
}
