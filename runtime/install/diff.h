/* A line diff of two texts in the unified format, for `kage install --dry-run`. */
#ifndef KAGE_RUNTIME_INSTALL_DIFF_H
#define KAGE_RUNTIME_INSTALL_DIFF_H

struct err;

/*
 * Sets *out to a new string holding the unified diff that turns old into new (headers
 * "--- old_label" and "+++ new_label", hunks with three lines of context), or to "" when the
 * texts are equal. Correct, though not always minimal: past a size where the longest common
 * subsequence would cost too much memory, the changed middle is shown as removed and re-added.
 */
int diff__unified(const char *old, const char *new, const char *old_label,
		  const char *new_label, char **out, struct err **err);

#endif
