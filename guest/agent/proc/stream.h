/*
 * Stdio of a managed process, relayed over stream connections. Each of stdin, stdout and
 * stderr is an io: the process-side fd (a pipe end or a dup of the pty master), the stream
 * connection once the host attaches one, and a bounded buffer between them. Bytes move only
 * when the receiving side can take them, so neither side ever buffers without bound.
 */
#ifndef KAGE_GUEST_AGENT_PROC_STREAM_H
#define KAGE_GUEST_AGENT_PROC_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "../loop.h"

#define STREAM_BUF (64 * 1024)

enum io_kind { IO_STDIN, IO_STDOUT, IO_STDERR, IO_COUNT };

struct proc;

struct io {
	struct proc *proc;
	enum io_kind kind;
	struct watch pipe;	/* process side; fd -1 once closed */
	struct watch sock;	/* stream connection; fd -1 until attached and once closed */
	char *buf;
	size_t off, len;
	bool attached;	/* a stream connection was attached (it may be closed since) */
	bool discard;	/* output nobody will read: drained and dropped */
	bool eof;	/* stdout/stderr: the process side ended; stdin: the host's side did */
	bool closed;	/* finished: both fds closed */
};

/* "stdin", "stdout", "stderr": the names the protocol uses. */
const char *io__name(enum io_kind kind);
/* pipe_fd -1: the process has no such stream (stdin of a process created without one). */
void io__init(struct io *io, struct proc *p, enum io_kind kind, int pipe_fd);
/* Re-evaluates what io waits for; call after anything about its process changed. */
void io__update(struct io *io);
/* Output of a started or exited process with no stream attached is drained and dropped. */
void io__discard_unattached(struct io *io);
/* close_stdin: the process reads EOF (for a pty, input simply stops). */
void io__close(struct io *io);
/* Accepts a stream connection from the listening fd. */
void stream__accept(int listen_fd);

#endif
