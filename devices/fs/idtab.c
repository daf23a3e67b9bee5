/*
 * Slot tables behind the ids the guest holds (nodeids, file handles): an id is only ever
 * compared against the table, never turned into a pointer, so a forged one finds nothing.
 * Callers hold the server lock.
 */
#include <errno.h>
#include <stdlib.h>

#include "fs_int.h"

static uint64_t make_id(uint32_t idx, uint32_t gen)
{
	return (uint64_t)gen << 32 | idx;
}

static int grow(struct idtab *t)
{
	uint32_t ncap = t->cap ? t->cap * 2 : 64, i;
	void **obj;
	uint32_t *gen, *fr;

	if (ncap > t->max)
		ncap = t->max;
	if (ncap <= t->cap)
		return -ENFILE;
	obj = realloc(t->obj, ncap * sizeof(*obj));
	if (!obj)
		return -ENOMEM;
	t->obj = obj;
	gen = realloc(t->gen, ncap * sizeof(*gen));
	if (!gen)
		return -ENOMEM;
	t->gen = gen;
	fr = realloc(t->free, ncap * sizeof(*fr));
	if (!fr)
		return -ENOMEM;
	t->free = fr;
	/* Slot 0 is never used: no id is 0, and the root inode gets slot 1 (FUSE_ROOT_ID). */
	for (i = ncap; i-- > (t->cap ? t->cap : 1);) {
		t->obj[i] = NULL;
		t->gen[i] = 0;
		t->free[t->nfree++] = i;
	}
	if (!t->cap) {
		t->obj[0] = NULL;
		t->gen[0] = 0;
	}
	t->cap = ncap;
	return 0;
}

int idtab__alloc(struct idtab *t, void *obj, uint64_t *id)
{
	uint32_t idx;

	if (!t->nfree) {
		int ret = grow(t);

		if (ret < 0)
			return ret;
	}
	idx = t->free[--t->nfree];
	t->obj[idx] = obj;
	*id = make_id(idx, t->gen[idx]);
	return 0;
}

void *idtab__get(const struct idtab *t, uint64_t id)
{
	uint32_t idx = (uint32_t)id;

	if (!idx || idx >= t->cap || t->gen[idx] != (uint32_t)(id >> 32))
		return NULL;
	return t->obj[idx];
}

void idtab__remove(struct idtab *t, uint64_t id)
{
	uint32_t idx = (uint32_t)id;

	if (!idtab__get(t, id))
		return;
	t->obj[idx] = NULL;
	t->gen[idx]++;
	t->free[t->nfree++] = idx;
}

void idtab__fini(struct idtab *t)
{
	free(t->obj);
	free(t->gen);
	free(t->free);
	t->obj = NULL;
	t->gen = t->free = NULL;
	t->cap = t->nfree = 0;
}
