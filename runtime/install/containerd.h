/*
 * containerd's config.toml, read only as far as kage needs: the top level's `version = N`
 * and its one-line `imports = [...]`. No TOML parser: anything else is left as it is.
 */
#ifndef KAGE_RUNTIME_INSTALL_CONTAINERD_H
#define KAGE_RUNTIME_INSTALL_CONTAINERD_H

#include <stdbool.h>

struct err;

/* The top level's `version = N`; 1 when there is none, as containerd reads such a file. */
int containerd__version(const char *text);

/*
 * The text with a top-level imports entry that covers the file dropin: 0 with *out NULL when
 * one already does (a path or a glob, relative ones taken from dir, the config's directory),
 * 1 with *out a new text that adds glob to the imports line (or adds the line after
 * `version`), -1 when the imports array spans lines, which only a TOML parser could edit.
 */
int containerd__add_import(const char *file, const char *text, const char *dir,
			   const char *dropin, const char *glob, char **out, struct err **err);

/* The drop-in making runtime name run binary through the runc shim, for config version. */
char *containerd__fragment(const char *name, const char *binary, int version, bool set_default);

#endif
