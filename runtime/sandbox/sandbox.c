/* The process that runs a container's microVM and stands for its workload (see sandbox.h). */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../confine/jail.h"
#include "../../confine/seccomp.h"
#include "../../devices/fs/fuse_server.h"
#include "../../devices/fs/fs.h"
#include "../../devices/vsock/vsock.h"
#include "../../lib/cleanup.h"
#include "../../lib/io.h"
#include "../../lib/log.h"
#include "../../vmm/arch.h"
#include "../agent/client.h"
#include "../agent/link.h"
#include "cgroup.h"
#include "../container/state.h"
#include "../plan/plan.h"
#include "../oci/spec.h"
#include "relay.h"
#include "net.h"
#include "../machine/vm_plan.h"
#include "../pod/pod.h"

/* How long a clean guest shutdown may take before the VM is just stopped. */
#define SHUTDOWN_WAIT_MS 10000

struct sandbox {
	struct sandbox_args *a;
	struct vm_plan plan;
	struct vm *vm;
	struct vsock *vs;
	struct agent_link link;
	int ctl, sig_fd, tty;	/* tty: our end of the container's terminal, or -1 */
	int control;		/* listening: `kage pause` and `kage resume` reach us here */
	char *process;
	struct relay *relay;
	struct sandbox_net net;
	char vsock_path[4096];
};

static int fs_cache(enum config_fs_cache c)
{
	return c == CONFIG_FS_CACHE_NONE ? FS_CACHE_NONE :
	       c == CONFIG_FS_CACHE_ALWAYS ? FS_CACHE_ALWAYS : FS_CACHE_AUTO;
}

/* The sandbox lives in the spec's network namespace: a path to join, or a new one. */
static int enter_netns(const struct oci_spec *s, struct err **err)
{
	for (size_t i = 0; s->has_linux && i < s->linux_.n_namespaces; i++) {
		const struct oci_namespace *ns = &s->linux_.namespaces[i];

		if (ns->type != OCI_NS_NETWORK)
			continue;
		if (!ns->path) {
			if (unshare(CLONE_NEWNET) < 0)
				return err_errno(err, "new network namespace");
			return 0;
		}
		_cleanup_close_ int fd = open(ns->path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return err_errno(err, "network namespace %s", ns->path);
		if (setns(fd, CLONE_NEWNET) < 0)
			return err_errno(err, "join network namespace %s", ns->path);
		return 0;
	}
	return 0;
}

/* Sends fd over the Unix socket at path, as runc hands a terminal to --console-socket. */
static int send_fd(const char *path, int fd, const char *name, struct err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int s = -1;
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_msg(err, "console socket path '%s' is too long", path);
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return err_errno(err, "console socket %s", path);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(s, &msg, 0) < 0)
		return err_errno(err, "send the terminal to %s", path);
	return 0;
}

int sandbox__open_console(const char *socket_path, int *slave, struct err **err)
{
	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	_cleanup_close_ int s = -1;
	struct termios t;
	char name[64];

	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, name, sizeof(name)) != 0)
		return err_errno(err, "allocate a terminal");
	s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return err_errno(err, "open %s", name);
	if (tcgetattr(s, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(s, TCSANOW, &t);
	}
	if (send_fd(socket_path, master, name, err) < 0)
		return -1;
	if (setsid() < 0 || ioctl(s, TIOCSCTTY, 0) < 0)
		pr_debug("sandbox: %s as controlling terminal: %s", name, strerror(errno));
	*slave = TAKE_FD(s);
	return 0;
}

static int create_process(struct sandbox *sb, struct err **err)
{
	const struct oci_spec *spec = sb->a->spec;
	const struct oci_process *p = &spec->process;
	struct json_object *req = oci_guest__create_request(p, spec->linux_.seccomp, spec, NULL,
							    true);

	struct json_object *rules;

	json_object_object_add(req, "cgroup", oci_guest__cgroup(spec, sb->plan.cfg.nr_vcpus));
	if (oci_guest__device_rules(sb->ctl, spec, &sb->plan, &rules, err) < 0) {
		json_object_put(req);
		return -1;
	}
	if (rules)
		json_object_object_add(req, "devices", rules);

	if (agent__create(sb->ctl, req, &sb->process, err) < 0)
		return err_prefix(err, "container process %s", p->args.v[0]);
	return 0;
}

/*
 * One request on the control socket: "pause", "resume" or "network" (kage start plugs the
 * container's network before the process starts), answered "ok" or "error ...".
 */
static void serve_control(void *ctx)
{
	struct sandbox *sb = ctx;
	_cleanup_close_ int fd = accept4(sb->control, NULL, NULL, SOCK_CLOEXEC);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char line[32] = "";
	ssize_t n;

	/* Only kage talks here (root, mode 0600), but a silent peer must not hold us up. */
	if (fd < 0 || poll(&p, 1, 1000) <= 0 || (n = read(fd, line, sizeof(line) - 1)) <= 0)
		return;
	line[n] = 0;
	line[strcspn(line, "\n")] = 0;
	if (!strcmp(line, "pause")) {
		vm__pause(sb->vm);
		pr_debug("sandbox: vCPUs paused");
	} else if (!strcmp(line, "resume")) {
		vm__resume(sb->vm);
		pr_debug("sandbox: vCPUs resumed");
	} else if (!strcmp(line, "network")) {
		_cleanup_err_ struct err *err = NULL;

		if (sandbox_net__plug(&sb->net, &sb->plan, &sb->link, &err) < 0) {
			dprintf(fd, "error %s\n", err->msg);
			return;
		}
	} else {
		dprintf(fd, "error unknown request\n");
		return;
	}
	dprintf(fd, "ok\n");
}

static int listen_control(struct sandbox *sb, struct err **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (container__sock_path(sb->a->c, "sandbox.sock", sa.sun_path, sizeof(sa.sun_path), err) < 0)
		return -1;
	sb->control = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sb->control < 0)
		return err_errno(err, "control socket");
	unlink(sa.sun_path);
	mode_t old = umask(0177);
	int ret = bind(sb->control, (struct sockaddr *)&sa, sizeof(sa));

	umask(old);
	if (ret < 0 || listen(sb->control, 4) < 0)
		return err_errno(err, "control socket %s", sa.sun_path);
	return 0;
}

/* The spec's limits for the sandbox's cgroup: the guest's RAM plus what the VMM needs when
 * the spec limits memory (the VM is that size), and the CPU quota the vCPUs run under. */
static int join_cgroup(const struct sandbox_args *a, struct err **err)
{
	const struct oci_resources *r = a->spec->linux_.has_resources ?
						&a->spec->linux_.resources : NULL;
	struct cgroup_limits l = { 0 };

	if (!a->c->cgroup)
		return 0;
	if (r && r->has_mem_limit && r->mem_limit > 0)
		l.memory_max = ((uint64_t)a->settings.memory_mib + CGROUP_VMM_OVERHEAD_MIB) << 20;
	if (r && r->has_cpu_quota && r->cpu_quota > 0) {
		l.cpu_quota = r->cpu_quota;
		l.cpu_period = r->has_cpu_period ? r->cpu_period : 0;
	}
	return cgroup__join(a->c->cgroup, &l, err);
}

/*
 * What the sandbox still opens by path once jailed, bound at the same paths: /dev/kvm, the
 * shares and disks (read-only where the guest only reads), the state directory (sockets,
 * state.json for record_exit, the bound files), the spec's bind-mounted files (setup matches
 * them with their entries by inode), the resolv.conf the DNS forwarder reads at start, and
 * /dev/null (create's stdio goes there). Capabilities beyond the FUSE server's: NET_ADMIN
 * for the start's network plug (rtnetlink, tc), MKNOD and SETFCAP where a share serves a
 * guest's root as runc would (the container's own rootfs).
 */
static int jail(struct sandbox *sb, struct err **err)
{
	const struct oci_spec *s = sb->a->spec;
	struct container *c = sb->a->c;
	char dir[PATH_MAX];
	struct jail j;

	/* Its mountpoint: in the state directory, which `kage delete` removes. */
	if ((size_t)snprintf(dir, sizeof(dir), "%s/jail", c->dir) >= sizeof(dir))
		return err_msg(err, "state directory %s: path too long", c->dir);
	jail__init(&j, dir);
	if (jail__expose(&j, "/dev/kvm", 0, err) < 0 || jail__expose(&j, "/dev/null", 0, err) < 0 ||
	    jail__expose(&j, c->dir, 0, err) < 0)
		return -1;
	for (unsigned int i = 0; i < sb->plan.nr_shares; i++) {
		const struct vm_share *sh = &sb->plan.shares[i];

		if (jail__expose(&j, sh->host_path, sh->readonly ? JAIL_RO : 0, err) < 0)
			return -1;
		if (sh->policy == FS_POLICY_RUNC) {
			jail__keep_cap(&j, CAP_MKNOD);
			jail__keep_cap(&j, CAP_SETFCAP);
		}
	}
	for (unsigned int i = 0; i < sb->plan.nr_disks; i++)
		if (jail__expose(&j, sb->plan.disks[i].path, sb->plan.disks[i].readonly ? JAIL_RO : 0,
				 err) < 0)
			return -1;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct oci_mount *m = &s->mounts[i];
		struct stat st;

		if (!oci_guest__is_bind(m) || !m->source || stat(m->source, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (jail__expose(&j, m->source, oci_guest__is_ro(m) ? JAIL_RO : 0, err) < 0)
			return -1;
	}
	if (sb->net.tap_ifindex)
		jail__keep_cap(&j, CAP_NET_ADMIN);
	j.nofile = virtio_fs__nofile(sb->plan.nr_shares);
	/* Read now: /sys is not in the jail. */
	vcpu__probe_host();
	/* The state directory's O_PATH fd would lead out: reopened inside when needed. */
	if (c->path_fd >= 0) {
		close(c->path_fd);
		c->path_fd = -1;
	}
	if (jail__enter(&j, err) < 0)
		return -1;
	if (j.degraded[0])
		pr_warn("sandbox: jailed with less than it should: %s (see `kage check`)",
			j.degraded);
	return 0;
}

/* Everything up to a created container: VM up, guest set up, process held before exec. */
static int build(struct sandbox *sb, struct err **err)
{
	struct sandbox_args *a = sb->a;
	char files[PATH_MAX];
	sigset_t mask;

	sb->plan.cfg = a->base;
	sb->plan.cfg.mem_size = (uint64_t)a->settings.memory_mib << 20;
	sb->plan.cfg.nr_vcpus = a->settings.vcpus;
	sb->plan.cfg.irq_resend = a->settings.irq_resend == CONFIG_IRQ_RESEND_ON;
	sb->plan.vsock_path = sb->vsock_path;
	const char *extra = a->settings.kernel_params ? a->settings.kernel_params : "";

	if (asprintf(&sb->plan.cmdline, "%s quiet%s%s", arch__base_cmdline(), *extra ? " " : "",
		     extra) < 0)
		return err_errno(err, "kernel command line");
	sb->plan.cfg.cmdline = sb->plan.cmdline;
	/* The bound files' tmpfs: in the state directory, which `kage delete` removes. */
	if ((size_t)snprintf(files, sizeof(files), "%s/shares", a->c->dir) >= sizeof(files))
		return err_msg(err, "state directory %s: path too long", a->c->dir);
	if (oci_guest__check_seccomp(a->spec->linux_.seccomp, err) < 0 ||
	    oci_guest__plan(a->spec, &a->settings, fs_cache(a->settings.fs_cache), files, &sb->plan,
			    err) < 0 ||
	    (a->pod && pod_dir__add_shares(a->c->dir, &a->settings, fs_cache(a->settings.fs_cache),
					   &sb->plan, err) < 0) ||
	    oci_guest__share_files(a->spec, files, err) < 0 ||
	    enter_netns(a->spec, err) < 0)
		return -1;
	if (sandbox_net__prepare(&sb->net, a->spec, a->c->id, sb->vsock_path, &sb->plan, err) < 0)
		return -1;
	if (a->spec->process.terminal && sandbox__open_console(a->console_socket, &sb->tty, err) < 0)
		return -1;
	if (listen_control(sb, err) < 0)
		return -1;
	/*
	 * The container's cgroup may deny the VMM its devices (a podman pod's denies every one
	 * to what it holds), so they are open first: the tap above, /dev/kvm, and /dev/null for
	 * a terminal's io__release_stdio.
	 * Still one thread: every thread of the VMM starts in the cgroup, and no VM thread, DNS
	 * forwarder or link watcher exists yet to jail.
	 */
	if (vm__open_kvm_early(err) < 0)
		return -1;
	if (a->spec->process.terminal && io__keep_null() < 0)
		return err_errno(err, "open /dev/null");
	if (join_cgroup(a, err) < 0 || jail(sb, err) < 0)
		return -1;
	if (container__sock_path(a->c, "vsock.sock", sb->vsock_path, sizeof(sb->vsock_path), err) < 0)
		return -1;

	machine__block_signals();
	machine__forwarded_signals(&mask);
	sb->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sb->sig_fd < 0)
		return err_errno(err, "signalfd");
	if (vm_plan__create(&sb->plan, &sb->vm, &sb->vs, err) < 0 || vm__start(sb->vm, err) < 0)
		return -1;
	sb->link = (struct agent_link){ .vm = sb->vm, .vs = sb->vs };
	sb->ctl = agent_link__connect(&sb->link, AGENT_CTL_PORT, err);
	if (sb->ctl < 0 || oci_guest__setup(sb->ctl, a->spec, &a->settings, &sb->plan, err) < 0 ||
	    create_process(sb, err) < 0)
		return -1;

	bool tty = a->spec->process.terminal;
	struct relay_cfg cfg = {
		.link = &sb->link, .ctl = sb->ctl, .process = sb->process,
		.in_fd = tty ? sb->tty : STDIN_FILENO,
		.out_fd = tty ? sb->tty : STDOUT_FILENO, .err_fd = STDERR_FILENO,
		.tty = tty, .winsize_fd = sb->tty, .sig_fd = sb->sig_fd,
		.aux_fd = sb->control, .on_aux = serve_control, .aux_ctx = sb,
	};

	return relay__attach(&cfg, &sb->relay, err);
}

void sandbox__record_exit(const char *root, const char *id, int status)
{
	_cleanup_container_ struct container *c = NULL;
	_cleanup_err_ struct err *err = NULL;

	if (container__load(root, id, &c, &err) < 0) {
		pr_debug("sandbox: %s", err->msg);	/* deleted meanwhile: nothing to record */
		return;
	}
	c->status = CTR_STOPPED;
	c->exit_status = status;
	if (container__save(c, &err) < 0)
		pr_warn("sandbox: %s", err->msg);
}

/* Asks the agent for a clean shutdown (it syncs the guest's filesystems), bounded. */
static void stop_vm(struct sandbox *sb)
{
	struct pollfd p = { .fd = sb->vm->stop_fd, .events = POLLIN };

	/* The guest's reset is the answer; a guest that does not reset in time is stopped. */
	if (sb->ctl < 0 || agent__shutdown(sb->ctl, NULL) < 0 || poll(&p, 1, SHUTDOWN_WAIT_MS) <= 0)
		vm__request_stop(sb->vm, VM_STOP_POWEROFF, "the container has ended");
	vm__wait(sb->vm, NULL);
}

void sandbox__tell_parent(int fd, const char *word, const char *text)
{
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), "%s %s\n", word, text);

	io__write_all(fd, buf, n < 0 ? 0 : (size_t)n >= sizeof(buf) ? sizeof(buf) - 1 : (size_t)n);
	close(fd);
}

/* How long create waits for the sandbox to take its release. */
#define RELEASE_WAIT_MS 10000

/*
 * The sandbox's half of sandbox__release: blocks until create says its state is saved
 * (the container's process is held before exec, so nothing is waiting on us meanwhile),
 * then stops the parent-death signal and acknowledges. False when the creator went away.
 */
bool sandbox__wait_release(int fd)
{
	char c = 0;

	if (read(fd, &c, 1) != 1 || c != 'y')
		return false;
	if (prctl(PR_SET_PDEATHSIG, 0) < 0)
		return false;
	return write(fd, "k", 1) == 1;
}

int sandbox__release(struct sandbox_args *a, struct err **err)
{
	_cleanup_close_ int fd = a->creator_fd;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c = 0;

	a->creator_fd = -1;
	if (write(fd, "y", 1) != 1)
		return err_errno(err, "release the sandbox");
	if (poll(&p, 1, RELEASE_WAIT_MS) <= 0 || read(fd, &c, 1) != 1 || c != 'k')
		return err_msg(err, "the sandbox did not take its release in %d s",
			       RELEASE_WAIT_MS / 1000);
	return 0;
}

static int sandbox_seccomp_setup(const struct sandbox_args *a, struct err **err)
{
	enum seccomp_mode mode;

	if (seccomp__mode_from_env(a->settings.seccomp == CONFIG_SECCOMP_LOG ? SECCOMP_MODE_LOG :
				   SECCOMP_MODE_KILL, &mode, err) < 0)
		return -1;
	return seccomp__setup(mode, err);
}

/* The sandbox's life; returns its exit status. */
static int sandbox_main(struct sandbox_args *a, const char *root, int notify, int creator)
{
	struct sandbox sb = { .a = a, .ctl = -1, .sig_fd = -1, .tty = -1, .control = -1 };
	_cleanup_err_ struct err *err = NULL;
	int status = 255;

	prctl(PR_SET_NAME, "kage-sandbox");
	if (chdir("/") < 0)
		pr_debug("sandbox: chdir /: %s", strerror(errno));
	/* Before any thread starts: each enters its role, and its seccomp filter, as it starts. */
	if (sandbox_seccomp_setup(a, &err) < 0 || build(&sb, &err) < 0) {
		sandbox__tell_parent(notify, "error", err ? err->msg : "failed");
		if (sb.vm) {
			vm__request_stop(sb.vm, VM_STOP_SIGNAL, "the container could not be created");
			vm__wait(sb.vm, NULL);
		}
		goto out;
	}
	/* The terminal went to --console-socket: create's stdio is not the workload's, and
	 * containerd's shim reads create's output until every writer has closed it. */
	if (a->spec->process.terminal && io__release_stdio() < 0)
		pr_warn("sandbox: stdio to /dev/null: %s", strerror(errno));
	sandbox__tell_parent(notify, "ok", sb.process);
	if (!sandbox__wait_release(creator)) {
		pr_warn("container %s: its create went away before saving its state: stopping",
			a->c->id);
		status = 255;
		vm__request_stop(sb.vm, VM_STOP_SIGNAL, "its create went away");
		vm__wait(sb.vm, NULL);
		goto out;
	}
	close(creator);
	/* The container exists: this thread only relays from now on, under its filter. */
	status = seccomp__enter(THREAD_MAIN, &err) < 0 ? -1 : relay__run(sb.relay, &err);
	if (status < 0) {
		pr_err("container %s: %s", a->c->id, err ? err->msg : "failed");
		status = 255;
	}
	sandbox__record_exit(root, a->c->id, status);
	stop_vm(&sb);
	sandbox_net__unplug(&sb.net);
out:
	relay__free(sb.relay);
	vm__destroy(sb.vm);
	if (sb.ctl >= 0)
		close(sb.ctl);
	if (sb.control >= 0)
		close(sb.control);
	free(sb.process);
	free(sb.plan.cmdline);
	vm_plan__free(&sb.plan);
	return status;
}

/* "ok p1" or "error <why>" from the sandbox; EOF without either: it died. */
static int read_answer(int fd, pid_t pid, char **process, struct err **err)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(err, "sandbox");
		}
		len += n;
	}
	buf[len] = 0;
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = 0;
	if (!strncmp(buf, "ok ", 3)) {
		*process = strdup(buf + 3);
		return *process ? 0 : err_errno(err, "sandbox");
	}
	int st = 0;

	waitpid(pid, &st, 0);
	if (!strncmp(buf, "error ", 6))
		return err_msg(err, "%s", buf + 6);
	return err_msg(err, "the sandbox process died while creating the container (status %d)",
		       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

int sandbox__spawn(struct sandbox_args *a, pid_t *pid, struct err **err)
{
	int p[2], rel[2];
	char root[4096];
	pid_t creator = getpid();

	a->creator_fd = -1;
	/* The state directory's parent is the --root the sandbox records its end under. */
	if (container__root(a->c, root, sizeof(root), err) < 0)
		return -1;
	if (a->spec->process.terminal && !a->console_socket)
		return err_msg(err, "process.terminal is set: a --console-socket is needed to "
			       "hand over the terminal");
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_errno(err, "pipe");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rel) < 0) {
		close(p[0]);
		close(p[1]);
		return err_errno(err, "socketpair");
	}
	fflush(NULL);
	*pid = fork();
	if (*pid < 0) {
		close(p[0]);
		close(p[1]);
		close(rel[0]);
		close(rel[1]);
		return err_errno(err, "fork");
	}
	if (*pid == 0) {
		close(p[0]);
		close(rel[0]);
		/* Until released, our creator's end is ours (see sandbox__release); it may have
		 * died before the prctl took effect, hence the check after it. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != creator)
			_exit(255);
		/* Our copy of the lock's file description must not keep it held for our life. */
		close(a->c->lock_fd);
		a->c->lock_fd = -1;
		_exit((a->run ? a->run : sandbox_main)(a, root, p[1], rel[1]) & 0xff);
	}
	close(p[1]);
	close(rel[1]);
	int ret = read_answer(p[0], *pid, &a->c->process, err);

	close(p[0]);
	if (ret < 0)
		close(rel[0]);
	else
		a->creator_fd = rel[0];
	return ret;
}
