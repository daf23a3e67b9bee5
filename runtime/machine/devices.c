/*
 * The optional devices of `kage vm` and `kage vm run`: host directories shared through
 * virtio-fs (--share) and disks through virtio-blk (--disk), parsed from the command line and
 * added to the VM before it starts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../devices/blk/blk.h"
#include "../../devices/fs/fs.h"
#include "../../devices/virtio/mmio.h"
#include "../../devices/net/net.h"
#include "../../devices/vsock/vsock.h"
#include "../../lib/cleanup.h"
#include "../../lib/log.h"
#include "../oci/settings.h"
#include "vm_plan.h"

/* Takes a trailing ":ro" or ":rw" off s. */
static void split_ro(char *s, bool *readonly)
{
	char *colon = strrchr(s, ':');

	if (colon && (!strcmp(colon, ":ro") || !strcmp(colon, ":rw"))) {
		*readonly = colon[1] == 'r' && colon[2] == 'o';
		*colon = 0;
	}
}

/* A copy of arg, kept in o, with a trailing ":ro" or ":rw" taken off. */
static char *split_mode(struct vm_opts *o, const char *arg, bool *readonly, struct err **err)
{
	char *s = strdup(arg);

	if (!s)
		return err_errno(err, "copy '%s'", arg), NULL;
	o->arg_copies[o->nr_arg_copies++] = s;
	*readonly = false;
	split_ro(s, readonly);
	return s;
}

/* Takes trailing ":cache=none|auto|always" words off s (before any ":ro"), default auto. */
static int split_cache(char *s, int *cache, struct err **err)
{
	static const char *const names[] = { [FS_CACHE_NONE] = "none", [FS_CACHE_AUTO] = "auto",
					     [FS_CACHE_ALWAYS] = "always" };
	char *colon = strrchr(s, ':');

	*cache = FS_CACHE_AUTO;
	if (!colon || strncmp(colon, ":cache=", 7))
		return 0;
	for (int i = 0; i < (int)ARRAY_SIZE(names); i++)
		if (!strcmp(colon + 7, names[i])) {
			*cache = i;
			*colon = 0;
			return 0;
		}
	return err_msg(err, "--share: '%s' is not cache=none, auto or always", colon + 1);
}

int vm_devices__parse_share(struct vm_opts *o, const char *arg, struct err **err)
{
	struct vm_share *sh = &o->shares[o->nr_shares];
	char *s, *colon;

	if (o->nr_shares == VM_SHARES_MAX)
		return err_msg(err, "--share: at most %d shares", VM_SHARES_MAX);
	s = split_mode(o, arg, &sh->readonly, err);
	if (!s || split_cache(s, &sh->cache, err) < 0)
		return -1;
	if (!sh->readonly)	/* ":ro:cache=X" and ":cache=X:ro" both read naturally */
		split_ro(s, &sh->readonly);
	colon = strchr(s, ':');
	if (!colon || colon == s || colon[1] != '/' || strchr(colon + 1, ':'))
		return err_msg(err, "--share '%s' is not HOSTDIR:/GUESTPATH[:ro][:cache=MODE]", arg);
	*colon = 0;
	sh->host_path = s;
	sh->guest_path = colon + 1;
	if (!strcmp(sh->guest_path, "/") && vm_devices__root_share(o) >= 0)
		return err_msg(err, "--share: only one share can be the guest's /");
	o->nr_shares++;
	return 0;
}

int vm_devices__parse_disk(struct vm_opts *o, const char *arg, struct err **err)
{
	struct vm_disk *d = &o->disks[o->nr_disks];

	if (o->nr_disks == VM_DISKS_MAX)
		return err_msg(err, "--disk: at most %d disks", VM_DISKS_MAX);
	d->path = split_mode(o, arg, &d->readonly, err);
	if (!d->path)
		return -1;
	if (!*d->path)
		return err_msg(err, "--disk '%s' is not PATH[:ro]", arg);
	o->nr_disks++;
	return 0;
}

int vm_devices__fs_policy(int share_policy)
{
	return share_policy == CONFIG_SHARE_RUNC ? FS_POLICY_RUNC : FS_POLICY_STRICT;
}

int vm_devices__config_policy(struct vm_opts *o, const char *config_path, struct err **err)
{
	_cleanup_(config__free) struct kage_config c = { 0 };

	if (config__load(config_path, &c, err) < 0)
		return -1;
	for (unsigned int i = 0; i < o->nr_shares; i++)
		o->shares[i].policy = vm_devices__fs_policy(c.share_policy);
	return 0;
}

int vm_devices__root_share(const struct vm_opts *o)
{
	for (unsigned int i = 0; i < o->nr_shares; i++)
		if (!strcmp(o->shares[i].guest_path, "/"))
			return i;
	return -1;
}

void vm_devices__share_tag(unsigned int i, char *tag, size_t size)
{
	snprintf(tag, size, "share%u", i);
}

/*
 * Puts a device with worker threads on the bus, then hands it to the VM. In that order: the VM
 * frees what it owns last-in first-out, so the device (joining its workers, which may still
 * be raising an interrupt) goes before the transport it interrupts through.
 */
static int own_device(struct vm *vm, struct virtio_dev *dev, void *obj, void (*destroy)(void *),
		      struct err **err)
{
	if (virtio_mmio__add(vm, dev, err) < 0) {
		destroy(obj);
		return -1;
	}
	if (vm__own(vm, obj, destroy) < 0) {
		destroy(obj);
		return err_msg(err, "too many devices");
	}
	return 0;
}

static int add_share(struct vm *vm, unsigned int i, const struct vm_share *sh, struct err **err)
{
	struct fs_share_opts fo = { .dir = sh->host_path, .readonly = sh->readonly,
				    .cache = sh->cache, .policy = sh->policy };
	struct virtio_fs *fs = NULL;
	char tag[16];

	vm_devices__share_tag(i, tag, sizeof(tag));
	if (virtio_fs__create(&fs, tag, &fo, err) < 0) {
		virtio_fs__destroy(fs);
		return err_prefix(err, "--share %s", sh->host_path);
	}
	return own_device(vm, virtio_fs__dev(fs), fs, virtio_fs__destroy, err);
}

static int add_disk(struct vm *vm, const struct vm_disk *d, struct err **err)
{
	struct blk_opts bo = { .path = d->path, .readonly = d->readonly, 
			       .serial = d->serial[0] ? d->serial : NULL };
	struct blk *b = NULL;

	if (blk__create(&b, &vm->loop, &bo, err) < 0) {
		blk__destroy(b);
		return err_prefix(err, "--disk %s", d->path);
	}
	return own_device(vm, blk__dev(b), b, blk__destroy, err);
}

/* The card starts with its link down: the container's network is plugged at start. */
static int add_net(struct vm *vm, struct vm_opts *o, struct err **err)
{
	struct net_opts no = { .fd = o->net.fd, .tap = true, .mtu = UINT16_MAX };
	struct net *n = NULL;

	memcpy(no.mac, o->net.mac, sizeof(no.mac));
	o->has_net = false;	/* the fd is the device's now, whatever happens */
	if (net__create(&n, &vm->loop, &no, err) < 0) {
		net__destroy(n);
		return err_prefix(err, "network card");
	}
	if (own_device(vm, net__dev(n), n, net__destroy, err) < 0)
		return -1;
	o->net_dev = n;
	return 0;
}

int vm_devices__add(struct vm *vm, struct vm_opts *o, struct err **err)
{
	if (o->has_net && add_net(vm, o, err) < 0)
		return -1;
	for (unsigned int i = 0; i < o->nr_disks; i++)
		if (add_disk(vm, &o->disks[i], err) < 0)
			return -1;
	for (unsigned int i = 0; i < o->nr_shares; i++)
		if (add_share(vm, i, &o->shares[i], err) < 0)
			return -1;
	return 0;
}

void vm_devices__free(struct vm_opts *o)
{
	if (o->has_net)		/* a tap no device took */
		close(o->net.fd);
	o->has_net = false;
	for (unsigned int i = 0; i < o->nr_arg_copies; i++)
		free(o->arg_copies[i]);
	o->nr_arg_copies = 0;
}

/* Every VM gets a vsock device: it is how kage reaches the guest agent. */
static int add_vsock(struct vm *vm, struct vm_opts *o, struct vsock **out, struct err **err)
{
	struct vsock *v = NULL;

	if (vsock__create(&v, &vm->loop, GUEST_CID, o->vsock_path, err) < 0) {
		vsock__destroy(v);
		return -1;
	}
	if (vm__own(vm, v, vsock__destroy) < 0) {
		vsock__destroy(v);
		return err_msg(err, "too many devices");
	}
	if (virtio_mmio__add(vm, vsock__dev(v), err) < 0)
		return -1;
	if (out)
		*out = v;
	return 0;
}

int vm_cli__create(struct vm_opts *o, struct vm **vm, struct vsock **vs, struct err **err)
{
	if (vcpu__install_kick_handler(err) < 0 || vm__create(vm, &o->cfg, err) < 0)
		return -1;
	if (add_vsock(*vm, o, vs, err) < 0)
		return -1;
	return vm_devices__add(*vm, o, err);
}
