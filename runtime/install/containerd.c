/* kage as a containerd runtime (a RuntimeClass handler): a drop-in that config.toml imports. */
#include "containerd.h"

#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"
#include "files.h"
#include "install.h"

/* The next line of the top level (before the first [table]), leading blanks skipped. */
static const char *top_line(const char *p, const char **next)
{
	const char *nl = strchr(p, '\n');

	*next = nl ? nl + 1 : NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '[' ? NULL : p;
}

/* p names key, followed by blanks and '='; returns what follows the '=', or NULL. */
static const char *key_value(const char *p, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(p, key, n) || (p[n] != ' ' && p[n] != '\t' && p[n] != '='))
		return NULL;
	for (p += n; *p == ' ' || *p == '\t'; p++)
		;
	if (*p != '=')
		return NULL;
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	return p;
}

int containerd__version(const char *text)
{
	const char *next, *line, *v;

	for (const char *p = text; p && (line = top_line(p, &next)); p = next) {
		if ((v = key_value(line, "version")) && *v >= '0' && *v <= '9')
			return atoi(v);
	}
	return 1;
}

/* Whether the imports entry e (a path or glob as containerd reads it) covers dropin. */
static bool covers(const char *e, size_t len, const char *dir, const char *dropin)
{
	_cleanup_free_ char *pattern = NULL;
	int n = *e == '/' ? asprintf(&pattern, "%.*s", (int)len, e) :
			    asprintf(&pattern, "%s/%.*s", dir, (int)len, e);

	if (n < 0) {
		pattern = NULL;
		return false;
	}
	return fnmatch(pattern, dropin, FNM_PATHNAME) == 0;
}

/*
 * Walks the array that starts at open ('['): each quoted entry is checked against dropin.
 * Returns the ']' that ends it on this line, or NULL when it does not end there.
 */
static const char *scan_imports(const char *open, const char *dir, const char *dropin,
				bool *covered, bool *empty)
{
	*covered = false;
	*empty = true;
	for (const char *p = open + 1; *p && *p != '\n'; p++) {
		if (*p == ']')
			return p;
		if (*p != '"' && *p != '\'')
			continue;
		const char *start = p + 1, *q = start;

		/* Escapes in a path are rare; a \" only must not end the string early. */
		while (*q && *q != '\n' && *q != *p)
			q += *p == '"' && *q == '\\' && q[1] ? 2 : 1;
		if (*q != *p)
			return NULL;
		*empty = false;
		if (covers(start, q - start, dir, dropin))
			*covered = true;
		p = q;
	}
	return NULL;
}

int containerd__add_import(const char *file, const char *text, const char *dir,
			   const char *dropin, const char *glob, char **out, struct err **err)
{
	_cleanup_free_ char *g = install__toml_string(glob);
	const char *next, *line, *v, *after_version = NULL, *close;
	bool covered, empty;
	int n;

	*out = NULL;
	if (!g)
		return err_errno(err, "%s", file);
	for (const char *p = text; p && (line = top_line(p, &next)); p = next) {
		if (key_value(line, "version"))
			after_version = next ? next : line + strlen(line);
		if (!(v = key_value(line, "imports")))
			continue;
		close = *v == '[' ? scan_imports(v, dir, dropin, &covered, &empty) : NULL;
		if (!close)
			return err_msg(err, "%s: its imports = [...] spans several lines or is not "
				       "an array of strings: add \"%s\" to it by hand", file, glob);
		if (covered)
			return 0;
		n = asprintf(out, "%.*s%s%s%s", (int)(close - text), text, empty ? "" : ", ", g,
			     close);
		return n < 0 ? (*out = NULL, err_errno(err, "%s", file)) : 1;
	}
	if (!after_version)
		return err_msg(err, "%s: no top-level version line", file);
	n = asprintf(out, "%.*s%simports = [%s]\n%s", (int)(after_version - text), text,
		     after_version > text && after_version[-1] != '\n' ? "\n" : "", g,
		     after_version);
	return n < 0 ? (*out = NULL, err_errno(err, "%s", file)) : 1;
}

char *containerd__fragment(const char *name, const char *binary, int version, bool set_default)
{
	/* containerd 2 (config version 3) split the CRI plugin and renamed the runtime's part. */
	const char *plugin = version >= 3 ? "io.containerd.cri.v1.runtime" :
					    "io.containerd.grpc.v1.cri";
	_cleanup_free_ char *b = install__toml_string(binary);
	char *out = NULL, *dflt = NULL;

	if (!b)
		return NULL;
	if (set_default && asprintf(&dflt, "[plugins.\"%s\".containerd]\n"
				    "  default_runtime_name = \"%s\"\n\n", plugin, name) < 0)
		return NULL;
	if (asprintf(&out,
		     "# Written by kage install --containerd: kage as runtime \"%s\".\n"
		     "version = %d\n\n%s"
		     "[plugins.\"%s\".containerd.runtimes.%s]\n"
		     "  runtime_type = \"io.containerd.runc.v2\"\n\n"
		     "[plugins.\"%s\".containerd.runtimes.%s.options]\n"
		     "  BinaryName = %s\n",
		     name, version, dflt ? dflt : "", plugin, name, plugin, name, b) < 0)
		out = NULL;
	free(dflt);
	return out;
}

/* The drop-in's directory beside config.toml: conf.d, as containerd 2's default imports. */
static int paths(const char *config, const char *name, char **dir, char **dropin, char **glob)
{
	_cleanup_free_ char *copy = strdup(config);

	*dropin = *glob = NULL;
	*dir = copy ? strdup(dirname(copy)) : NULL;
	if (!*dir || asprintf(dropin, "%s/conf.d/%s.toml", *dir, name) < 0 ||
	    asprintf(glob, "%s/conf.d/*.toml", *dir) < 0)
		return -1;
	return 0;
}

/*
 * containerd 1.x replaces a plugin's whole section with an imported file's (containerd issue
 * 5837, merged per key only from 2.0), so a drop-in would take away config.toml's CRI settings
 * and even its runc runtime: with a version 2 file kage writes nothing.
 */
static int check_version(const char *config, int version, struct err **err)
{
	if (version < 2)
		return err_msg(err, "%s has no `version = 2` or later line: containerd "
			       "reads it as version 1, which has no imports; add the fragment "
			       "that `kage install --containerd` prints to it by hand", config);
	if (version == 2)
		return err_msg(err, "%s is a version 2 config: containerd 1.x would let a "
			       "drop-in replace its whole CRI section (runc included), so kage "
			       "does not write one; add the fragment that `kage install "
			       "--containerd` prints to it by hand, or use containerd 2 "
			       "(version = 3)", config);
	return 0;
}

static int write_files(const struct install_opts *o, const char *config, const struct old_file *f,
		       const char *dropin, const char *frag, const char *newconf, struct err **err)
{
	_cleanup_free_ char *bak = NULL;

	if (files__replace(dropin, frag, strlen(frag), 0644, geteuid(), getegid(), err) < 0)
		return -1;
	printf("wrote %s\n", dropin);
	if (newconf) {
		if (files__backup(config, f, &bak, err) < 0 ||
		    files__replace(config, newconf, strlen(newconf), f->mode, f->uid, f->gid,
				   err) < 0)
			return -1;
		printf("saved the previous %s as %s\nadded its imports line\n", config, bak);
	}
	printf("restart containerd to load runtime \"%s\" (systemctl restart containerd)\n",
	       o->name);
	return 0;
}

static int install(const struct install_opts *o, const char *config, const char *dir,
		   const char *dropin, const char *glob, struct err **err)
{
	_cleanup_free_ char *frag = NULL, *newconf = NULL;
	struct old_file f = { 0 }, old = { 0 };
	int version, ret = -1;

	if (files__read(config, &f, err) < 0)
		return -1;
	version = f.exists ? containerd__version(f.text) : 2;
	if (!o->write) {
		frag = containerd__fragment(o->name, o->binary, version < 2 ? 2 : version,
					    o->set_default);
		if (!frag) {
			err_errno(err, "fragment");
			goto out;
		}
		if (install__copy_binary(o, err) == 0) {
			fputs(frag, stdout);
			ret = 0;
		}
		goto out;
	}
	if (!f.exists) {
		err_msg(err, "%s does not exist: write containerd's (containerd config default > "
			"%s) and run this again", config, config);
		goto out;
	}
	if (check_version(config, version, err) < 0 || files__read(dropin, &old, err) < 0)
		goto out;
	frag = containerd__fragment(o->name, o->binary, version, o->set_default);
	if (!frag) {
		err_errno(err, "fragment");
		goto out;
	}
	if (containerd__add_import(config, f.text, dir, dropin, glob, &newconf, err) < 0 ||
	    install__copy_binary(o, err) < 0)
		goto out;
	ret = 0;
	if (old.exists && !strcmp(old.text, frag) && !newconf)
		printf("%s: runtime \"%s\" is already installed: nothing changed\n", dropin,
		       o->name);
	else if (o->dry_run)
		ret = install__print_diff(dropin, old.text, frag, err) < 0 ||
		      (newconf && install__print_diff(config, f.text, newconf, err) < 0) ? -1 : 0;
	else
		ret = write_files(o, config, &f, dropin, frag, newconf, err);
out:
	files__free(&f);
	files__free(&old);
	return ret;
}

int install__containerd(const struct install_opts *o, struct err **err)
{
	const char *config = o->config ? o->config : INSTALL_CONTAINERD_CONFIG;
	_cleanup_free_ char *dir = NULL, *dropin = NULL, *glob = NULL;

	if (paths(config, o->name, &dir, &dropin, &glob) < 0)
		return err_errno(err, "%s", config);
	if (o->remove)
		return install__remove_dropin(o, dropin, "restart containerd to drop runtime", err);
	return install(o, config, dir, dropin, glob, err);
}
