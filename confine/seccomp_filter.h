/* Internal to confine/: each role's list of system calls (confine/filter_<role>.c). */
#ifndef KAGE_CONFINE_SECCOMP_FILTER_H
#define KAGE_CONFINE_SECCOMP_FILTER_H

#include <seccomp.h>
#include <stddef.h>
#include <sys/types.h>

/* A filter being built, and what a list may depend on, known when it is built. */
struct filter {
	scmp_filter_ctx ctx;
	pid_t pid;		/* this process: the only one its threads may signal */
	size_t rules;		/* rules added so far, for `kage check` */
};

/* Each adds its role's rules; returns 0 or a negative errno from libseccomp. */
typedef int (*filter_fn)(struct filter *f);

int filter__common(struct filter *f);
int filter__main(struct filter *f);
int filter__vcpu(struct filter *f);
int filter__loop(struct filter *f);
int filter__blk(struct filter *f);
int filter__fs(struct filter *f);
int filter__dns(struct filter *f);
int filter__netwatch(struct filter *f);

/* Allows nr when every comparison in args holds (n 0: with any arguments). */
int filter__rule(struct filter *f, int nr, unsigned int n, const struct scmp_arg_cmp *args);
/* Allows each call in nrs (SCMP_SYS numbers) with any arguments. */
int filter__allow(struct filter *f, const int *nrs, size_t n);
/* Allows ioctl(fd, req) for each request number in reqs, any fd. */
int filter__allow_ioctls(struct filter *f, const unsigned long *reqs, size_t n);
/* Allows socket(domain, ...) for each domain in domains. */
int filter__allow_sockets(struct filter *f, const int *domains, size_t n);
/* Allows clone() for threads only (CLONE_THREAD set) and answers clone3 ENOSYS. */
int filter__allow_threads(struct filter *f);

/* Argument n equals v; argument n's bits in mask equal v. (libseccomp's SCMP_A0..5 leave a
 * field to the compiler, which clang's -Wextra flags.) */
#define ARG_EQ(n, v) \
	((struct scmp_arg_cmp){ .arg = (n), .op = SCMP_CMP_EQ, .datum_a = (v), .datum_b = 0 })
#define ARG_MASKED(n, mask, v) \
	((struct scmp_arg_cmp){ .arg = (n), .op = SCMP_CMP_MASKED_EQ, .datum_a = (mask), \
				.datum_b = (v) })

#define FILTER_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
