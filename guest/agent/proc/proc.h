/*
 * The processes the agent manages: created (forked, held before exec), started, exited.
 * A process is forgotten once a wait has reported its exit, so the table stays small.
 */
#ifndef KAGE_GUEST_AGENT_PROC_PROC_H
#define KAGE_GUEST_AGENT_PROC_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "../conn.h"
#include "../loop.h"
#include "spawn.h"
#include "stream.h"

enum proc_state {
	PROC_SETUP,	/* forked, the child is still setting up; create not answered yet */
	PROC_CREATED,	/* held before exec until start */
	PROC_RUNNING,
	PROC_EXITED,	/* reaped; its output may still be draining */
};

struct waiter {
	struct waiter *next;
	struct reply r;
};

struct proc {
	struct proc *next;
	char id[24];
	pid_t pid;
	enum proc_state state;
	bool terminal;
	bool init;	/* its exit kills every other process, as a PID namespace's init does */
	unsigned int ns;	/* the namespaces it made (CLONE_NEW*), for execs to join */
	bool member;	/* a pod member's init: its end ends its own container, not the VM's */
	char owner[24];	/* the container init it belongs to (itself for an init), or "" */
	bool ready;	/* the child finished its setup and create was answered */
	bool started;
	bool done;	/* exited and its output fully delivered: wait can answer */
	bool forget;	/* drop from the table once done, even if nobody waited */
	bool retired;	/* freed by proc__collect() */
	int status;	/* wait status once exited */
	int hold_fd;	/* the child blocks reading this until start */
	int pty_fd;	/* the pty master, kept for resize; -1 without a terminal */
	struct watch report;	/* the child's setup and exec reports, EOF at exec */
	struct json_object *args;	/* for ps */
	struct io io[IO_COUNT];
	struct reply create_reply, start_reply;
	struct waiter *waiters;
	char cgroup[64];	/* a container init's cgroup (cgroup.c), "" for none */
	char *uid_map, *gid_map;	/* an init's user namespace maps, until written */
};

/* Forks the process; create is answered once the child is ready or failed. */
void proc__create(const struct proc_spec *spec, struct json_object *args, struct reply r);
void proc__start(struct proc *p, struct reply r);
void proc__wait(struct proc *p, struct reply r);
struct proc *proc__find(const char *id);
struct proc *proc__first(void);
const char *proc__state_name(const struct proc *p);
/* The shell's convention: the exit code, or 128 + the signal. */
int proc__exit_status(const struct proc *p);
/* Something about p's stdio changed: answer waits once exit and output are both complete. */
void proc__check_done(struct proc *p);
/* Reaps every exited child (SIGCHLD), managed or not. */
void proc__reap(void);
/* Whether an answer to c is still pending (a create, start or wait). */
bool proc__owes(const struct conn *c);
/* A control connection went away: drop the answers it was owed. */
void proc__forget_conn(struct conn *c);
/* Frees processes retired since the last call (run between events). */
void proc__collect(void);
/* Shutdown: signals the managed processes' groups; as PID 1 everything else too. */
void proc__signal_all(bool pid1, int sig);
/* True when every managed process has exited and delivered its output. */
bool proc__all_done(void);
/* Last resort at exit: SIGKILL what is left and reap it for up to timeout_ms. */
void proc__kill_rest(bool pid1, int timeout_ms);

#endif
