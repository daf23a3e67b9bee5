/*
 * The virtio-fs FUSE workers: a passthrough file server that resolves every name relative
 * to an O_PATH fd (devices/fs/), so the *at calls and the /proc/self/fd paths of open and
 * the xattr calls. No mount, no namespace, no exec, no socket.
 */
#include "seccomp_filter.h"

static const int fs_syscalls[] = {
	SCMP_SYS(open),			/* /proc/self/fd/N: reopening an O_PATH fd */
	SCMP_SYS(openat),
	SCMP_SYS(read),
	SCMP_SYS(readv),
	SCMP_SYS(preadv),
	SCMP_SYS(pwritev),
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(lseek),
	SCMP_SYS(getdents64),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(statx),
	SCMP_SYS(fstatfs),
	SCMP_SYS(statfs),
	SCMP_SYS(readlinkat),
	SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2),
	SCMP_SYS(mkdirat),
	SCMP_SYS(mknodat),
	SCMP_SYS(symlinkat),
	SCMP_SYS(linkat),
	SCMP_SYS(unlinkat),
	SCMP_SYS(renameat),
	SCMP_SYS(renameat2),
	SCMP_SYS(fchmod),
	SCMP_SYS(fchmodat),
	SCMP_SYS(fchownat),
	SCMP_SYS(fchown),
	SCMP_SYS(ftruncate),
	SCMP_SYS(utimensat),
	SCMP_SYS(fallocate),
	SCMP_SYS(fsync),
	SCMP_SYS(fdatasync),
	SCMP_SYS(copy_file_range),
	SCMP_SYS(fcntl),
	SCMP_SYS(getxattr),		/* by /proc/self/fd path: symlinks included */
	SCMP_SYS(lgetxattr),
	SCMP_SYS(fgetxattr),
	SCMP_SYS(setxattr),
	SCMP_SYS(lsetxattr),
	SCMP_SYS(fsetxattr),
	SCMP_SYS(listxattr),
	SCMP_SYS(llistxattr),
	SCMP_SYS(flistxattr),
	SCMP_SYS(removexattr),
	SCMP_SYS(lremovexattr),
	SCMP_SYS(fremovexattr),
	SCMP_SYS(setfsuid),		/* a request runs as its caller (devices/fs/creds.c) */
	SCMP_SYS(setfsgid),
	SCMP_SYS(geteuid),
	SCMP_SYS(getegid),
	SCMP_SYS(getuid),		/* musl's faccessat(AT_EACCESS) without faccessat2 */
	SCMP_SYS(getgid),
	SCMP_SYS(timerfd_settime),	/* the interrupt re-check timer */
};

int filter__fs(struct filter *f)
{
	return filter__allow(f, fs_syscalls, FILTER_LEN(fs_syscalls));
}
