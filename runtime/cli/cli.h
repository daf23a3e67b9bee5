/* The command line: global options shared by every verb, and the verb table's entry type. */
#ifndef KAGE_RUNTIME_CLI_CLI_H
#define KAGE_RUNTIME_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "../../lib/err.h"
#include "options.h"

/* The Makefile defines both; a build outside it still compiles. */
#ifndef KAGE_VERSION
#define KAGE_VERSION "0.0.0-dev"
#endif
#ifndef KAGE_COMMIT
#define KAGE_COMMIT "unknown"
#endif

struct globals {
	const char *root;	/* state directory (--root) */
	const char *config_path;	/* --config: kage's settings file (runtime/oci/settings.h) */
	const char *log_path;	/* --log */
	bool log_json;		/* --log-format json */
	bool debug;
	bool systemd_cgroup;
};

struct verb {
	const char *name;
	/*
	 * argv[0] is the verb's name; getopt-style parsing starts at argv[1]. Returns the exit
	 * status (a verb that runs a workload passes the workload's on), or <0 with err set.
	 */
	int (*fn)(const struct globals *g, int argc, char **argv, struct err **err);
	const char *summary;
	/* It reads or writes containers' state under --root, which must then be trustworthy. */
	bool state;
	/*
	 * Its options and help (options.h), which --help, `kage help --man` and the completions
	 * print; NULL for a verb not yet described, whose summary alone is listed then.
	 */
	const struct cli_cmd *cmd;
};

/* The verb table (main.c) and the global options, for the generators that walk them. */
const struct verb *cli__verbs(size_t *n);
/* `kage --help`: the synopsis, every verb's summary and the global options. */
void cli__usage(FILE *out);
extern const struct cli_cmd cli_globals_cmd;

/* Each verb's table, defined beside its parsing in its cmd_<verb>.c. */
extern const struct cli_cmd cmd_create_usage, cmd_run_usage, cmd_start_usage, cmd_exec_usage,
	cmd_state_usage, cmd_kill_usage, cmd_delete_usage, cmd_list_usage, cmd_pause_usage,
	cmd_resume_usage, cmd_update_usage, cmd_check_usage, cmd_env_usage, cmd_features_usage,
	cmd_spec_usage, cmd_vm_usage, cmd_version_usage, cmd_help_usage, cmd_completion_usage,
	cmd_ps_usage, cmd_events_usage, cmd_install_usage, cmd_uninstall_usage;

/* Every verb lives in a cmd_<verb>.c of its own: runtime/runc/ for the runc command line, runtime/cli/ for kage's own (vm, check, env, version). */
int cmd_check(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_env(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_features(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_spec(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_vm(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_version(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_create(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_start(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_state(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_kill(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_delete(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_list(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_run(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_exec(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_ps(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_events(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_pause(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_resume(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_update(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_help(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_completion(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_install(const struct globals *g, int argc, char **argv, struct err **err);
int cmd_uninstall(const struct globals *g, int argc, char **argv, struct err **err);

/* Returns true when argv holds -h/--help; verbs print their own usage then. */
bool cli__wants_help(int argc, char **argv);
void cli__print_version(void);

#endif
