/*
 * What each long-lived thread of a VMM process is for. A thread calls thread_role__enter()
 * first thing in its start routine: it is named (for logs, /proc and `top -H`), and whoever
 * registered a confinement (the sandbox: confine/seccomp.c) confines it. Devices and the VMM
 * know the roles only, never how they are confined; with nothing registered (unit tests,
 * fuzzers) entering a role just names the thread.
 */
#ifndef KAGE_LIB_THREAD_ROLE_H
#define KAGE_LIB_THREAD_ROLE_H

enum thread_role {
	THREAD_MAIN,		/* the process's own thread: relay, control socket, teardown */
	THREAD_VCPU,		/* KVM_RUN and MMIO exits */
	THREAD_LOOP,		/* the epoll loop: virtio-net, vsock, ioeventfds */
	THREAD_BLK,		/* virtio-blk workers */
	THREAD_FS,		/* virtio-fs FUSE workers */
	THREAD_DNS,		/* the sandbox's DNS forwarder */
	THREAD_NETWATCH,	/* the sandbox's rtnetlink link watcher */
	THREAD_ROLES
};

typedef void (*thread_role_fn)(enum thread_role role);

/* fn confines every thread that enters a role from now on; NULL: none. */
void thread_role__register(thread_role_fn fn);
/* Names the calling thread (name NULL: the role's own name), then confines it. */
void thread_role__enter(enum thread_role role, const char *name);
/* "vcpu", "loop", ...: the role's short name; NULL when out of range. */
const char *thread_role__name(enum thread_role role);
/* The role from its short name, or -1. */
int thread_role__from_name(const char *name);

#endif
