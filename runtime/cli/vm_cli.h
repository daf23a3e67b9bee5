/* `kage vm` and `kage vm run`: the command line's options, around the VM's plan. */
#ifndef KAGE_RUNTIME_CLI_VM_CLI_H
#define KAGE_RUNTIME_CLI_VM_CLI_H

#include <stdbool.h>

#include "../../lib/err.h"
#include "../machine/vm_plan.h"

#define VM_ENV_MAX 64

struct vm_cli {
	struct vm_plan plan;

	/* kage vm run */
	bool run;
	bool tty;
	bool interactive;
	const char *cwd;
	const char *user;
	const char *env[VM_ENV_MAX];
	unsigned int nr_env;
	char **command;		/* NULL-terminated */
};

/* --share HOST:GUEST[:ro][:cache=MODE] and --disk PATH[:ro], recorded in p. */
int vm_cli__parse_share(struct vm_plan *p, const char *arg, struct err **err);
int vm_cli__parse_disk(struct vm_plan *p, const char *arg, struct err **err);
/* --tap NAME: opens the tap now (one card at most), with a random local MAC and its link up. */
int vm_cli__parse_tap(struct vm_plan *p, const char *name, struct err **err);
/* `kage vm run`: the share_policy of kage's settings (config_path: --config) for every share. */
int vm_cli__config_policy(struct vm_plan *p, const char *config_path, struct err **err);

/* `kage vm run`: boots the plan's VM, runs o->command in it through the guest agent with this
 * process's stdio, signals and terminal, and returns its exit status. */
int vm_cli__run(struct vm_cli *o, struct err **err);

#endif
