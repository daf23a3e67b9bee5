/* Small I/O helpers every part of kage shares. */
#ifndef KAGE_LIB_IO_H
#define KAGE_LIB_IO_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Writes all of buf, retrying short writes and EINTR; -1 with errno set on failure. */
int io__write_all(int fd, const void *buf, size_t len);
/* Reads len bytes, retrying short reads and EINTR; returns len, fewer at end of file, or -1
 * with errno set. */
ssize_t io__read_all(int fd, void *buf, size_t len);

/* Points fds 0-2 at /dev/null: a process that outlives the command which started it lets go
 * of that command's stdio (whose reader may wait for every writer to close); -1 with errno. */
int io__release_stdio(void);
/* Opens /dev/null now, for the next io__release_stdio, in a process about to enter a cgroup
 * whose device filter may deny it (podman's pods deny every device); -1 with errno. */
int io__keep_null(void);

/* Binds a Unix socket so that its file is mode 0600 whatever the process's umask: only root
 * reaches it, even in a directory others can search. -1 with errno set. */
int io__bind_private(int fd, const struct sockaddr *sa, socklen_t len);

#endif
