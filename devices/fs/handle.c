/*
 * Open file and directory handles: the fh the guest gets from OPEN, CREATE and OPENDIR.
 * RELEASE takes a handle out of the table, but its fd stays open until the last request
 * still using it is done, so a racing READ never lands on a reused descriptor.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "fs_int.h"

int handle__add(struct fuse_server *s, int fd, bool dir, uint64_t *fh)
{
	struct fs_handle *h = calloc(1, sizeof(*h));
	int ret;

	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	h->fd = fd;
	h->dir = dir;
	h->refs = 1;
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_lock(&s->lock);
	ret = idtab__alloc(&s->handles, h, fh);
	pthread_mutex_unlock(&s->lock);
	if (ret < 0) {
		pthread_mutex_destroy(&h->lock);
		close(fd);
		free(h);
		/* Out of slots is the guest holding too many files open. */
		return ret == -ENFILE ? -EMFILE : ret;
	}
	return 0;
}

/* The handle `fh` if it exists and is of the wanted kind, with a reference for the caller. */
struct fs_handle *handle__get(struct fuse_server *s, uint64_t fh, bool dir)
{
	struct fs_handle *h;

	pthread_mutex_lock(&s->lock);
	h = idtab__get(&s->handles, fh);
	if (h && h->dir == dir)
		h->refs++;
	else
		h = NULL;
	pthread_mutex_unlock(&s->lock);
	return h;
}

static void handle_free(struct fs_handle *h)
{
	pthread_mutex_destroy(&h->lock);
	close(h->fd);
	free(h);
}

void handle__put(struct fuse_server *s, struct fs_handle *h)
{
	bool last;

	if (!h)
		return;
	pthread_mutex_lock(&s->lock);
	last = --h->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		handle_free(h);
}

int handle__release(struct fuse_server *s, uint64_t fh, bool dir)
{
	struct fs_handle *h;
	bool last;

	pthread_mutex_lock(&s->lock);
	h = idtab__get(&s->handles, fh);
	if (!h || h->dir != dir) {
		pthread_mutex_unlock(&s->lock);
		return -EBADF;
	}
	idtab__remove(&s->handles, fh);
	last = --h->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		handle_free(h);
	return 0;
}

void handle__drop_all(struct fuse_server *s)
{
	struct fs_handle *h;
	uint32_t idx = 1;
	bool last;

	/* The lock is dropped around each close, so the scan resumes where it left off. */
	for (;;) {
		pthread_mutex_lock(&s->lock);
		for (h = NULL; idx < s->handles.cap && !h; idx++)
			h = s->handles.obj[idx];
		if (!h) {
			pthread_mutex_unlock(&s->lock);
			return;
		}
		idtab__remove(&s->handles, (uint64_t)s->handles.gen[idx - 1] << 32 | (idx - 1));
		last = --h->refs == 0;
		pthread_mutex_unlock(&s->lock);
		if (last)
			handle_free(h);
	}
}
