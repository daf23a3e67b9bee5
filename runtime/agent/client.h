/*
 * The host's typed client of the guest agent protocol (docs/agent-protocol.md): one function
 * per op, each bounded by a deadline and checking every member of the reply it uses. The
 * agent runs in the guest and is untrusted: a reply may be anything, or never come. kage gets
 * its fds from its own vsock device, tests from unix sockets, so nothing here assumes more
 * than a connected byte stream.
 */
#ifndef KAGE_RUNTIME_AGENT_CLIENT_H
#define KAGE_RUNTIME_AGENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct err;

#include "../../lib/wire/agent_proto.h"

/*
 * Deadlines for one request, from sending it to its whole reply. Ordinary ops (start,
 * signal, ps, resize, ...) answer at once on a healthy agent; setup ops (create, mount,
 * mknod, disk, network, hostname, sysctl) may wait on virtio-fs and disks, slow under nested
 * emulation. The settings file's agent_timeout_s sets the ordinary one; setup gets
 * AGENT_SETUP_FACTOR times it.
 */
#define AGENT_TIMEOUT_S_DEFAULT 10
#define AGENT_SETUP_FACTOR 12
void agent__set_timeout(unsigned int seconds);
unsigned int agent__timeout_ms(bool setup);

/* Longest process name ("p1", ...) and guest strings copied out of a reply. */
#define AGENT_NAME_MAX 64

/*
 * Sends req (adding "v" and a fresh "id" to it; the caller keeps req) and waits up to
 * timeout_ms for its response. On "ok":true *resp is the whole response (the caller puts
 * it); on "ok":false the agent's error comes back through err and the call returns -1.
 * One request at a time per fd.
 */
int agent__call(int fd, struct json_object *req, int timeout_ms, struct json_object **resp,
		struct err **err);
/* agent__call with the deadline of req's op (setup or ordinary). */
int agent__request(int fd, struct json_object *req, struct json_object **resp, struct err **err);
/* agent__request for an op whose reply carries nothing: it takes req. */
int agent__simple(int fd, struct json_object *req, struct err **err);
/*
 * The two halves, for a caller that waits on the response in its own poll loop (wait):
 * agent__send returns the id it used (>= 0); agent__recv reads the response to it, bounded
 * by the ordinary deadline once called (call it when the fd is readable).
 */
int64_t agent__send(int fd, struct json_object *req, struct err **err);
int agent__recv(int fd, int64_t id, struct json_object **resp, struct err **err);

/* The ops. Process names are the agent's ("p1"); *process is malloc'ed. */
int agent__create(int fd, struct json_object *req, char **process, struct err **err);
int agent__start(int fd, const char *process, struct err **err);
int agent__signal(int fd, const char *process, int sig, struct err **err);
/* Freezes or thaws the cgroup of the container whose init is process (a pod member's pause). */
int agent__freeze(int fd, const char *process, bool frozen, struct err **err);
int agent__resize(int fd, const char *process, unsigned int rows, unsigned int cols,
		  struct err **err);

struct agent_proc {
	char process[AGENT_NAME_MAX];
	char owner[AGENT_NAME_MAX];	/* the container init it belongs to (itself for one), or "" */
	int64_t pid;
	bool exited;
};

struct agent_guest_proc {
	int64_t pid, ppid;
	char state[8];
	char comm[AGENT_NAME_MAX];
};

struct agent_ps {
	struct agent_proc *procs;	/* the processes the agent manages */
	size_t n_procs;
	struct agent_guest_proc *all;	/* every process of the guest, with all */
	size_t n_all;
};

/* With all, every process of the guest too; of (or NULL) keeps those to the cgroup of the
 * container whose init it names. */
int agent__ps(int fd, bool all, const char *of, struct agent_ps *out, struct err **err);
void agent_ps__free(struct agent_ps *ps);

/*
 * stats (stats.c): a container's figures from inside the guest, its init process's cgroup
 * and network namespace. A group the guest could not read is absent (has_* false); limits
 * are -1 for "max". Every number is checked to be an integer in range.
 */
struct agent_stat_kv {
	char key[AGENT_NAME_MAX];
	int64_t value;
};

struct agent_io_stat {
	int64_t major, minor, rbytes, wbytes, rios, wios;
};

struct agent_net_stat {
	char name[32];
	int64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
	int64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};

struct agent_stats {
	bool has_cpu, has_memory, has_swap, has_pids, has_io, has_net;
	struct {
		int64_t usage_usec, user_usec, system_usec, nr_periods, nr_throttled,
			throttled_usec;
	} cpu;
	struct {
		int64_t current, max;
		int64_t low, high, max_events, oom, oom_kill;	/* memory.events */
	} memory;
	struct agent_stat_kv *memory_stat;	/* memory.stat, in the guest's order */
	size_t n_memory_stat;
	struct {
		int64_t current, max;
	} swap, pids;
	struct agent_io_stat *io;
	size_t n_io;
	struct agent_net_stat *net;
	size_t n_net;
};

int agent__stats(int fd, const char *process, struct agent_stats *out, struct err **err);
int agent_reply__stats(struct json_object *resp, struct agent_stats *out, struct err **err);
void agent_stats__free(struct agent_stats *s);

/* Sends wait for process; the answer comes with agent__wait_recv. */
int64_t agent__wait_send(int fd, const char *process, struct err **err);
/* The process's exit status (128 + signal for a killed one), 0..255. */
int agent__wait_recv(int fd, int64_t id, int *status, struct err **err);

/*
 * The setup ops that change the guest and answer nothing: each sends body (the op's members,
 * without "op": docs/agent-protocol.md) as its op and takes it.
 */
int agent__mount(int fd, struct json_object *body, struct err **err);
int agent__mknod(int fd, struct json_object *body, struct err **err);
int agent__network(int fd, struct json_object *body, struct err **err);
/* sysctl: settings maps each key to its value. */
int agent__sysctl(int fd, struct json_object *settings, struct err **err);
/* Either name may be NULL (left as it is). */
int agent__hostname(int fd, const char *hostname, const char *domainname, struct err **err);

/* Every mount at or under target in the guest goes (a pod member's root, at its delete). */
int agent__unmount(int fd, const char *target, struct err **err);

/* Asks for a clean shutdown; no answer is waited for (the guest resets instead). */
int agent__shutdown(int fd, struct err **err);

/* The guest's node and device number of the virtio-blk disk with serial. */
int agent__disk(int fd, const char *serial, char *device, size_t size, int64_t *major,
		int64_t *minor, struct err **err);

/* Makes a fresh connection to the agent's stdio port the given stream ("stdin", "stdout" or
 * "stderr") of process; afterwards the fd carries that stream's raw bytes. */
int agent__open_stream(int fd, const char *process, const char *stream, struct err **err);

/*
 * Reply decoding, apart from the I/O so that it can be fuzzed (reply.c). Each takes a
 * parsed frame and the op it answers; errors read "the guest agent's reply to OP: ...".
 */
int agent_reply__check(struct json_object *resp, int64_t id, const char *op, struct err **err);
int agent_reply__create(struct json_object *resp, char **process, struct err **err);
int agent_reply__ps(struct json_object *resp, struct agent_ps *out, struct err **err);
int agent_reply__wait(struct json_object *resp, int *status, struct err **err);
int agent_reply__disk(struct json_object *resp, char *device, size_t size, int64_t *major,
		      int64_t *minor, struct err **err);

/* Typed members of a reply object o; field names the member in errors. */
int reply__string(struct json_object *o, const char *op, const char *field, size_t max,
		  const char **out, struct err **err);
int reply__int(struct json_object *o, const char *op, const char *field, int64_t min,
	       int64_t max, int64_t *out, struct err **err);
int reply__bool(struct json_object *o, const char *op, const char *field, bool *out,
		struct err **err);
int reply__array(struct json_object *o, const char *op, const char *field,
		 struct json_object **out, size_t *n, struct err **err);

#endif
