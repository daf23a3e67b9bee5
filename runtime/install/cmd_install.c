/* `kage install` and `kage uninstall`: parse the flags, pick the engine, call its install. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../cli/cli.h"
#include "install.h"

enum {
	OPT_NAME = 256, OPT_DEFAULT, OPT_DAEMON_JSON, OPT_DRY_RUN, OPT_INSTALL_BINARY,
	OPT_CONTAINERD, OPT_PODMAN, OPT_WRITE, OPT_CONFIG,
};

static const struct cli_opt install_opts[] = {
	{ "runtime-name", 0, "NAME", OPT_NAME, "the runtime's name (default kage)" },
	{ "default", 0, NULL, OPT_DEFAULT, "also make it the engine's default runtime" },
	{ "daemon-json", 0, "FILE", OPT_DAEMON_JSON,
	  "Docker's file (default " INSTALL_DAEMON_JSON ")" },
	{ "dry-run", 0, NULL, OPT_DRY_RUN, "print the change as a diff, change nothing" },
	{ "install-binary", 0, "PATH", OPT_INSTALL_BINARY,
	  "copy this kage binary to PATH (mode 0755) and name\nPATH in the entry" },
	{ "containerd", 0, NULL, OPT_CONTAINERD, "print containerd's config.toml fragment" },
	{ "podman", 0, NULL, OPT_PODMAN, "print podman's containers.conf fragment" },
	{ "write", 0, NULL, OPT_WRITE,
	  "write it as a drop-in: containerd's conf.d/NAME.toml\n"
	  "beside config.toml (imported from there), podman's\n"
	  INSTALL_PODMAN_DROPIN_DIR "/NAME.conf" },
	{ "config", 0, "FILE", OPT_CONFIG,
	  "containerd's config.toml (default\n" INSTALL_CONTAINERD_CONFIG
	  "), or podman's drop-in" },
};

const struct cli_cmd cmd_install_usage = {
	"install", "install [options]",
	"Register kage as a runtime of Docker (default: its entry under \"runtimes\" in\n"
	"daemon.json, then dockerd reloads), containerd or podman. See docs/install.md.",
	install_opts, ARRAY_SIZE(install_opts), CLI_OPERAND_OTHER,
};

/* uninstall takes the same flags but those that only make sense when adding the entry. */
static const struct cli_opt uninstall_opts[] = {
	{ "runtime-name", 0, "NAME", OPT_NAME, "the runtime's name (default kage)" },
	{ "daemon-json", 0, "FILE", OPT_DAEMON_JSON,
	  "Docker's file (default " INSTALL_DAEMON_JSON ")" },
	{ "dry-run", 0, NULL, OPT_DRY_RUN, "print the change as a diff, change nothing" },
	{ "containerd", 0, NULL, OPT_CONTAINERD,
	  "remove containerd's drop-in (conf.d/NAME.toml\nbeside config.toml)" },
	{ "podman", 0, NULL, OPT_PODMAN,
	  "remove podman's drop-in\n(" INSTALL_PODMAN_DROPIN_DIR "/NAME.conf)" },
	{ "config", 0, "FILE", OPT_CONFIG, "containerd's config.toml, or podman's drop-in file" },
};

const struct cli_cmd cmd_uninstall_usage = {
	"uninstall", "uninstall [options]",
	"Take kage's runtime out of Docker's daemon.json (only its entry, and\n"
	"default-runtime when it names it), or remove the containerd or podman drop-in.",
	uninstall_opts, ARRAY_SIZE(uninstall_opts), CLI_OPERAND_OTHER,
};

/* Runtime names go into JSON keys, TOML keys and file names: keep them plain. */
static int check_name(const char *name, struct err **err)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789_-") != n || name[0] == '-')
		return err_msg(err, "--runtime-name '%s': want 1 to 64 letters, digits, '_' or '-' "
			       "(not starting with '-')", name);
	return 0;
}

struct parsed {
	struct install_opts o;
	const char *install_binary;
	const char *daemon_json, *config;
	bool containerd, podman;
};

static int parse(int argc, char **argv, struct parsed *p, struct err **err)
{
	const struct cli_cmd *cmd = p->o.remove ? &cmd_uninstall_usage : &cmd_install_usage;
	struct cli_getopt go;
	int c;

	cli_getopt__init(&go, cmd, cmd->n_opts, "");
	opterr = 0;
	while ((c = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		switch (c) {
		case OPT_NAME:
			p->o.name = optarg;
			break;
		case OPT_DEFAULT:
			p->o.set_default = true;
			break;
		case OPT_DAEMON_JSON:
			p->daemon_json = optarg;
			break;
		case OPT_DRY_RUN:
			p->o.dry_run = true;
			break;
		case OPT_INSTALL_BINARY:
			p->install_binary = optarg;
			break;
		case OPT_CONTAINERD:
			p->containerd = true;
			break;
		case OPT_PODMAN:
			p->podman = true;
			break;
		case OPT_WRITE:
			p->o.write = true;
			break;
		case OPT_CONFIG:
			p->config = optarg;
			break;
		case 'h':
			cli_cmd__usage(cmd, stdout);
			return -2;
		default:
			return err_msg(err, "%s: unknown option '%s' (see kage %s --help)", argv[0],
				       argv[optind - 1], argv[0]);
		}
	}
	if (optind != argc)
		return err_msg(err, "%s: unexpected argument '%s'", argv[0], argv[optind]);
	return check_name(p->o.name, err);
}

/* The combinations that say two different things are refused rather than guessed. */
static int check_flags(char **argv, struct parsed *p, struct err **err)
{
	if (p->containerd && p->podman)
		return err_msg(err, "%s: --containerd and --podman: one engine at a time", argv[0]);
	if ((p->containerd || p->podman) && p->daemon_json)
		return err_msg(err, "%s: --daemon-json is Docker's; --config names %s's file",
			       argv[0], p->containerd ? "containerd" : "podman");
	if (!p->containerd && !p->podman && (p->o.write || p->config))
		return err_msg(err, "%s: --%s goes with --containerd or --podman (Docker's file is "
			       "--daemon-json)", argv[0], p->o.write ? "write" : "config");
	p->o.config = p->daemon_json ? p->daemon_json : p->config;
	return 0;
}

/* path as an absolute one: the entry, and containerd's relative imports, need it so. */
static int absolute(const char *path, char **out, struct err **err)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		*out = strdup(path);
	else if (!getcwd(cwd, sizeof(cwd)) || asprintf(out, "%s/%s", cwd, path) < 0)
		*out = NULL;
	return *out ? 0 : err_errno(err, "%s", path);
}

/* The path the runtime entry names: --install-binary's, or this very binary. */
static int binary_path(const char *install_binary, char **out, struct err **err)
{
	if (install_binary)
		return absolute(install_binary, out, err);
	*out = realpath("/proc/self/exe", NULL);
	return *out ? 0 : err_errno(err, "resolve /proc/self/exe");
}

static int run(int argc, char **argv, bool remove, struct err **err)
{
	struct parsed p = { .o = { .name = "kage", .remove = remove } };
	_cleanup_free_ char *binary = NULL, *config = NULL;
	int ret = parse(argc, argv, &p, err);

	if (ret == -2)
		return 0;
	if (ret < 0 || check_flags(argv, &p, err) < 0)
		return -1;
	if (p.o.config) {
		if (absolute(p.o.config, &config, err) < 0)
			return -1;
		p.o.config = config;
	}
	if (!remove) {
		if (binary_path(p.install_binary, &binary, err) < 0)
			return -1;
		p.o.binary = binary;
		p.o.copy_to = p.install_binary ? binary : NULL;
	}
	if (p.containerd)
		return install__containerd(&p.o, err);
	if (p.podman)
		return install__podman(&p.o, err);
	return install__docker(&p.o, err);
}

int cmd_install(const struct globals *g, int argc, char **argv, struct err **err)
{
	return run(argc, argv, false, err);
}

int cmd_uninstall(const struct globals *g, int argc, char **argv, struct err **err)
{
	return run(argc, argv, true, err);
}
