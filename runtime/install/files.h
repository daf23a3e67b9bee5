/*
 * The files `kage install` touches: read whole or found missing, replaced atomically with
 * their mode and owner kept, backed up first, and kage's own binary copied into place.
 */
#ifndef KAGE_RUNTIME_INSTALL_FILES_H
#define KAGE_RUNTIME_INSTALL_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct err;

struct old_file {
	char *text;	/* NUL-terminated; "" for a missing file */
	size_t len;
	bool exists;
	mode_t mode;	/* permission bits (0644 for a missing file) */
	uid_t uid;
	gid_t gid;
};

/* Reads path (at most 1 MiB); a missing file is not an error but exists=false. */
int files__read(const char *path, struct old_file *f, struct err **err);
void files__free(struct old_file *f);

/*
 * Replaces path with the len bytes of data: a temporary file in the same directory (created
 * with its parents when missing), given mode, uid and gid, synced, then renamed over path,
 * so that a reader sees the old file or the new one and never half of it.
 */
int files__replace(const char *path, const char *data, size_t len, mode_t mode, uid_t uid,
		   gid_t gid, struct err **err);

/* Saves f's text as path.kage-bak (same mode) and sets *bak to that name; the caller frees. */
int files__backup(const char *path, const struct old_file *f, char **bak, struct err **err);

/* Copies the running binary (/proc/self/exe) to path, atomically, mode 0755. */
int files__copy_self(const char *path, struct err **err);

#endif
