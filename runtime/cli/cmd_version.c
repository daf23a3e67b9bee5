/*
 * `kage version` and `kage --version`: what runc prints, plus the libraries linked in and the
 * guest images embedded (the kernel's version, and the SHA-256 a settings file can pin).
 */
#include <stdio.h>

#include <json-c/json_c_version.h>
#include <seccomp.h>

#include "../../lib/err.h"
#include "../machine/vm_plan.h"
#include "cli.h"

/* The OCI runtime spec version whose config.json we read. */
#define OCI_SPEC_VERSION "1.1.0"

static void print_images(void)
{
	_cleanup_err_ struct err *err = NULL;
	char version[256], kernel[65], initrd[65];

	if (vm_plan__embedded_kernel_version(version, sizeof(version), &err) < 0)
		printf("guest kernel: unknown (%s)\n", err->msg);
	else
		printf("guest kernel: %s\n", version);
	vm_plan__embedded_sha256(kernel, initrd);
	printf("guest kernel sha256: %s\n", kernel);
	printf("guest initramfs sha256: %s\n", initrd);
}

void cli__print_version(void)
{
	const struct scmp_version *sv = seccomp_version();

	printf("kage version %s\n", KAGE_VERSION);
	printf("commit: %s\n", KAGE_COMMIT);
	printf("spec: %s\n", OCI_SPEC_VERSION);
	printf("libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
	printf("json-c: %s\n", json_c_version());
	print_images();
}

const struct cli_cmd cmd_version_usage = {
	"version", "version",
	"Print kage's version, the versions of the libraries built into it, the\n"
	"embedded guest kernel's version and the SHA-256 of the embedded kernel and\n"
	"initramfs (what `kernel_sha256` and `initrd_sha256` pin them to).",
	NULL, 0, CLI_OPERAND_OTHER,
};

int cmd_version(const struct globals *g, int argc, char **argv, struct err **err)
{
	(void)g;
	if (cli__wants_help(argc, argv)) {
		cli_cmd__usage(&cmd_version_usage, stdout);
		return 0;
	}
	if (argc > 1)
		return err_msg(err, "version: unexpected argument '%s'", argv[1]);
	cli__print_version();
	return 0;
}
