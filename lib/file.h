/*
 * Whole-file reads with a size cap, for the small files kage parses: its settings file, a
 * bundle's config.json, a container's state.json, exec's --process file.
 */
#ifndef KAGE_LIB_FILE_H
#define KAGE_LIB_FILE_H

#include <stddef.h>

struct err;

/*
 * Reads all of fd, which must be a regular file of at most max bytes, into a new buffer with
 * a NUL after its *len bytes; the caller frees *text. name says which file in messages. A
 * file that grows while it is read is refused: a writer is still at it.
 */
int file__read_fd(int fd, const char *name, size_t max, char **text, size_t *len,
		  struct err **err);
/*
 * Opens path (under dirfd as openat() takes it; AT_FDCWD for the working directory) and
 * reads it as file__read_fd() does, naming it path. A FIFO in the file's place is refused,
 * never waited on.
 */
int file__read_at(int dirfd, const char *path, size_t max, char **text, size_t *len,
		  struct err **err);

#endif
