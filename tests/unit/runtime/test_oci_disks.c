/*
 * A container's disks: the block rootfs and linux.devices block devices planned as virtio-blk
 * disks (host node found through sysfs, none for a device the host lacks, read-only from the
 * device rules, none for a privileged spec, a limit on their number), and the agent's search for a disk by serial in
 * a sysfs tree made here.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/err.h"
#include "runtime/plan/sizing.h"
#include "runtime/plan/plan.h"
#include "runtime/oci/spec.h"
#include "runtime/machine/vm_plan.h"
#include "tests/unit/tap.h"

/* The agent's unit, built in: it is guest code, outside the host objects tests link. */
#include "guest/agent/container/disk.c"

/* A block device of this machine with its node in /dev, or false when it has none. */
static bool some_block_device(unsigned int *ma, unsigned int *mi, char *node, size_t size)
{
	DIR *d = opendir("/sys/dev/block");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char path[512], line[256];
		FILE *f;
		struct stat st;

		if (sscanf(e->d_name, "%u:%u", ma, mi) != 2)
			continue;
		snprintf(path, sizeof(path), "/sys/dev/block/%s/uevent", e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "DEVNAME=", 8)) {
				line[strcspn(line, "\n")] = 0;
				snprintf(node, size, "/dev/%s", line + 8);
			}
		if (f)
			fclose(f);
		found = stat(node, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == makedev(*ma, *mi);
	}
	if (d)
		closedir(d);
	return found;
}

static void test_plan(void)
{
	struct oci_device devs[VM_DISKS_MAX + 1];
	struct oci_device_rule rules[2] = {
		{ .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" },
		{ .allow = true, .type = 'b', .access = "r" },
	};
	struct sandbox_settings st = { .rootfs_fstype = "ext4" };
	struct oci_spec s = { 0 };
	struct vm_plan o = { 0 };
	struct err *err = NULL;
	unsigned int ma, mi;
	char node[256] = "";

	st.rootfs_block = "/srv/root.img";
	s.root.readonly = true;
	CHECK(oci_guest__plan_disks(&s, &st, &o, &err) == 0 && o.nr_disks == 1 &&
		      !strcmp(o.disks[0].path, "/srv/root.img") && o.disks[0].readonly &&
		      !strcmp(o.disks[0].serial, "kage-root") && oci_guest__root_is_disk(&o),
	      "a block rootfs is the first disk, serial kage-root, read-only for a ro root");
	st.rootfs_block = NULL;
	CHECK(oci_guest__plan_disks(&s, &st, &o, &err) == 0 && o.nr_disks == 0 &&
		      !oci_guest__root_is_disk(&o),
	      "no annotation: no disk");

	s.has_linux = true;
	s.linux_.devices = devs;
	s.linux_.n_devices = 1;
	devs[0] = (struct oci_device){ .type = 'b', .path = "/dev/xvdb", .major = 7,
				       .minor = 1048575 };
	CHECK(oci_guest__plan_disks(&s, &st, &o, &err) == 0 && o.nr_disks == 0,
	      "a device the host does not have is no disk, only a node in the container (%s)",
	      err ? err->msg : "");
	err_free(&err);

	if (!some_block_device(&ma, &mi, node, sizeof(node))) {
		printf("ok - host block devices # SKIP this machine has no block device node\n");
		vm_plan__free(&o);
		return;
	}
	devs[0].major = ma;
	devs[0].minor = mi;
	devs[1] = (struct oci_device){ .type = 'c', .path = "/dev/null", .major = 1, .minor = 3 };
	s.linux_.n_devices = 2;
	CHECK(oci_guest__plan_disks(&s, &st, &o, &err) == 0 && o.nr_disks == 1 &&
		      !strcmp(o.disks[0].path, node) && !o.disks[0].readonly &&
		      !strcmp(o.disks[0].serial, "kage-dev0"),
	      "block device %u:%u is attached from its host node %s, writable without rules "
	      "(%s); character devices are not disks", ma, mi, node, err ? err->msg : "");
	err_free(&err);
	vm_plan__free(&o);

	s.linux_.has_resources = true;
	s.linux_.resources.devices = rules;
	s.linux_.resources.n_devices = 2;
	rules[1].major = ma;
	rules[1].minor = mi;
	CHECK(oci_guest__plan_disks(&s, &st, &o, &err) == 0 && o.nr_disks == 1 &&
		      o.disks[0].readonly,
	      "rules allowing it only 'r' make it read-only");
	vm_plan__free(&o);
	strcpy(rules[1].access, "rw");
	CHECK(oci_guest__plan_disks(&s, &st, &o, &err) == 0 && !o.disks[0].readonly,
	      "'rw' makes it writable");
	vm_plan__free(&o);
	rules[1].allow = false;
	CHECK(oci_guest__plan_disks(&s, &st, &o, &err) == 0 && o.disks[0].readonly,
	      "a later deny of 'w' wins");
	vm_plan__free(&o);
	rules[0].allow = true;
	s.linux_.resources.n_devices = 1;
	CHECK(oci_guest__plan_disks(&s, &st, &o, &err) == 0 && o.nr_disks == 0,
	      "a privileged spec (every device allowed) gets no host disks");
	s.linux_.resources.n_devices = 0;

	for (int i = 0; i <= VM_DISKS_MAX; i++)
		devs[i] = (struct oci_device){ .type = 'b', .path = "/dev/d", .major = ma,
					       .minor = mi };
	s.linux_.n_devices = VM_DISKS_MAX + 1;
	CHECK(oci_guest__plan_disks(&s, &st, &o, &err) < 0 && err &&
		      strstr(err->msg, "more than 8 disks"),
	      "more disks than the VM takes are refused: %s", err ? err->msg : "");
	err_free(&err);
	vm_plan__free(&o);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_find(void)
{
	char sys[] = "/tmp/kage-sysfs.XXXXXX", dir[4096];
	struct disk d;
	struct err *err = NULL;
	const char *disks[][3] = { { "vda", "kage-dev1\n", "254:0\n" },
				   { "vdb", "kage-root\n", "254:16\n" },
				   { "loop0", "", "7:0\n" },
				   { "vdc", "kage-dev2\n", "garbage\n" } };

	if (!mkdtemp(sys))
		return;
	snprintf(dir, sizeof(dir), "%s/block", sys);
	mkdir(dir, 0755);
	for (size_t i = 0; i < ARRAY_SIZE(disks); i++) {
		snprintf(dir, sizeof(dir), "%s/block/%s", sys, disks[i][0]);
		mkdir(dir, 0755);
		if (*disks[i][1])
			put(dir, "serial", disks[i][1]);
		put(dir, "dev", disks[i][2]);
	}
	CHECK(disk__find(sys, "kage-root", &d, &err) == 0 && !strcmp(d.device, "/dev/vdb") &&
		      d.major == 254 && d.minor == 16,
	      "kage-root is /dev/vdb 254:16, whatever order the names are in");
	CHECK(disk__find(sys, "kage-dev1", &d, &err) == 0 && !strcmp(d.device, "/dev/vda"),
	      "kage-dev1 is /dev/vda");
	CHECK(disk__find(sys, "kage-dev2", &d, &err) < 0 && err &&
		      strstr(err->msg, "cannot read its device number"),
	      "an unreadable device number is an error: %s", err ? err->msg : "");
	err_free(&err);
	CHECK(disk__find(sys, "kage-dev9", &d, &err) < 0 && err &&
		      strstr(err->msg, "no disk with serial 'kage-dev9'"),
	      "a serial no disk has: %s", err ? err->msg : "");
	err_free(&err);
	CHECK(disk__find(sys, "", &d, &err) < 0 && err && strstr(err->msg, "not a disk serial"),
	      "an empty serial is refused");
	err_free(&err);
	CHECK(disk__find(sys, "123456789012345678901", &d, &err) < 0 && err,
	      "a serial longer than virtio-blk's 20 bytes is refused");
	err_free(&err);
	CHECK(disk__find("/tmp/kage-no-such-sysfs", "kage-root", &d, &err) < 0 && err,
	      "no sysfs: an error, not a crash");
	err_free(&err);
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sys);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", sys);
}

int main(void)
{
	test_plan();
	test_find();
	return tap_done();
}
