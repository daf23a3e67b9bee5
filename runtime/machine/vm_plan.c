/*
 * A plan becomes a VM: the vsock device every VM gets (how kage reaches the guest agent), then
 * the plan's network card, disks (virtio-blk) and shares (virtio-fs), all before it starts.
 */
#include <fcntl.h>
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
#include "../../lib/file.h"
#include "../../lib/log.h"
#include "../oci/settings.h"
#include "vm_plan.h"

int vm_plan__fs_policy(int share_policy)
{
	return share_policy == CONFIG_SHARE_RUNC ? FS_POLICY_RUNC : FS_POLICY_STRICT;
}

char *vm_plan__keep(struct vm_plan *p, const char *s, struct err **err)
{
	char *copy;

	if (p->nr_copies == ARRAY_SIZE(p->copies))
		return err_msg(err, "more than %zu paths for the VM's devices", ARRAY_SIZE(p->copies)), NULL;
	copy = strdup(s);
	if (!copy)
		return err_errno(err, "copy '%s'", s), NULL;
	p->copies[p->nr_copies++] = copy;
	return copy;
}

int vm_plan__root_share(const struct vm_plan *o)
{
	for (unsigned int i = 0; i < o->nr_shares; i++)
		if (!strcmp(o->shares[i].guest_path, "/"))
			return i;
	return -1;
}

void vm_plan__share_tag(unsigned int i, char *tag, size_t size)
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

	vm_plan__share_tag(i, tag, sizeof(tag));
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

/* A container's card starts with its link down: its network is plugged at start. */
static int add_net(struct vm *vm, struct vm_plan *o, struct err **err)
{
	struct net_opts no = { .fd = o->net.fd, .tap = true, .mtu = UINT16_MAX,
			       .link_up = o->net.link_up };
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

static int add_devices(struct vm *vm, struct vm_plan *o, struct err **err)
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

int vm_plan__read_image(struct vm_plan *o, const char *path, const void **data, size_t *size,
			struct err **err)
{
	_cleanup_free_ char *buf = NULL;
	unsigned int i = 0;
	size_t len = 0;

	while (i < ARRAY_SIZE(o->images) && o->images[i])
		i++;
	if (i == ARRAY_SIZE(o->images))
		return err_msg(err, "more than %zu image files", ARRAY_SIZE(o->images));
	if (file__read_at(AT_FDCWD, path, VM_IMAGE_MAX, &buf, &len, err) < 0)
		return -1;
	if (!len)
		return err_msg(err, "%s: empty file", path);
	*data = buf;
	*size = len;
	o->images[i] = TAKE_PTR(buf);
	return 0;
}

void vm_plan__free(struct vm_plan *o)
{
	if (o->has_net)		/* a tap no device took */
		close(o->net.fd);
	o->has_net = false;
	for (unsigned int i = 0; i < o->nr_copies; i++)
		free(o->copies[i]);
	o->nr_copies = 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(o->images); i++) {
		free(o->images[i]);
		o->images[i] = NULL;
	}
}

/* Every VM gets a vsock device: it is how kage reaches the guest agent. */
static int add_vsock(struct vm *vm, struct vm_plan *o, struct vsock **out, struct err **err)
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

/* KAGE_IRQ_RESEND=on|off overrides the settings' irq_resend (kage vm has no settings). */
static int irq_resend_from_env(struct vm_config *cfg, struct err **err)
{
	const char *v = getenv("KAGE_IRQ_RESEND");

	if (!v || !*v)
		return 0;
	if (strcmp(v, "on") && strcmp(v, "off"))
		return err_msg(err, "KAGE_IRQ_RESEND: unknown value '%s' (one of off, on)", v);
	cfg->irq_resend = !strcmp(v, "on");
	return 0;
}

int vm_plan__create(struct vm_plan *o, struct vm **vm, struct vsock **vs, struct err **err)
{
	if (irq_resend_from_env(&o->cfg, err) < 0)
		return -1;
	if (vcpu__install_kick_handler(err) < 0 || vm__create(vm, &o->cfg, err) < 0)
		return -1;
	if (add_vsock(*vm, o, vs, err) < 0)
		return -1;
	return add_devices(*vm, o, err);
}
