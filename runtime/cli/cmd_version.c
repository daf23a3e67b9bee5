/* `kage version` and `kage --version`: what runc prints, plus the libraries linked in. */
#include <stdio.h>

#include <json-c/json_c_version.h>
#include <seccomp.h>

#include "cli.h"

/* The OCI runtime spec version whose config.json we read. */
#define OCI_SPEC_VERSION "1.1.0"

void cli__print_version(void)
{
	const struct scmp_version *sv = seccomp_version();

	printf("kage version %s\n", KAGE_VERSION);
	printf("commit: %s\n", KAGE_COMMIT);
	printf("spec: %s\n", OCI_SPEC_VERSION);
	printf("libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
	printf("json-c: %s\n", json_c_version());
}

int cmd_version(const struct globals *g, int argc, char **argv, struct err **err)
{
	(void)g;
	if (argc > 1 && !cli__wants_help(argc, argv))
		return err_msg(err, "version: unexpected argument '%s'", argv[1]);
	if (cli__wants_help(argc, argv)) {
		printf("Usage: kage version\n\nPrint kage's version and the versions of the "
		       "libraries built into it.\n");
		return 0;
	}
	cli__print_version();
	return 0;
}
