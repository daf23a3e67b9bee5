/*
 * The probes behind `kage check`: whether this host's KVM runs a stock Linux guest kernel the
 * way kage drives it, and whether the container plumbing (tun, tc, cgroups) is there.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/kvm.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <seccomp.h>

#include "../../confine/seccomp.h"
#include "../../confine/jail.h"
#include "../../lib/cleanup.h"
#include "../../vmm/arch.h"
#include "check.h"
#include "kmod.h"

#define KVM_PATH "/dev/kvm"
#define TUN_PATH "/dev/net/tun"
#define CGROUP_ROOT "/sys/fs/cgroup"

/* What the /dev/kvm checks learn and hand on to the ones after them. */
struct probe {
	bool kvm_present;	/* /dev/kvm is a character device */
	struct stat kvm_st;
	int kvm_fd;		/* open read-write, or -1 */
};

static void __attribute__((format(printf, 3, 4)))
set_result(struct check *c, enum check_result result, const char *fmt, ...)
{
	va_list ap;

	c->result = result;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3))) set_fix(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->fix, sizeof(c->fix), fmt, ap);
	va_end(ap);
}

/* Whether a whitespace-separated list holds word as a whole word. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *s = list; (s = strstr(s, word)); s += n) {
		bool starts = s == list || isspace((unsigned char)s[-1]);
		bool ends = !s[n] || isspace((unsigned char)s[n]);

		if (starts && ends)
			return true;
	}
	return false;
}

/* The architecture's virtualization extensions' KVM modules ("kvm_intel or kvm_amd") or names
 * ("VT-x/AMD-V"), for messages. */
static const char *ext_list(bool modules, char *buf, size_t len)
{
	size_t n, used = 0;
	const struct arch_virt_ext *e = arch__virt_exts(&n);

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? (modules ? " or " : "/") : "",
				 modules ? e[i].module : e[i].name);
	return buf;
}

static bool module_loaded(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/* Appends word to the space-separated list in buf; a full buffer just stops growing. */
static void append(char *buf, size_t len, const char *word)
{
	size_t used = strlen(buf);

	if (used < len)
		snprintf(buf + used, len - used, "%s%s", used ? " " : "", word);
}

/* The first line of a small file, without its newline; empty when it cannot be read. */
static void read_line(const char *path, char *buf, size_t len)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	if (!f || !fgets(buf, len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* The checks that need an open /dev/kvm say which earlier check stopped them. */
static bool need_kvm_fd(const struct probe *p, struct check *c)
{
	if (p->kvm_fd >= 0)
		return true;
	set_result(c, CHECK_SKIP, "skipped: %s",
		   p->kvm_present ? KVM_PATH " did not open" : "no " KVM_PATH);
	return false;
}

static void check_kvm_device(struct probe *p, struct check *c)
{
	struct stat st;

	if (stat(KVM_PATH, &st) < 0) {
		char mods[64], names[64];

		set_result(c, CHECK_FAIL, "%s: %s", KVM_PATH, strerror(errno));
		set_fix(c, "load KVM (modprobe %s) and enable %s in the firmware; in a VM, enable "
			   "nested virtualization on its host; in a container, pass the device in "
			   "(--device /dev/kvm)", ext_list(true, mods, sizeof(mods)),
			ext_list(false, names, sizeof(names)));
		return;
	}
	if (!S_ISCHR(st.st_mode)) {
		set_result(c, CHECK_FAIL, "%s is not a character device", KVM_PATH);
		set_fix(c, "replace it with the device node: rm %s && mknod %s c 10 232",
			KVM_PATH, KVM_PATH);
		return;
	}
	p->kvm_present = true;
	p->kvm_st = st;
	set_result(c, CHECK_OK, "%s is a character device (%u:%u)", KVM_PATH,
		   major(st.st_rdev), minor(st.st_rdev));
}

static void check_kvm_access(struct probe *p, struct check *c)
{
	int fd, e;

	if (!p->kvm_present) {
		set_result(c, CHECK_SKIP, "skipped: no %s", KVM_PATH);
		return;
	}
	fd = open(KVM_PATH, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		p->kvm_fd = fd;
		set_result(c, CHECK_OK, "%s opens read-write", KVM_PATH);
		return;
	}
	e = errno;
	set_result(c, CHECK_FAIL, "cannot open %s read-write: %s", KVM_PATH, strerror(e));
	if (e == EACCES && p->kvm_st.st_gid && (p->kvm_st.st_mode & 060) == 060) {
		const struct group *gr = getgrgid(p->kvm_st.st_gid);

		set_fix(c, "run kage as root, or join the group that owns %s: usermod -aG %s USER",
			KVM_PATH, gr ? gr->gr_name : "<its group>");
	} else if (e == EACCES) {
		/* No group may open it yet: joining root's would be the wrong advice. */
		set_fix(c, "run kage as root, or let a group open it (chgrp kvm %s && chmod 660 %s, "
			   "or a udev rule) and join that group", KVM_PATH, KVM_PATH);
	} else if (e == EPERM) {
		set_fix(c, "a device cgroup or security policy denies it; in a container, pass "
			   "the device in (--device /dev/kvm)");
	} else {
		char mods[64];

		set_fix(c, "load KVM: modprobe %s", ext_list(true, mods, sizeof(mods)));
	}
}

static void check_kvm_api(struct probe *p, struct check *c)
{
	int version;

	if (!need_kvm_fd(p, c))
		return;
	version = ioctl(p->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version == KVM_API_VERSION) {
		set_result(c, CHECK_OK, "KVM_GET_API_VERSION is %d", version);
		return;
	}
	if (version < 0)
		set_result(c, CHECK_FAIL, "KVM_GET_API_VERSION: %s", strerror(errno));
	else
		set_result(c, CHECK_FAIL, "KVM_GET_API_VERSION is %d, kage needs %d", version,
			   KVM_API_VERSION);
	set_fix(c, "run a Linux kernel with the stable KVM API (any since 2.6.22)");
}

static void check_kvm_caps(struct probe *p, struct check *c)
{
	char have[CHECK_TEXT / 2] = "", missing[CHECK_TEXT / 2] = "";
	size_t n;
	const struct arch_kvm_cap *kvm_caps = arch__kvm_caps(&n);

	if (!need_kvm_fd(p, c))
		return;
	for (size_t i = 0; i < n; i++) {
		bool ok = ioctl(p->kvm_fd, KVM_CHECK_EXTENSION, kvm_caps[i].cap) > 0;

		append(ok ? have : missing, sizeof(have), kvm_caps[i].name);
	}
	if (!missing[0]) {
		set_result(c, CHECK_OK, "all present: %s", have);
		return;
	}
	set_result(c, CHECK_FAIL, "missing: %s", missing);
	set_fix(c, "run a newer host kernel: Linux 4.11 and later have them all");
}

static void check_kvm_vcpus(struct probe *p, struct check *c)
{
	int nr, max;

	if (!need_kvm_fd(p, c))
		return;
	nr = ioctl(p->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	max = ioctl(p->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	/* The KVM API documents these fallbacks for kernels that lack either capability. */
	if (nr <= 0)
		nr = 4;
	if (max <= 0)
		max = nr;
	set_result(c, CHECK_OK, "NR_VCPUS %d (recommended), MAX_VCPUS %d per VM", nr, max);
}

/* The feature line of /proc/cpuinfo (arch__cpuinfo_features names it); NULL if unreadable. */
static char *cpu_flags(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/cpuinfo", "re");
	const char *key = arch__cpuinfo_features();
	size_t keylen = strlen(key), len = 0;
	char *line = NULL;

	if (!f)
		return NULL;
	while (getline(&line, &len, f) > 0) {
		if (!strncmp(line, key, keylen) && strchr(line, ':'))
			return line;
	}
	free(line);
	errno = ENOENT;
	return NULL;
}

static void check_hw_virt(struct probe *p, struct check *c)
{
	_cleanup_free_ char *flags = cpu_flags();
	size_t n;
	const struct arch_virt_ext *exts = arch__virt_exts(&n), *e = NULL;
	char words[128] = "", names[64], mods[64], firmware[64] = "";
	bool nested;

	if (!n) {
		set_result(c, CHECK_SKIP, "skipped: this architecture shows no CPU flag for it");
		return;
	}
	if (!flags) {
		set_result(c, CHECK_FAIL, "no CPU flags in /proc/cpuinfo: %s", strerror(errno));
		set_fix(c, "mount procfs on /proc");
		return;
	}
	nested = has_word(flags, "hypervisor");
	for (size_t i = 0; i < n; i++) {
		if (!e && has_word(flags, exts[i].flag))
			e = &exts[i];
		snprintf(words + strlen(words), sizeof(words) - strlen(words), "%s%s (%s)",
			 i ? (i + 1 == n ? " nor " : ", ") : "", exts[i].flag, exts[i].name);
		snprintf(firmware + strlen(firmware), sizeof(firmware) - strlen(firmware), "%s%s",
			 i ? ", " : "", exts[i].firmware);
	}
	ext_list(false, names, sizeof(names));
	ext_list(true, mods, sizeof(mods));
	if (!e) {
		set_result(c, CHECK_FAIL, "the CPU flags have neither %s%s", words,
			   nested ? "; this is a VM whose hypervisor does not expose them" : "");
		if (nested)
			set_fix(c, "enable nested virtualization on the VM's host (nested=1 on %s "
				   "there, and a CPU model that passes the flag on)", mods);
		else
			set_fix(c, "enable %s (%s) in the firmware setup", names, firmware);
		return;
	}
	if (!module_loaded(e->module)) {
		set_result(c, CHECK_FAIL, "%s present, but %s is not loaded", e->flag, e->module);
		set_fix(c, "modprobe %s; if it refuses, enable %s (%s) in the firmware setup",
			e->module, e->name, e->firmware);
		return;
	}
	set_result(c, CHECK_OK, "%s (%s), backed by %s%s%s", e->name, e->flag, e->module,
		   nested ? "; nested: the hypervisor exposes " : "", nested ? names : "");
}

static void check_pvm(struct probe *p, struct check *c)
{
	if (!module_loaded("kvm_pvm")) {
		set_result(c, CHECK_OK, "kvm_pvm is not loaded");
		return;
	}
	set_result(c, CHECK_FAIL,
		   "this host's KVM is PVM (kvm_pvm), a KVM without hardware virtualization that "
		   "runs only PVM-enabled guest kernels at speed; kage's stock guest kernel would "
		   "run in PVM's instruction emulator, too slowly and incompletely (it fails on "
		   "XRSTOR/emulation errors)");
	set_fix(c, "run kage on a host with VT-x/AMD-V (or nested virtualization enabled), or "
		   "boot a PVM-enabled guest kernel with `kage vm --kernel`");
}

static void check_tun(struct probe *p, struct check *c)
{
	_cleanup_close_ int fd = open(TUN_PATH, O_RDWR | O_CLOEXEC);
	int e = errno;

	if (fd >= 0) {
		set_result(c, CHECK_OK, "%s opens (container networking)", TUN_PATH);
		return;
	}
	set_result(c, CHECK_FAIL, "cannot open %s: %s; containers need it for networking",
		   TUN_PATH, strerror(e));
	if (e == EACCES || e == EPERM)
		set_fix(c, "run kage as root; in a container, pass the device in "
			   "(--device /dev/net/tun)");
	else
		set_fix(c, "modprobe tun (without udev, also: mkdir -p /dev/net && "
			   "mknod /dev/net/tun c 10 200)");
}

/*
 * Container networking joins Docker's veth and the VM's tap with an ingress qdisc and a
 * matchall filter whose mirred action redirects (runtime/sandbox/net_host.c): the kernel
 * needs these three, built in or as modules it can load when kage first asks for them.
 */
static void check_tc(struct probe *p, struct check *c)
{
	static const char *const mods[] = { "sch_ingress", "cls_matchall", "act_mirred" };
	static const char *const configs[] = { "CONFIG_NET_SCH_INGRESS", "CONFIG_NET_CLS_MATCHALL",
					       "CONFIG_NET_ACT_MIRRED" };
	char moddir[300], found[CHECK_TEXT / 2] = "", missing[CHECK_TEXT / 4] = "";
	size_t used = 0;
	bool unknown = false;
	struct utsname u;

	(void)p;
	if (uname(&u) < 0)
		u.release[0] = '\0';
	snprintf(moddir, sizeof(moddir), "/lib/modules/%s", u.release);
	for (size_t i = 0; i < ARRAY_SIZE(mods); i++) {
		enum kmod_state st = kmod__find("/proc/modules", moddir, mods[i]);

		if (used < sizeof(found))
			used += snprintf(found + used, sizeof(found) - used, "%s%s %s",
					 i ? ", " : "", mods[i], kmod__state_name(st));
		if (st == KMOD_ABSENT || st == KMOD_UNKNOWN)
			append(missing, sizeof(missing), configs[i]);
		unknown |= st == KMOD_UNKNOWN;
	}
	if (!missing[0]) {
		set_result(c, CHECK_OK, "%s (container networking)", found);
		return;
	}
	if (unknown) {
		set_result(c, CHECK_WARN, "%s: no /proc/modules entry, and no modules.builtin or "
			   "modules.dep in %s to say whether the kernel has them; container "
			   "networking needs them", found, moddir);
		set_fix(c, "make sure the kernel is built with %s (y, or m with its modules "
			   "installed in %s)", missing, moddir);
		return;
	}
	set_result(c, CHECK_FAIL, "%s; containers with a network cannot be connected to it",
		   found);
	set_fix(c, "install the kernel's modules for %s in %s, or build the kernel with %s",
		u.release, moddir, missing);
}

static bool is_fs(const char *path, unsigned long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == magic;
}

/* cgroup v1: the controllers /proc/cgroups enables that are mounted under /sys/fs/cgroup. */
static void v1_controllers(char *buf, size_t len)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/cgroups", "re");
	char name[64], path[128];
	int hierarchy, count, enabled;

	buf[0] = '\0';
	/* Skip the "#subsys_name hierarchy num_cgroups enabled" header. */
	if (!f || fscanf(f, "%*[^\n]") < 0)
		return;
	while (fscanf(f, "%63s %d %d %d", name, &hierarchy, &count, &enabled) == 4) {
		snprintf(path, sizeof(path), CGROUP_ROOT "/%s", name);
		if (hierarchy && enabled && is_fs(path, CGROUP_SUPER_MAGIC))
			append(buf, len, name);
	}
}

static void check_cgroups(struct probe *p, struct check *c)
{
	char ctl[CHECK_TEXT / 2] = "";
	const char *layout;
	bool v1 = false;

	if (is_fs(CGROUP_ROOT, CGROUP2_SUPER_MAGIC)) {
		layout = "cgroup v2 (unified)";
		read_line(CGROUP_ROOT "/cgroup.controllers", ctl, sizeof(ctl));
	} else if (is_fs(CGROUP_ROOT, TMPFS_MAGIC)) {
		layout = is_fs(CGROUP_ROOT "/unified", CGROUP2_SUPER_MAGIC)
				 ? "cgroup v1, hybrid (cgroup2 on " CGROUP_ROOT "/unified)"
				 : "cgroup v1";
		v1_controllers(ctl, sizeof(ctl));
		v1 = true;
	} else {
		set_result(c, CHECK_FAIL, "no cgroup hierarchy is mounted on %s", CGROUP_ROOT);
		set_fix(c, "mount cgroup2: mount -t cgroup2 cgroup2 %s", CGROUP_ROOT);
		return;
	}
	if (has_word(ctl, "cpu") && has_word(ctl, "memory") && !v1) {
		set_result(c, CHECK_OK, "%s; controllers: %s", layout, ctl);
		return;
	}
	/* runtime/sandbox/cgroup.c places a sandbox in its cgroupsPath on cgroup2 only. */
	if (v1) {
		set_result(c, CHECK_WARN, "%s; controllers: %s; on cgroup v1 a container gets no "
			   "host cgroup of its own (its cgroupsPath is not applied): its microVM "
			   "stays in the caller's cgroups", layout, ctl[0] ? ctl : "none");
		set_fix(c, "boot the host with the unified cgroup v2 hierarchy "
			   "(systemd.unified_cgroup_hierarchy=1 on the kernel command line)");
		return;
	}
	/* kage still runs, but cannot hold a container to its CPU and memory limits. */
	set_result(c, CHECK_WARN, "%s; controllers: %s; cpu or memory is missing, so container "
		   "limits cannot be applied", layout, ctl[0] ? ctl : "none");
	set_fix(c, "enable them: on v2, echo '+cpu +memory' into the parent's "
		   "cgroup.subtree_control; on v1, mount them under %s", CGROUP_ROOT);
}

/* The sandbox's per-thread filters (confine/): each must build; their sizes, for -v. */
static void check_seccomp(struct probe *p, struct check *c)
{
	char sizes[CHECK_TEXT - 64] = "";
	size_t len = 0;

	(void)p;
	if (seccomp_api_get() < 1) {
		set_result(c, CHECK_FAIL, "the kernel has no seccomp filters");
		set_fix(c, "use a kernel built with CONFIG_SECCOMP_FILTER");
		return;
	}
	for (int r = 0; r < THREAD_ROLES; r++) {
		_cleanup_err_ struct err *err = NULL;
		size_t rules, insns;

		if (seccomp__measure(r, &rules, &insns, &err) < 0) {
			set_result(c, CHECK_FAIL, "%s", err->msg);
			set_fix(c, "report it: kage's own filters should always build");
			return;
		}
		if (len < sizeof(sizes))
			len += snprintf(sizes + len, sizeof(sizes) - len, "%s%s %zu rules/%zu BPF",
					r ? ", " : "", thread_role__name(r), rules, insns);
	}
	set_result(c, CHECK_OK, "one per thread role: %s", sizes);
}

/* Whether a sandbox can jail itself here (confine/jail.c), tried in a child. */
static void check_jail(struct probe *p, struct check *c)
{
	char why[CHECK_TEXT / 2];
	int r = jail__probe(why, sizeof(why));

	if (r == 0) {
		set_result(c, CHECK_OK, "mount namespace on an empty root (pivot_root), IPC and "
			   "UTS namespaces, no_new_privs, capabilities dropped");
	} else if (r > 0) {
		set_result(c, CHECK_WARN, "sandboxes are jailed with less: %s", why);
		set_fix(c, "a kernel with CONFIG_IPC_NS and CONFIG_UTS_NS, and a root filesystem "
			   "that is not the initramfs, give the whole jail");
	} else if (geteuid() != 0) {
		set_result(c, CHECK_WARN, "not probed: only root can build the jail (%s)", why);
		set_fix(c, "run `kage check` as root, as kage runs containers");
	} else {
		set_result(c, CHECK_FAIL, "a sandbox cannot jail itself: %s", why);
		set_fix(c, "kage needs mount namespaces, tmpfs and pivot_root or chroot; in a "
			   "container, run kage privileged");
	}
}

static const struct {
	const char *name;
	void (*fn)(struct probe *p, struct check *c);
} checks[] = {
	{ "KVM device", check_kvm_device },
	{ "KVM access", check_kvm_access },
	{ "KVM API version", check_kvm_api },
	{ "KVM capabilities", check_kvm_caps },
	{ "KVM vCPU limits", check_kvm_vcpus },
	{ "hardware virtualization", check_hw_virt },
	{ "PVM", check_pvm },
	{ "TUN device", check_tun },
	{ "traffic control", check_tc },
	{ "cgroups", check_cgroups },
	{ "seccomp filters", check_seccomp },
	{ "sandbox jail", check_jail },
};
_Static_assert(ARRAY_SIZE(checks) <= CHECK_MAX, "struct check_report holds every check");

void check__host(struct check_report *r)
{
	struct probe p = { .kvm_fd = -1 };

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		r->checks[i].name = checks[i].name;
		checks[i].fn(&p, &r->checks[i]);
	}
	r->n = ARRAY_SIZE(checks);
	if (p.kvm_fd >= 0)
		close(p.kvm_fd);
}

size_t check__failures(const struct check_report *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->checks[i].result == CHECK_FAIL;
	return n;
}
