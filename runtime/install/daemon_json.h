/*
 * Docker's daemon.json edited for kage's runtime entry: a pure function of the old text, so
 * that what `kage install` writes can be tested without a file or a dockerd.
 */
#ifndef KAGE_RUNTIME_INSTALL_DAEMON_JSON_H
#define KAGE_RUNTIME_INSTALL_DAEMON_JSON_H

#include <stdbool.h>
#include <stddef.h>

struct err;

struct daemon_json_edit {
	const char *name;	/* the entry under "runtimes" */
	const char *path;	/* install: the binary the entry names */
	bool set_default;	/* install: also make it "default-runtime" */
	bool remove;		/* uninstall: drop it (and "default-runtime" if it names it) */
};

/*
 * Applies e to the len bytes of text (an empty or blank text is {}), which must be a JSON
 * object; file names it in messages. Every other key keeps its value and place; a "runtimes"
 * that uninstall empties stays as {}, which dockerd's reload needs to drop the runtime.
 * Returns 1 with *out set to the new text (json-c's pretty printing, ending in a newline;
 * the caller frees it), 2 likewise when uninstall removed "default-runtime" (which dockerd
 * forgets only when it restarts), 0 with *out NULL when nothing would change, or -1 when the
 * text is not JSON or has the wrong types, with a message saying where (line and column).
 */
int daemon_json__edit(const char *file, const char *text, size_t len,
		      const struct daemon_json_edit *e, char **out, struct err **err);

#endif
