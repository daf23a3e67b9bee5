/* `kage spec`: writes the default config.json into a bundle, as `runc spec` does. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/io.h"
#include "../cli/cli.h"
#include "../oci/spec.h"

/*
 * runc 1.1's example spec with kage's hostname: Docker's tooling and tutorials expect this
 * shape. Only three capabilities, none inheritable or ambient (runc dropped those for
 * CVE-2022-29162).
 */
static const char default_spec[] =
	"{\"ociVersion\": \"1.0.2-dev\","
	" \"process\": {\"terminal\": true, \"user\": {\"uid\": 0, \"gid\": 0},"
	"  \"args\": [\"sh\"],"
	"  \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
	"           \"TERM=xterm\"],"
	"  \"cwd\": \"/\","
	"  \"capabilities\": {"
	"   \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
	"   \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
	"   \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]},"
	"  \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],"
	"  \"noNewPrivileges\": true},"
	" \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
	" \"hostname\": \"kage\","
	" \"mounts\": ["
	"  {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
	"  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
	"   \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
	"  {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
	"   \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\","
	"                \"mode=0620\", \"gid=5\"]},"
	"  {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
	"   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
	"  {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
	"   \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
	"  {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
	"   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
	"  {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
	"   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}],"
	" \"linux\": {"
	"  \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},"
	"  \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},"
	"                 {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],"
	"  \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
	"   \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\","
	"   \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],"
	"  \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\","
	"   \"/proc/sysrq-trigger\"]}}";

enum { OPT_ROOTLESS = 256 };

static const struct cli_opt opts[] = {
	{ "bundle", 'b', "DIR", 'b', "the bundle directory" },
	{ "rootless", 0, NULL, OPT_ROOTLESS, "refused: kage runs containers as root only" },
};

const struct cli_cmd cmd_spec_usage = {
	"spec", "spec [-b|--bundle DIR]",
	"Write a default config.json into the bundle directory (default: the current\n"
	"directory), as `runc spec` does. An existing config.json is left alone.",
	opts, ARRAY_SIZE(opts), CLI_OPERAND_OTHER,
};

/* Returns 1 to go on, 0 after --help, <0 with err set. */
static int parse_args(int argc, char **argv, const char **bundle, struct err **err)
{
	struct cli_getopt go;
	int c;

	cli_getopt__init(&go, &cmd_spec_usage, ARRAY_SIZE(opts), ":");
	opterr = 0;
	while ((c = getopt_long(argc, argv, go.shortopts, go.longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			*bundle = optarg;
			break;
		case OPT_ROOTLESS:
			/*
			 * runc's rootless spec maps the caller's uid in a user namespace and
			 * bind-mounts the host's /sys and cgroups; kage's verbs run as root
			 * only, so such a spec would promise what kage cannot run.
			 */
			return err_msg(err, "spec: --rootless is not supported: kage runs "
				       "containers as root only");
		case 'h':
			cli_cmd__usage(&cmd_spec_usage, stdout);
			return 0;
		case ':':
			return err_msg(err, "spec: option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				return err_msg(err, "spec: unknown option '-%c' (see kage spec --help)",
					       optopt);
			return err_msg(err, "spec: unknown option '%s' (see kage spec --help)",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return err_msg(err, "spec: unexpected argument '%s'", argv[optind]);
	return 1;
}

static void json_putp(json_object **o)
{
	json_object_put(*o);
}

/* Our own parser reads the spec first: `kage spec` never writes what `kage create` refuses. */
static int render(const char **text, json_object **holder, struct err **err)
{
	struct oci_spec *s = NULL;

	if (oci_spec__parse(default_spec, strlen(default_spec), &s, err) < 0)
		return err_prefix(err, "spec: the built-in default");
	oci_spec__free(s);
	*holder = json_tokener_parse(default_spec);
	if (!*holder)
		return err_msg(err, "spec: the built-in default is not JSON");
	/* runc indents with tabs (json.MarshalIndent with "\t"). */
	*text = json_object_to_json_string_ext(*holder, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_PRETTY_TAB |
						       JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	return *text ? 0 : err_msg(err, "spec: out of memory");
}

int cmd_spec(const struct globals *g, int argc, char **argv, struct err **err)
{
	_cleanup_(json_putp) json_object *holder = NULL;
	_cleanup_close_ int dirfd = -1, fd = -1;
	const char *bundle = ".", *text = NULL;
	int ret;

	(void)g;
	ret = parse_args(argc, argv, &bundle, err);
	if (ret <= 0)
		return ret;
	if (render(&text, &holder, err) < 0)
		return -1;
	dirfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return err_errno(err, "spec: bundle directory '%s'", bundle);
	/* O_EXCL: a config.json appearing between a check and the write is not overwritten. */
	fd = openat(dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0 && errno == EEXIST)
		return err_msg(err, "File config.json exists. Remove it first");
	if (fd < 0)
		return err_errno(err, "spec: create %s/config.json", bundle);
	if (io__write_all(fd, text, strlen(text)) < 0 || io__write_all(fd, "\n", 1) < 0 ||
	    close(TAKE_FD(fd)) < 0) {
		int saved = errno;

		unlinkat(dirfd, "config.json", 0);
		return err_code(err, saved, "spec: write %s/config.json", bundle);
	}
	return 0;
}
