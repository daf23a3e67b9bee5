/* kage as a podman runtime: a containers.conf drop-in, which podman reads at every start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "files.h"
#include "install.h"

static char *fragment(const struct install_opts *o)
{
	_cleanup_free_ char *b = install__toml_string(o->binary);
	char *out;

	if (!b)
		return NULL;
	if (asprintf(&out,
		     "# Written by kage install --podman: kage as runtime \"%s\".\n"
		     "%s%s%s"
		     "[engine.runtimes]\n"
		     "%s = [%s]\n",
		     o->name, o->set_default ? "[engine]\nruntime = \"" : "",
		     o->set_default ? o->name : "", o->set_default ? "\"\n\n" : "", o->name, b) < 0)
		return NULL;
	return out;
}

int install__podman(const struct install_opts *o, struct err **err)
{
	_cleanup_free_ char *dropin = NULL, *frag = NULL;
	struct old_file old = { 0 };
	int ret = -1;

	if (o->config)
		dropin = strdup(o->config);
	else if (asprintf(&dropin, "%s/%s.conf", INSTALL_PODMAN_DROPIN_DIR, o->name) < 0)
		dropin = NULL;
	if (!dropin)
		return err_errno(err, "podman drop-in");
	if (o->remove)
		return install__remove_dropin(o, dropin, "podman no longer knows runtime", err);
	frag = fragment(o);
	if (!frag)
		return err_errno(err, "podman drop-in");
	if (o->write && files__read(dropin, &old, err) < 0)
		return -1;
	if (install__copy_binary(o, err) < 0)
		goto out;
	if (!o->write) {
		fputs(frag, stdout);
		return 0;
	}
	ret = 0;
	if (old.exists && !strcmp(old.text, frag)) {
		printf("%s: runtime \"%s\" is already installed: nothing changed\n", dropin,
		       o->name);
	} else if (o->dry_run) {
		ret = install__print_diff(dropin, old.text, frag, err);
	} else {
		ret = files__replace(dropin, frag, strlen(frag), 0644, geteuid(), getegid(), err);
		if (ret == 0)
			printf("wrote %s: podman --runtime %s runs kage from its next command\n",
			       dropin, o->name);
	}
out:
	files__free(&old);
	return ret;
}
