/*
 * A container's state on the host: the directory <root>/<id> holding state.json, the lock
 * that serializes verbs on one container, and the VM's vsock socket. The sandbox process
 * (the pid in the pid file) stands for the workload; its liveness decides "stopped".
 */
#ifndef KAGE_RUNTIME_CONTAINER_STATE_H
#define KAGE_RUNTIME_CONTAINER_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "../../lib/err.h"

struct json_object;

enum ctr_status { CTR_CREATING, CTR_CREATED, CTR_RUNNING, CTR_PAUSED, CTR_STOPPED };

struct container {
	char *id;
	char *dir;		/* <root>/<id> */
	int lock_fd;		/* the directory, flock()ed while this struct lives */
	int path_fd;		/* the directory again (O_PATH), for long socket paths; or -1 */
	int pod_fd;		/* a member's: its sandbox's directory, likewise; or -1 */
	char *bundle;		/* absolute */
	char *rootfs;		/* absolute */
	pid_t pid;		/* the sandbox process; 0 before it exists */
	unsigned long long pid_start;	/* its start time in clock ticks, against pid reuse */
	char *created;		/* RFC 3339, UTC */
	enum ctr_status status;	/* as recorded; container__status() checks the sandbox */
	int exit_status;	/* -1 until the workload's is known */
	char *process;		/* the guest agent's name of the container's process */
	char *cgroup;		/* the sandbox's host cgroup directory, or NULL (cgroup.h) */
	char *sandbox;		/* a pod member: the id of the pod's sandbox container, whose VM
				 * it runs in (pid is then its relay); NULL otherwise */
	unsigned long long sandbox_start;	/* that sandbox's pid_start, against id reuse */
	struct json_object *annotations;	/* an object, owned */
};

#define CTR_ID_MAX 1024

/* runc's rule: letters, digits, '_', '+', '-', '.', not "." or "..", at most CTR_ID_MAX. */
int container__check_id(const char *id, struct err **err);
/* Makes <root>/<id> (and root), locked; fails when it exists. */
int container__create(const char *root, const char *id, struct container **out,
		      struct err **err);
/*
 * How long a verb waits for another's lock on the container. Every holder but create is
 * bounded by the guest agent's deadlines (a few requests of agent_timeout_s each); one that
 * takes longer is stuck, and its waiter says so rather than hanging with it.
 */
#define CONTAINER_LOCK_WAIT_S 30

/*
 * Reads <root>/<id>/state.json under the lock; "container \"ID\" does not exist", or
 * EBUSY when another command held the lock for CONTAINER_LOCK_WAIT_S.
 */
int container__load(const char *root, const char *id, struct container **out,
		    struct err **err);
/* The same without the lock, for readers (state, list) and for delete --force: never waits. */
int container__read(const char *root, const char *id, struct container **out,
		    struct err **err);
/* Writes state.json atomically. */
int container__save(struct container *c, struct err **err);
/*
 * SIGKILLs the sandbox process (only if it is still the one recorded: pid and start time)
 * and waits up to wait_ms for it to be gone; 0 when it is, -1 when it outlived the wait.
 */
int container__kill(struct container *c, int wait_ms);
/* The status now: a created/running/paused container whose sandbox is gone is stopped. */
enum ctr_status container__status(struct container *c);
const char *container__status_name(enum ctr_status s);
/* The OCI state: {"ociVersion","id","status","pid","bundle","rootfs","created",...}. */
struct json_object *container__state_json(struct container *c);
/* Writes a file of the state directory (0600, whole or not at all), under the lock. */
int container__save_file(struct container *c, const char *name, const char *buf, size_t len,
			 struct err **err);
/* Removes the state directory and everything in it. */
int container__remove(struct container *c, struct err **err);
/*
 * A Unix socket's path in the state directory, for bind() or connect(): <dir>/<name>, or
 * when that is longer than a socket address holds (Docker's state paths are), the same file
 * reached through an O_PATH fd of the directory, /proc/self/fd/N/<name>.
 */
int container__sock_path(struct container *c, const char *name, char *buf, size_t size,
			 struct err **err);
/* The --root c's state directory lies in (its parent directory) into buf. */
int container__root(const struct container *c, char *buf, size_t size, struct err **err);
/* The same for the VM's sockets (vsock.sock, sandbox.sock): a pod member's are its sandbox's. */
int container__vm_sock_path(struct container *c, const char *name, char *buf, size_t size,
			    struct err **err);
/* Every id under root (sorted); *ids NULL-terminated, free with container__free_ids. */
int container__list(const char *root, char ***ids, struct err **err);
void container__free_ids(char **ids);
void container__free(struct container *c);

/* Whether pid is still the process that started at start (clock ticks). */
bool container__pid_alive(pid_t pid, unsigned long long start);
/* The start time of pid from /proc, or 0 when it is gone. */
unsigned long long container__pid_start(pid_t pid);

static inline void container__freep(struct container **c)
{
	container__free(*c);
}
#define _cleanup_container_ __attribute__((cleanup(container__freep)))

#endif
