/*
 * A model of Linux's virtiofs client for the FUSE server's unit tests: each request is built
 * in a buffer and cut into three segments (one boundary inside the header), the reply room
 * into two, and the reply's framing is checked. Included by one test file each.
 */
#ifndef KAGE_TESTS_UNIT_FUSE_CLIENT_H
#define KAGE_TESTS_UNIT_FUSE_CLIENT_H

#include <errno.h>
#include <linux/fuse.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "devices/fs/fuse_server.h"

static struct fuse_server *srv;
static char dir[96];	/* the share's host directory */
static uint64_t next_unique = 1;
static bool framing_ok = true;
static uint32_t req_uid, req_gid;	/* the requesting guest user */

static struct {
	struct fuse_out_header h;
	uint8_t body[256 * 1024];
} rep;

/*
 * Sends opcode on nodeid with up to three argument parts, the request cut into three
 * segments (one boundary inside the header) and the reply room into two. Returns the reply's
 * error (0 or -errno); the body is in rep.body.
 */
static int call3(uint32_t op, uint64_t node, const void *a, size_t al, const void *b, size_t bl,
		 const void *c, size_t cl)
{
	static uint8_t req[256 * 1024];
	struct fuse_in_header h = { .len = sizeof(h) + al + bl + cl, .opcode = op,
				    .unique = next_unique++, .nodeid = node, .uid = req_uid,
				    .gid = req_gid };
	struct iovec in[3], out[2];
	uint32_t got, cut = h.len / 2 > 20 ? h.len / 2 : 20;

	memcpy(req, &h, sizeof(h));
	if (al)
		memcpy(req + sizeof(h), a, al);
	if (bl)
		memcpy(req + sizeof(h) + al, b, bl);
	if (cl)
		memcpy(req + sizeof(h) + al + bl, c, cl);
	in[0] = (struct iovec){ req, 13 };
	in[1] = (struct iovec){ req + 13, cut - 13 };
	in[2] = (struct iovec){ req + cut, h.len - cut };
	out[0] = (struct iovec){ &rep, 100 };
	out[1] = (struct iovec){ (uint8_t *)&rep + 100, sizeof(rep) - 100 };
	memset(&rep, 0xa5, sizeof(rep.h) + 256);
	got = fuse_server__handle(srv, in, 3, out, 2);
	if (op == FUSE_FORGET || op == FUSE_BATCH_FORGET)
		return got ? -EPROTO : 0;
	/* Exact length, the request's unique, and an error reply carries nothing else. */
	if (got != rep.h.len || rep.h.unique != h.unique || (rep.h.error && got != sizeof(rep.h)))
		framing_ok = false;
	return rep.h.error;
}

static int call(uint32_t op, uint64_t node, const void *a, size_t al, const char *name)
{
	return call3(op, node, a, al, name, name ? strlen(name) + 1 : 0, NULL, 0);
}

static const char *host(const char *rel)
{
	static char p[2][256];
	static int k;

	k ^= 1;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, rel);
	return p[k];
}

#endif
