/*
 * Forking a process held before exec: the child sets itself up (stdio, credentials, limits,
 * capabilities, working directory, executable lookup), reports ready, waits for start, then execs. Reports
 * travel on a close-on-exec pipe, so EOF on it after start means the exec succeeded.
 */
#ifndef KAGE_GUEST_AGENT_SPAWN_H
#define KAGE_GUEST_AGENT_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "caps.h"
#include "scfilter.h"

struct err;

struct spec_rlimit {
	int resource;
	struct rlimit lim;
};

/* What create asks for; strings are borrowed from the request. */
struct proc_spec {
	char **argv;	/* NULL-terminated, at least one */
	char **envp;	/* NULL-terminated */
	const char *cwd;
	const char *root;	/* the root: pivoted into with namespaces, else a chroot; or NULL */
	bool set_user;	/* uid and gid given */
	uid_t uid;
	gid_t gid;
	gid_t *gids;
	size_t ngids;
	struct spec_rlimit *rlimits;
	size_t nrlimits;
	bool terminal;
	bool init;	/* the container's init: its exit kills every other process */
	bool has_size;
	struct winsize size;
	bool has_stdin;	/* a stdin stream will be attached; else /dev/null */
	struct caps caps;
	bool no_new_privs;
	bool set_oom;
	int oom_score_adj;
	bool set_umask;
	mode_t umask;
	struct sc_prog seccomp;	/* owned; no filter when its insns is NULL */
	/* The container's namespaces (ns.c): its init makes them, an exec joins its init's. */
	unsigned int ns_new;	/* CLONE_NEW* flags; with ns_join, the ones the init made */
	pid_t ns_join;		/* the init whose namespaces an exec joins, or 0 */
	char **masked, **readonly;	/* the init's masked and read-only paths in root */
};

/* The parent's ends; -1 where there is none. */
struct spawn_fds {
	int hold;	/* write a byte to let the child exec */
	int report;	/* child reports, non-blocking */
	int pty;	/* the pty master (terminal) */
	int in, out, err;	/* non-blocking; for a terminal, dups of the master */
};

/* A child's report: fixed size, under PIPE_BUF, so each arrives whole. */
enum { REPORT_READY = 1, REPORT_ERROR = 2 };
struct spawn_report {
	int32_t kind;
	int32_t errnum;
	char msg[200];
};

int spawn__fork(const struct proc_spec *spec, pid_t *pid, struct spawn_fds *fds,
		struct err **err);
void spawn__close(struct spawn_fds *fds);

#endif
