/*
 * A container's disks (see plan.h): the rootfs as a disk image or block device
 * (io.kage.rootfs.block) and the spec's block devices (linux.devices of type "b", as Docker's
 * --device makes them), each attached with virtio-blk under a serial of its own so that the
 * agent finds it whatever name the guest kernel gave it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/crypto/sha256.h"
#include "../../lib/log.h"
#include "../agent/client.h"
#include "sizing.h"
#include "plan.h"
#include "../oci/spec.h"
#include "../machine/vm_plan.h"

#define ROOT_SERIAL "kage-root"

static void device_serial(size_t i, char *buf, size_t size)
{
	snprintf(buf, size, "kage-dev%zu", i);
}

static bool rule_matches(const struct oci_device_rule *r, char type, int64_t major,
			 int64_t minor, char access)
{
	return (r->type == 'a' || r->type == type) && (r->major < 0 || r->major == major) &&
	       (r->minor < 0 || r->minor == minor) && strchr(r->access, access);
}

/*
 * Whether the spec's device rules let the container write to block device major:minor. As in
 * the kernel's device controller the last rule that matches decides; with none the runtime
 * puts no device controller on the container, so yes.
 */
static bool writable(const struct oci_spec *s, int64_t major, int64_t minor)
{
	const struct oci_resources *r = &s->linux_.resources;
	bool allow = true;

	for (size_t i = 0; s->linux_.has_resources && i < r->n_devices; i++)
		if (rule_matches(&r->devices[i], 'b', major, minor, 'w'))
			allow = r->devices[i].allow;
	return allow;
}

/* A privileged container's spec allows every device (Docker lists all of the host's). */
static bool allows_all(const struct oci_spec *s)
{
	const struct oci_resources *r = &s->linux_.resources;

	for (size_t i = 0; s->linux_.has_resources && i < r->n_devices; i++) {
		const struct oci_device_rule *d = &r->devices[i];

		if (d->allow && d->type == 'a' && d->major < 0 && d->minor < 0 &&
		    strlen(d->access) == 3)
			return true;
	}
	return false;
}

static bool host_has_block(int64_t major, int64_t minor)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/dev/block/%lld:%lld", (long long)major,
		 (long long)minor);
	return access(path, F_OK) == 0;
}

/*
 * The host's node of block device major:minor: sysfs names it (DEVNAME in its uevent), and
 * the node must be that device. The spec's path is the container's, which may differ
 * (--device /dev/loop7:/dev/xvdb).
 */
static int host_node(int64_t major, int64_t minor, char *buf, size_t size, struct err **err)
{
	char path[64], line[256], *name = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct stat st;

	snprintf(path, sizeof(path), "/sys/dev/block/%lld:%lld/uevent", (long long)major,
		 (long long)minor);
	f = fopen(path, "re");
	if (!f)
		return err_msg(err, "there is no block device %lld:%lld on this host",
			       (long long)major, (long long)minor);
	while (!name && fgets(line, sizeof(line), f))
		if (!strncmp(line, "DEVNAME=", 8)) {
			name = line + 8;
			name[strcspn(name, "\n")] = 0;
		}
	if (!name || !*name || strstr(name, ".."))
		return err_msg(err, "block device %lld:%lld has no name in %s", (long long)major,
			       (long long)minor, path);
	if ((size_t)snprintf(buf, size, "/dev/%s", name) >= size)
		return err_msg(err, "block device name '%s' is too long", name);
	if (stat(buf, &st) < 0)
		return err_errno(err, "block device %lld:%lld: %s", (long long)major,
				 (long long)minor, buf);
	if (!S_ISBLK(st.st_mode) || major(st.st_rdev) != major || minor(st.st_rdev) != minor)
		return err_msg(err, "%s is not block device %lld:%lld", buf, (long long)major,
			       (long long)minor);
	return 0;
}

static struct vm_disk *new_disk(struct vm_plan *o, struct err **err)
{
	if (o->nr_disks == VM_DISKS_MAX) {
		err_msg(err, "more than %d disks (a block rootfs and the block devices in "
			"linux.devices)", VM_DISKS_MAX);
		return NULL;
	}
	o->disks[o->nr_disks] = (struct vm_disk){ 0 };
	return &o->disks[o->nr_disks++];
}

static int plan_device(const struct oci_spec *s, size_t i, struct vm_plan *o, struct err **err)
{
	const struct oci_device *dev = &s->linux_.devices[i];
	char node[4096];
	struct vm_disk *d;

	if (host_node(dev->major, dev->minor, node, sizeof(node), err) < 0)
		return err_prefix(err, "linux.devices %s", dev->path);
	d = new_disk(o, err);
	if (!d)
		return -1;
	d->path = vm_plan__keep(o, node, err);
	if (!d->path)
		return err_prefix(err, "linux.devices %s", dev->path);
	d->readonly = !writable(s, dev->major, dev->minor);
	device_serial(i, d->serial, sizeof(d->serial));
	pr_debug("%s: host block device %s as a %s disk", dev->path, node,
		 d->readonly ? "read-only" : "writable");
	return 0;
}

/*
 * rootfs_block_sha256 against the image, read once here per create. A block device is not
 * hashed (it may be a whole disk, and others may write it): that is logged, not refused.
 */
static int check_root_digest(const struct sandbox_settings *st, struct err **err)
{
	_cleanup_close_ int fd = open(st->rootfs_block, O_RDONLY | O_CLOEXEC | O_NOCTTY |
				      O_NONBLOCK);
	struct stat sb;

	if (fd < 0)
		return err_errno(err, "rootfs %s", st->rootfs_block);
	if (fstat(fd, &sb) < 0)
		return err_errno(err, "rootfs %s", st->rootfs_block);
	if (S_ISBLK(sb.st_mode)) {
		pr_info("rootfs %s is a block device: rootfs_block_sha256 is not checked on one",
			st->rootfs_block);
		return 0;
	}
	if (!S_ISREG(sb.st_mode))
		return err_msg(err, "rootfs %s is neither a disk image nor a block device",
			       st->rootfs_block);
	if (sha256__check_fd(fd, st->rootfs_block, st->rootfs_block_sha256, err) < 0)
		return err_prefix(err, "setting rootfs_block_sha256: the rootfs %s",
				  st->rootfs_block);
	return 0;
}

int oci_guest__plan_disks(const struct oci_spec *s, const struct sandbox_settings *st,
			  struct vm_plan *o, struct err **err)
{
	size_t skipped = 0;

	o->nr_disks = 0;
	if (st->rootfs_block) {
		struct vm_disk *d;

		if (st->rootfs_block_sha256 && check_root_digest(st, err) < 0)
			return -1;
		d = new_disk(o, err);
		if (!d)
			return -1;
		/* A read-only root is so on the disk itself, not only in the guest's mount. */
		d->path = st->rootfs_block;
		d->readonly = s->root.readonly;
		snprintf(d->serial, sizeof(d->serial), ROOT_SERIAL);
	}
	for (size_t i = 0; s->has_linux && i < s->linux_.n_devices; i++) {
		const struct oci_device *dev = &s->linux_.devices[i];

		/* One the host lacks is only a node in the container, as runc makes it. */
		if (dev->type != 'b' || !host_has_block(dev->major, dev->minor))
			continue;
		/* Handing the host's every disk to a guest would be runc's privileged, not ours. */
		if (allows_all(s)) {
			skipped++;
			continue;
		}
		if (plan_device(s, i, o, err) < 0)
			return -1;
	}
	if (skipped)
		pr_warn("a privileged container: its %zu host block devices are not given to the "
			"VM, whose own devices are the container's", skipped);
	return 0;
}

bool oci_guest__root_is_disk(const struct vm_plan *o)
{
	return o->nr_disks && !strcmp(o->disks[0].serial, ROOT_SERIAL);
}

/* The guest's node and number of the disk with serial. */
static int find_disk(int ctl, const char *serial, char *device, size_t size, int64_t *major,
		     int64_t *minor, struct err **err)
{
	if (agent__disk(ctl, serial, device, size, major, minor, err) < 0)
		return err_prefix(err, "disk %s", serial);
	return 0;
}

int oci_guest__mount_root_disk(int ctl, const struct oci_spec *s,
			       const struct sandbox_settings *st, struct err **err)
{
	struct json_object *req, *opts = json_object_new_array();
	char device[64];
	int64_t major, minor;

	if (find_disk(ctl, ROOT_SERIAL, device, sizeof(device), &major, &minor, err) < 0) {
		json_object_put(opts);
		return err_prefix(err, "rootfs %s", st->rootfs_block);
	}
	/* The agent knows the flag words; the rest is the filesystem's data. */
	for (const char *p = st->rootfs_options; p && *p;) {
		size_t n = strcspn(p, ",");

		if (n)
			json_object_array_add(opts, json_object_new_string_len(p, n));
		p += n + (p[n] == ',');
	}
	if (s->root.readonly)
		json_object_array_add(opts, json_object_new_string("ro"));
	req = json_object_new_object();
	json_object_object_add(req, "source", json_object_new_string(device));
	json_object_object_add(req, "target", json_object_new_string(OCI_GUEST_ROOT));
	json_object_object_add(req, "type", json_object_new_string(st->rootfs_fstype));
	json_object_object_add(req, "options", opts);
	if (agent__mount(ctl, req, err) < 0)
		return err_prefix(err, "rootfs %s (%s)", st->rootfs_block, st->rootfs_fstype);
	return 0;
}

int oci_guest__device_number(int ctl, const struct vm_plan *o, size_t i, int64_t *major,
			     int64_t *minor, struct err **err)
{
	char serial[sizeof(o->disks[0].serial)], device[64];

	device_serial(i, serial, sizeof(serial));
	for (unsigned int k = 0; k < o->nr_disks; k++)
		if (!strcmp(o->disks[k].serial, serial))
			return find_disk(ctl, serial, device, sizeof(device), major, minor, err) < 0 ?
				       -1 : 1;
	return 0;
}
