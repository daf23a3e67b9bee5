/*
 * Creating operations take the requesting guest user's uid/gid as the thread's fsuid/fsgid,
 * so new files get the guest's ownership. The raw syscalls change only the calling thread
 * (the libc wrappers may broadcast to every thread), and only a root server can switch.
 */
#include <sys/syscall.h>
#include <unistd.h>

#include "fs_int.h"

void creds__enter(const struct fs_req *r, struct fs_creds *c)
{
	c->switched = false;
	if (!r->s->switch_creds || (r->h.uid == 0 && r->h.gid == 0))
		return;
	/* gid first: a non-zero fsuid drops the capabilities that changing the gid may need. */
	c->gid = syscall(SYS_setfsgid, r->h.gid);
	c->uid = syscall(SYS_setfsuid, r->h.uid);
	c->switched = true;
}

void creds__leave(struct fs_creds *c)
{
	if (!c->switched)
		return;
	syscall(SYS_setfsuid, c->uid);
	syscall(SYS_setfsgid, c->gid);
	c->switched = false;
}
