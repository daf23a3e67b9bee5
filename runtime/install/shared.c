/*
 * What the engines share: TOML strings, the dry-run diff, the copy of kage itself, removing a
 * drop-in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "diff.h"
#include "files.h"
#include "install.h"

char *install__toml_string(const char *s)
{
	char *out, *p;

	/* At most \uXXXX (6 bytes) for each byte, the quotes and the NUL. */
	out = malloc(6 * strlen(s) + 3);
	if (!out)
		return NULL;
	p = out;
	*p++ = '"';
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = c;
		} else if (c < 0x20 || c == 0x7f) {
			p += sprintf(p, "\\u%04x", c);
		} else {
			*p++ = c;
		}
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

int install__print_diff(const char *path, const char *old, const char *new, struct err **err)
{
	_cleanup_free_ char *after = NULL, *d = NULL;

	if (asprintf(&after, "%s (new)", path) < 0) {
		after = NULL;
		return err_errno(err, "diff");
	}
	if (diff__unified(old, new, path, after, &d, err) < 0)
		return -1;
	fputs(d, stdout);
	return 0;
}

int install__copy_binary(const struct install_opts *o, struct err **err)
{
	if (!o->copy_to)
		return 0;
	if (o->dry_run) {
		printf("would copy kage to %s (mode 0755)\n", o->copy_to);
		return 0;
	}
	if (files__copy_self(o->copy_to, err) < 0)
		return -1;
	printf("copied kage to %s\n", o->copy_to);
	return 0;
}

int install__remove_dropin(const struct install_opts *o, const char *dropin, const char *after,
			   struct err **err)
{
	if (access(dropin, F_OK) < 0) {
		printf("%s does not exist: runtime \"%s\" is not installed\n", dropin, o->name);
		return 0;
	}
	if (o->dry_run) {
		printf("would remove %s\n", dropin);
		return 0;
	}
	if (unlink(dropin) < 0)
		return err_errno(err, "remove %s", dropin);
	printf("removed %s: %s \"%s\"\n", dropin, after, o->name);
	return 0;
}
