/* Mount option words to mount(2)'s flags and data (see mount_opts.h). */
#include "mount_opts.h"

#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"

static const struct {
	const char *word;
	unsigned long set, clear;
} flag_words[] = {
	{ "defaults", 0, 0 },
	{ "ro", MS_RDONLY, 0 },		{ "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },	{ "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },	{ "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },	{ "exec", 0, MS_NOEXEC },
	{ "noatime", MS_NOATIME, 0 },	{ "atime", 0, MS_NOATIME },
	{ "relatime", MS_RELATIME, 0 },	{ "norelatime", 0, MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, 0 }, { "nostrictatime", 0, MS_STRICTATIME },
	{ "nodiratime", MS_NODIRATIME, 0 }, { "diratime", 0, MS_NODIRATIME },
	{ "mand", MS_MANDLOCK, 0 },	{ "nomand", 0, MS_MANDLOCK },
	{ "sync", MS_SYNCHRONOUS, 0 },	{ "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 },	{ "silent", MS_SILENT, 0 },
	{ "loud", 0, MS_SILENT },	{ "bind", MS_BIND, 0 },
	{ "rbind", MS_BIND | MS_REC, 0 },
};

static const struct {
	const char *word;
	unsigned long flags;
} propagation_words[] = {
	{ "private", MS_PRIVATE },	{ "rprivate", MS_PRIVATE | MS_REC },
	{ "shared", MS_SHARED },	{ "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE },		{ "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static bool flag_word(const char *w, struct mount_opts *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(flag_words); i++)
		if (!strcmp(w, flag_words[i].word)) {
			o->flags = (o->flags & ~flag_words[i].clear) | flag_words[i].set;
			return true;
		}
	return false;
}

unsigned long mount_opts__propagation(const char *word)
{
	for (size_t i = 0; i < ARRAY_SIZE(propagation_words); i++)
		if (!strcmp(word, propagation_words[i].word))
			return propagation_words[i].flags;
	return 0;
}

static int propagation_word(const char *w, struct mount_opts *o, struct err **err)
{
	unsigned long flags = mount_opts__propagation(w);

	if (!flags)
		return 0;
	if (o->npropagation == MOUNT_MAX_PROPAGATION)
		return err_msg(err, "more than %d propagation options", MOUNT_MAX_PROPAGATION);
	o->propagation[o->npropagation++] = flags;
	return 1;
}

static int data_word(const char *w, struct mount_opts *o, struct err **err)
{
	size_t used = strlen(o->data);
	int n = snprintf(o->data + used, sizeof(o->data) - used, "%s%s", used ? "," : "", w);

	if (n < 0 || (size_t)n >= sizeof(o->data) - used)
		return err_msg(err, "mount options too long");
	return 0;
}

int mount_opts__parse(char *const *words, struct mount_opts *o, struct err **err)
{
	int ret;

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; words && words[i]; i++) {
		const char *w = words[i];

		if (flag_word(w, o))
			continue;
		ret = propagation_word(w, o, err);
		if (ret < 0)
			return ret;
		if (ret)
			continue;
		if (!strcmp(w, "rro") || !strcmp(w, "rrw")) {
			o->rro = w[1] == 'r' && w[2] == 'o';
			o->rrw = !o->rro;
			continue;
		}
		if (*w && data_word(w, o, err) < 0)
			return -1;
	}
	return 0;
}
