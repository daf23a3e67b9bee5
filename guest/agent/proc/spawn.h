/*
 * Forking a process held before exec: the child sets itself up (stdio, credentials, limits,
 * capabilities, working directory, executable lookup), reports ready, waits for start, then execs. Reports
 * travel on a close-on-exec pipe, so EOF on it after start means the exec succeeded.
 */
#ifndef KAGE_GUEST_AGENT_PROC_SPAWN_H
#define KAGE_GUEST_AGENT_PROC_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "caps.h"
#include "scfilter.h"

struct devcg_rule;
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
	/* A pod member's init: the pod's namespaces it enters rather than makes (ns_share,
	 * none of them in ns_new), those of the pod's first init share_pid; and that its end
	 * ends its own container only, not the VM's (member). */
	unsigned int ns_share;
	pid_t share_pid;
	bool member;
	char **masked, **readonly;	/* the init's masked and read-only paths in root */
	unsigned long root_propagation;	/* rootfs_propagation's MS_* flags, or 0 */
	/* A user namespace's maps as its uid_map and gid_map files take them (owned) */
	char *uid_map, *gid_map;
	/* The container's cgroup v2 files (borrowed from the request): its init gets one */
	struct json_object *cgroup;
	struct devcg_rule *dev_rules;	/* its device rules (owned); none: no program */
	size_t ndev_rules;
	const char *cgroup_dir;	/* an exec: the cgroup its init made, to join */
};

/* The parent's ends; -1 where there is none. */
struct spawn_fds {
	int hold;	/* write a byte to let the child exec */
	int report;	/* child reports, non-blocking */
	int pty;	/* the pty master (terminal) */
	int in, out, err;	/* non-blocking; for a terminal, dups of the master */
};

/* A child's report: fixed size, under PIPE_BUF, so each arrives whole. */
/* REPORT_MAP_IDS: the child made its user namespace; the agent writes the maps, then
 * writes a byte to the hold pipe (the child may not write them itself). */
enum { REPORT_READY = 1, REPORT_ERROR = 2, REPORT_MAP_IDS = 3 };
struct spawn_report {
	int32_t kind;
	int32_t errnum;
	char msg[200];
};

/* cgroup: a cgroup directory the child joins before anything else, or NULL. */
int spawn__fork(const struct proc_spec *spec, const char *cgroup, pid_t *pid,
		struct spawn_fds *fds, struct err **err);
void spawn__close(struct spawn_fds *fds);

#endif
