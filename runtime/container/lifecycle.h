/*
 * The OCI lifecycle behind the runc verbs: create, start, exec, kill and delete of a container
 * whose state lives under --root. The verb files parse flags and call these.
 */
#ifndef KAGE_RUNTIME_CONTAINER_LIFECYCLE_H
#define KAGE_RUNTIME_CONTAINER_LIFECYCLE_H

#include <stdbool.h>
#include <sys/types.h>

#include "../../lib/err.h"
#include "../../vmm/vm.h"
#include "../cli/cli.h"

struct container;
struct oci_spec;

struct create_opts {
	const char *id;
	const char *bundle;		/* default "." */
	const char *pid_file;		/* or NULL */
	const char *console_socket;	/* or NULL */
	struct vm_config base;		/* the guest images (vm_plan__embedded_images) */
};

/*
 * create's options (and run's --detach when detach is given) into co, in cmd_create.c:
 * returns >= 0, -2 after printing the help, or -1 with err set.
 */
int cmd_create__parse(int argc, char **argv, struct create_opts *co, bool *detach,
		      struct err **err);
/* Creates the container; *pid is its sandbox, which stays behind (our child until we exit). */
int lifecycle__create(const struct globals *g, struct create_opts *co, pid_t *pid,
		      struct err **err);
int lifecycle__start(const struct globals *g, const char *id, struct err **err);
int lifecycle__kill(const struct globals *g, const char *id, int sig, bool all,
		    struct err **err);
int lifecycle__delete(const struct globals *g, const char *id, bool force, struct err **err);
/* Stops (pause) or restarts (resume) the container's vCPUs. */
int lifecycle__pause(const struct globals *g, const char *id, bool pause, struct err **err);

#define EXEC_ENV_MAX 256

/* exec's command line: COMMAND (args) over the container's own process, or --process. */
struct exec_opts {
	const char *id, *process_file, *pid_file, *console_socket, *cwd, *user;
	const char *env[EXEC_ENV_MAX];
	size_t n_env;
	bool detach, tty;
	char **args;
};

/* Runs the process in the container; returns its exit status (0 when detached), -1 on error. */
int lifecycle__exec(const struct globals *g, struct exec_opts *eo, struct err **err);

/* "TERM", "SIGTERM", "15" → 15; -1 with err for anything else. */
int lifecycle__parse_signal(const char *s, struct err **err);
/* Writes pid (no newline, as runc) to path atomically. */
int lifecycle__write_pid_file(const char *path, pid_t pid, struct err **err);
/* The guest agent's deadlines from the settings file (the defaults when it is unusable). */
void lifecycle__agent_settings(const struct globals *g);
/* The agent link to a created or running container's VM: its vsock socket. */
int lifecycle__connect(struct container *c, unsigned int port, struct err **err);
/* The container's spec as create read it (kept in its state directory), for start, exec and
 * delete: a bundle changed since does not change the container's hooks or process. */
int lifecycle__spec(const struct container *c, struct oci_spec **spec, struct err **err);

#endif
