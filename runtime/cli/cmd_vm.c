/*
 * `kage vm`: boot a microVM on the embedded kernel and initramfs (or given images) and wait
 * for it to end. Exit status: 0 when the guest powers off or reboots, 1 when it crashes or
 * cannot start, 128+N when a signal N stopped it.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "../../devices/serial.h"
#include "../../devices/virtio/mmio.h"
#include "../../devices/vsock/vsock.h"
#include "../../lib/cleanup.h"
#include "../../lib/log.h"
#include "../../vmm/arch.h"
#include "../../vmm/embed.h"
#include "../../vmm/vm.h"
#include "cli.h"
#include "../machine/vm_plan.h"
#include "../../lib/time.h"

#define DEFAULT_MEM_MIB 128
#define MIN_MEM_MIB 32
#define DEFAULT_CPUS 1
#define MAX_CPUS 254


static void usage(FILE *out)
{
	fprintf(out,
		"Usage: kage vm [options]\n"
		"       kage vm run [options] [-t] [-i] [-e K=V]... [-w DIR] [-u UID[:GID]] -- CMD [ARGS]\n\n"
		"Boot a microVM on the embedded guest kernel and initramfs and wait for it to end;\n"
		"with run, run CMD in it through the guest agent, carrying its stdin, stdout,\n"
		"stderr, signals and terminal, and exit with its status (128+N for signal N).\n\n"
		"  --console          show the guest console on stdout (input from stdin)\n"
		"  --mem SIZE         guest memory in MiB, or with a suffix M or G (default %d)\n"
		"  --cpus N           vCPUs (default %d)\n"
		"  --cmdline ARGS     extra guest kernel arguments\n"
		"  --kernel PATH      boot this bzImage instead of the embedded kernel\n"
		"  --initrd PATH      use this initramfs instead of the embedded one\n"
		"  --vsock-socket P   serve the guest's vsock (CID %d) on Unix socket P:\n"
		"                     write \"CONNECT <port>\\n\", read \"OK <port>\\n\", then the\n"
		"                     stream; guest connections to host port N go to P_N\n"
		"  --disk PATH[:ro]   attach a file or block device as /dev/vda, vdb, ...\n"
		"run only:\n"
		"  --share HOST:GUEST[:ro][:cache=none|auto|always]\n"
		"                     share host directory HOST at GUEST (virtio-fs)\n"
		"  -t, --tty          give CMD a terminal (stdin in raw mode when it is one)\n"
		"  -i, --interactive  pass our stdin to CMD (otherwise it reads /dev/null)\n"
		"  -e, --env K=V      add to CMD's environment\n"
		"  -w, --cwd DIR      CMD's working directory (default /)\n"
		"  -u, --user U[:G]   run CMD as this uid and gid (default 0:0)\n",
		DEFAULT_MEM_MIB, DEFAULT_CPUS, GUEST_CID);
}

/* "512", "512M", "2G" → MiB. */
static int parse_mem(const char *s, uint64_t *mib, struct err **err)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s || *s == '-')
		return err_msg(err, "--mem: '%s' is not a size", s);
	if (!strcasecmp(end, "G") || !strcasecmp(end, "GiB"))
		v *= 1024;
	else if (*end && strcasecmp(end, "M") && strcasecmp(end, "MiB"))
		return err_msg(err, "--mem: '%s' has an unknown unit (M or G)", s);
	if (v < MIN_MEM_MIB)
		return err_msg(err, "--mem: %llu MiB is too little, the guest needs at least %d MiB",
			       v, MIN_MEM_MIB);
	struct sysinfo si;

	if (sysinfo(&si) == 0) {
		unsigned long long host = (unsigned long long)si.totalram * si.mem_unit >> 20;

		if (v > host)
			return err_msg(err, "--mem: %llu MiB is more than this host's %llu MiB", v,
				       host);
	}
	*mib = v;
	return 0;
}

static int parse_cpus(const char *s, unsigned int *n, struct err **err)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < 1)
		return err_msg(err, "--cpus: '%s' is not a vCPU count (at least 1)", s);
	if (v > MAX_CPUS)
		return err_msg(err, "--cpus: %ld vCPUs, kage supports at most %d", v, MAX_CPUS);
	*n = v;
	return 0;
}

/* Maps an image file read-only; the mapping lives until exit. */
static int map_file(const char *path, const void **data, size_t *size, struct err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return err_errno(err, "open '%s'", path);
	if (fstat(fd, &st) < 0)
		return err_errno(err, "stat '%s'", path);
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return err_msg(err, "'%s' is not a non-empty regular file", path);
	void *p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

	if (p == MAP_FAILED)
		return err_errno(err, "map '%s'", path);
	*data = p;
	*size = st.st_size;
	return 0;
}

static int parse_opts(int argc, char **argv, struct vm_opts *o, struct err **err)
{
	enum { OPT_CONSOLE = 256, OPT_MEM, OPT_CPUS, OPT_CMDLINE, OPT_KERNEL, OPT_INITRD,
	       OPT_VSOCK, OPT_SHARE, OPT_DISK };
	const char *shortopts = o->run ? "+htie:w:u:" : "+h";
	static const struct option opts[] = {
		{ "console", no_argument, NULL, OPT_CONSOLE },
		{ "mem", required_argument, NULL, OPT_MEM },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "initrd", required_argument, NULL, OPT_INITRD },
		{ "vsock-socket", required_argument, NULL, OPT_VSOCK },
		{ "share", required_argument, NULL, OPT_SHARE },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "tty", no_argument, NULL, 't' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "env", required_argument, NULL, 'e' },
		{ "cwd", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t mib = DEFAULT_MEM_MIB;
	int c;

	o->cfg.nr_vcpus = DEFAULT_CPUS;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (!o->run && c == OPT_SHARE)
			return err_msg(err, "vm: --share needs the agent: use kage vm run");
		if (!o->run && c > 0 && c < 256 && strchr("tiewu", c))
			c = '?';	/* run-only options */
		switch (c) {
		case OPT_CONSOLE:
			o->cfg.console = true;
			break;
		case OPT_MEM:
			if (parse_mem(optarg, &mib, err) < 0)
				return -1;
			break;
		case OPT_CPUS:
			if (parse_cpus(optarg, &o->cfg.nr_vcpus, err) < 0)
				return -1;
			break;
		case OPT_CMDLINE:
			o->extra_cmdline = optarg;
			break;
		case OPT_KERNEL:
			o->kernel_path = optarg;
			break;
		case OPT_INITRD:
			o->initrd_path = optarg;
			break;
		case OPT_VSOCK:
			o->vsock_path = optarg;
			break;
		case OPT_SHARE:
			if (vm_devices__parse_share(o, optarg, err) < 0)
				return -1;
			break;
		case OPT_DISK:
			if (vm_devices__parse_disk(o, optarg, err) < 0)
				return -1;
			break;
		case 't':
			o->tty = true;
			break;
		case 'i':
			o->interactive = true;
			break;
		case 'e':
			if (o->nr_env == VM_ENV_MAX || !strchr(optarg, '='))
				return err_msg(err, "vm run: --env '%s' is not K=V (at most %d)", optarg,
					       VM_ENV_MAX);
			o->env[o->nr_env++] = optarg;
			break;
		case 'w':
			o->cwd = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return err_msg(err, "vm: unknown option '%s' (see kage vm --help)",
				       argv[optind - 1]);
		}
	}
	if (o->run) {
		if (optind >= argc)
			return err_msg(err, "vm run: no command given (kage vm run [options] -- CMD)");
		o->command = argv + optind;
	} else if (optind < argc) {
		return err_msg(err, "vm: unexpected argument '%s'", argv[optind]);
	}
	o->cfg.mem_size = mib << 20;
	return 0;
}

void vm_cli__embedded_images(struct vm_config *cfg)
{
	cfg->kernel = kage_kernel_start;
	cfg->kernel_size = kage_kernel_end - kage_kernel_start;
	cfg->initrd = kage_initrd_start;
	cfg->initrd_size = kage_initrd_end - kage_initrd_start;
}

static int load_images(struct vm_opts *o, struct err **err)
{
	struct vm_config *cfg = &o->cfg;

	if (o->kernel_path) {
		if (map_file(o->kernel_path, &cfg->kernel, &cfg->kernel_size, err) < 0)
			return err_prefix(err, "--kernel");
	} else {
		cfg->kernel = kage_kernel_start;
		cfg->kernel_size = kage_kernel_end - kage_kernel_start;
	}
	if (o->initrd_path) {
		if (map_file(o->initrd_path, &cfg->initrd, &cfg->initrd_size, err) < 0)
			return err_prefix(err, "--initrd");
	} else if (!o->kernel_path) {
		cfg->initrd = kage_initrd_start;
		cfg->initrd_size = kage_initrd_end - kage_initrd_start;
	}
	/*
	 * Without a console, keep the kernel quiet: every console byte is a VM exit. The embedded
	 * initramfs holds the agent (/init) and the marker program; plain `kage vm` runs the latter.
	 */
	const char *init = !o->run && !o->initrd_path && !o->kernel_path ? " rdinit=/sbin/kage-hello" : "";

	if (asprintf(&o->cmdline, "%s%s%s%s%s", arch__base_cmdline(), init, cfg->console ? "" : " quiet",
		     o->extra_cmdline ? " " : "", o->extra_cmdline ? o->extra_cmdline : "") < 0)
		return err_errno(err, "build the kernel command line");
	cfg->cmdline = o->cmdline;
	return 0;
}

static double ms_since(uint64_t t0_ns)
{
	return (double)(time__now_ns() - t0_ns) / 1e6;
}

/* Guest RAM actually resident, so --debug can report the VMM's own overhead apart from it. */
static unsigned long guest_resident_kib(const struct vm *vm)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long pages = 0;

	for (unsigned int i = 0; i < vm->mem.nr; i++) {
		size_t n = vm->mem.regions[i].size / page;
		_cleanup_free_ unsigned char *vec = malloc(n);

		if (!vec || mincore(vm->mem.regions[i].host, vm->mem.regions[i].size, vec) < 0)
			continue;
		for (size_t j = 0; j < n; j++)
			pages += vec[j] & 1;
	}
	return pages * (page / 1024);
}

static unsigned long peak_rss_kib(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long kib = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lu kB", &kib) == 1)
			break;
	return kib;
}

static void on_signal(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(vm->stop_signal_fd, &si, sizeof(si)) == sizeof(si))
		vm__stop_for_signal(vm, si.ssi_signo);
}

static int watch_signals(struct vm *vm, sigset_t *mask, struct err **err)
{
	vm->stop_signal_fd = signalfd(-1, mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (vm->stop_signal_fd < 0)
		return err_errno(err, "signalfd");
	return loop__add(&vm->loop, vm->stop_signal_fd, EPOLLIN, on_signal, vm, err);
}

static int run_vm(struct vm_opts *o, struct err **err)
{
	struct vm *vm = NULL;
	uint64_t t0 = time__now_ns();
	sigset_t mask;
	int rc = -1;

	/* Blocked before any thread starts, so only the signalfd sees them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	if (vm_cli__create(o, &vm, NULL, err) < 0 || watch_signals(vm, &mask, err) < 0)
		goto out;
	/* Console input is optional: stdin may be /dev/null or a file epoll cannot watch. */
	if (o->cfg.console && serial__attach_input(vm->console, &vm->loop, STDIN_FILENO, NULL) < 0)
		pr_debug("console input not attached");

	pr_debug("boot: VMM set up in %.3f ms (%u vCPUs, %llu MiB)", ms_since(t0),
		 o->cfg.nr_vcpus, (unsigned long long)(o->cfg.mem_size >> 20));
	enum vm_stop how = vm__run(vm, err);

	pr_debug("boot: guest ran for %.3f ms in all; peak RSS %lu KiB, guest RAM resident %lu KiB",
		 ms_since(t0), peak_rss_kib(), guest_resident_kib(vm));
	switch (how) {
	case VM_STOP_POWEROFF:
	case VM_STOP_REBOOT:
		pr_debug("%s", vm->stop_msg);
		rc = 0;
		break;
	case VM_STOP_SIGNAL:
		rc = 128 + vm->stop_signal;
		break;
	default:
		if (!o->cfg.console && vm->console && *serial__tail(vm->console))
			fprintf(stderr, "--- the guest console's last output ---\n%s\n---\n",
				serial__tail(vm->console));
	}
out:
	vm__destroy(vm);
	return rc;
}

/* `kage vm run`: the command's relay runs on this thread while the VM runs on its own. */
static int run_command(struct vm_opts *o, struct err **err)
{
	struct vm *vm = NULL;
	struct vsock *vs = NULL;
	int rc = -1;

	vm_run__block_signals();
	if (vm_run__confine(err) < 0 || vm_cli__create(o, &vm, &vs, err) < 0 ||
	    vm__start(vm, err) < 0)
		goto out;
	rc = vm_run__command(o, vm, vs, err);
	if (rc < 0)
		vm__request_stop(vm, VM_STOP_SIGNAL, "the command could not run");
	enum vm_stop how = vm__wait(vm, rc < 0 ? NULL : err);

	if (rc >= 0 && how == VM_STOP_ERROR)
		rc = -1;
out:
	vm__destroy(vm);
	return rc;
}

int cmd_vm(const struct globals *g, int argc, char **argv, struct err **err)
{
	struct vm_opts o = { 0 };
	int ret;

	if (argc > 1 && !strcmp(argv[1], "run")) {
		o.run = true;
		argc--;
		argv++;
	}
	ret = parse_opts(argc, argv, &o, err);
	if (ret == 0 && o.nr_shares)
		ret = vm_devices__config_policy(&o, g->config_path, err);
	if (ret == 0)
		ret = load_images(&o, err);
	if (ret != 0) {
		vm_devices__free(&o);
		free(o.cmdline);
		return ret < 0 ? -1 : 0;
	}
	ret = o.run ? run_command(&o, err) : run_vm(&o, err);
	free(o.cmdline);
	vm_devices__free(&o);
	return ret;
}
