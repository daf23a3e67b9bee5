/*
 * `kage vm`: boot a microVM on the embedded kernel and initramfs (or given images) and wait
 * for it to end. Exit status: 0 when the guest powers off or reboots, 1 when it crashes or
 * cannot start, 128+N when a signal N stopped it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sysinfo.h>

#include "../../lib/cleanup.h"
#include "cli.h"
#include "vm_cli.h"

#define DEFAULT_MEM_MIB 128
#define MIN_MEM_MIB 32
#define DEFAULT_CPUS 1
#define MAX_CPUS 254

enum { OPT_CONSOLE = 256, OPT_MEM, OPT_CPUS, OPT_CMDLINE, OPT_KERNEL, OPT_INITRD, OPT_VSOCK,
       OPT_SHARE, OPT_DISK, OPT_TAP };

/* Plain `kage vm` takes the rows up to "run only:"; the rows after it are run's alone. */
static const struct cli_opt opts[] = {
	{ "console", 0, NULL, OPT_CONSOLE, "show the guest console on stdout (input from stdin)" },
	{ "mem", 0, "SIZE", OPT_MEM,
	  "guest memory in MiB, or with a suffix M or G (default " CLI_STR(DEFAULT_MEM_MIB) ")" },
	{ "cpus", 0, "N", OPT_CPUS, "vCPUs (default " CLI_STR(DEFAULT_CPUS) ")" },
	{ "cmdline", 0, "ARGS", OPT_CMDLINE, "extra guest kernel arguments" },
	{ "kernel", 0, "PATH", OPT_KERNEL, "boot this bzImage instead of the embedded kernel" },
	{ "initrd", 0, "PATH", OPT_INITRD, "use this initramfs instead of the embedded one" },
	{ "vsock-socket", 0, "P", OPT_VSOCK,
	  "serve the guest's vsock (CID " CLI_STR(GUEST_CID) ") on Unix socket P:\n"
	  "write \"CONNECT <port>\\n\", read \"OK <port>\\n\", then the\n"
	  "stream; guest connections to host port N go to P_N" },
	{ "disk", 0, "PATH[:ro]", OPT_DISK, "attach a file or block device as /dev/vda, vdb, ..." },
	{ "share", 0, "HOST:GUEST[:ro][:cache=none|auto|always]", OPT_SHARE,
	  "share host directory HOST at GUEST (virtio-fs); without run,\n"
	  "with --initrd, its init mounts the tags share0, share1, ..." },
	{ "tap", 0, "NAME", OPT_TAP,
	  "a network card on tap NAME (made if missing), link up;\n"
	  "the guest configures its own addresses" },
	{ NULL, 0, NULL, 0, "run only:" },
	{ "tty", 't', NULL, 't', "give CMD a terminal (stdin in raw mode when it is one)" },
	{ "interactive", 'i', NULL, 'i', "pass our stdin to CMD (otherwise it reads /dev/null)" },
	{ "env", 'e', "K=V", 'e', "add to CMD's environment" },
	{ "cwd", 'w', "DIR", 'w', "CMD's working directory (default /)" },
	{ "user", 'u', "U[:G]", 'u', "run CMD as this uid and gid (default 0:0)" },
};

const struct cli_cmd cmd_vm_usage = {
	"vm", "vm [options]\n"
	"vm run [options] [-t] [-i] [-e K=V]... [-w DIR] [-u UID[:GID]] -- CMD [ARGS]",
	"Boot a microVM on the embedded guest kernel and initramfs and wait for it to end;\n"
	"with run, run CMD in it through the guest agent, carrying its stdin, stdout,\n"
	"stderr, signals and terminal, and exit with its status (128+N for signal N).",
	opts, ARRAY_SIZE(opts), CLI_OPERAND_OTHER,
};

static size_t boot_opts(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (!opts[i].name)
			return i;
	return ARRAY_SIZE(opts);
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

static int parse_opts(int argc, char **argv, struct vm_cli *o, struct err **err)
{
	struct cli_getopt go;
	uint64_t mib = DEFAULT_MEM_MIB;
	int c;

	o->plan.cfg.nr_vcpus = DEFAULT_CPUS;
	cli_getopt__init(&go, &cmd_vm_usage, o->run ? ARRAY_SIZE(opts) : boot_opts(), "+");
	opterr = 0;
	while ((c = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CONSOLE:
			o->plan.cfg.console = true;
			break;
		case OPT_MEM:
			if (parse_mem(optarg, &mib, err) < 0)
				return -1;
			break;
		case OPT_CPUS:
			if (parse_cpus(optarg, &o->plan.cfg.nr_vcpus, err) < 0)
				return -1;
			break;
		case OPT_CMDLINE:
			o->plan.extra_cmdline = optarg;
			break;
		case OPT_KERNEL:
			o->plan.kernel_path = optarg;
			break;
		case OPT_INITRD:
			o->plan.initrd_path = optarg;
			break;
		case OPT_VSOCK:
			o->plan.vsock_path = optarg;
			break;
		case OPT_SHARE:
			if (vm_cli__parse_share(&o->plan, optarg, err) < 0)
				return -1;
			break;
		case OPT_DISK:
			if (vm_cli__parse_disk(&o->plan, optarg, err) < 0)
				return -1;
			break;
		case OPT_TAP:
			if (vm_cli__parse_tap(&o->plan, optarg, err) < 0)
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
			cli_cmd__usage(&cmd_vm_usage, stdout);
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
	} else if (o->plan.nr_shares && !o->plan.initrd_path) {
		/* The embedded initramfs without the agent is the marker program: no mounts. */
		return err_msg(err, "vm: --share needs the agent (kage vm run) or an --initrd whose "
			       "init mounts the tags share0, share1, ...");
	}
	o->plan.cfg.mem_size = mib << 20;
	return 0;
}

int cmd_vm(const struct globals *g, int argc, char **argv, struct err **err)
{
	struct vm_cli o = { 0 };
	int ret;

	if (argc > 1 && !strcmp(argv[1], "run")) {
		o.run = true;
		argc--;
		argv++;
	}
	ret = parse_opts(argc, argv, &o, err);
	o.plan.marker_init = !o.run;
	if (ret == 0 && o.plan.nr_shares)
		ret = vm_cli__config_policy(&o.plan, g->config_path, err);
	if (ret == 0)
		ret = vm_plan__load_images(&o.plan, err);
	if (ret != 0) {
		vm_plan__free(&o.plan);
		free(o.plan.cmdline);
		return ret < 0 ? -1 : 0;
	}
	ret = o.run ? vm_cli__run(&o, err) : vm_plan__run_foreground(&o.plan, err);
	free(o.plan.cmdline);
	vm_plan__free(&o.plan);
	return ret;
}
