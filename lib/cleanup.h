/* Scope-bound cleanup: locals start at NULL/-1, ownership leaves with TAKE_PTR/TAKE_FD. */
#ifndef KAGE_LIB_CLEANUP_H
#define KAGE_LIB_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	/* close() may clobber errno, which a caller is about to report */
	int saved = errno;

	if (*fd >= 0)
		close(*fd);
	errno = saved;
}

static inline void cleanup_fclosep(FILE **f)
{
	int saved = errno;

	if (*f)
		fclose(*f);
	errno = saved;
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(cleanup_freep)
#define _cleanup_close_ _cleanup_(cleanup_closep)
#define _cleanup_fclose_ _cleanup_(cleanup_fclosep)

#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _tp_tmp = (p); \
		(p) = NULL;                  \
		_tp_tmp;                     \
	})

#define TAKE_FD(fd)                     \
	({                              \
		int _tf_tmp = (fd);     \
		(fd) = -1;              \
		_tf_tmp;                \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
