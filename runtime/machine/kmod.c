/* Finding a kernel module in the lists the kernel and its packaging keep; see kmod.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/cleanup.h"
#include "kmod.h"

/* Whether the module file name in [s, s + len) ("sch-ingress.ko.zst", no folder) is name. */
static bool same_module(const char *s, size_t len, const char *name)
{
	const char *ko = memmem(s, len, ".ko", 3);
	size_t n = strlen(name);

	if (!ko || (size_t)(ko - s) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = s[i] == '-' ? '_' : s[i], b = name[i] == '-' ? '_' : name[i];

		if (a != b)
			return false;
	}
	return true;
}

/* Whether a line of a modules.builtin / modules.dep file (path, then ':' in the latter) is it. */
static bool line_names(const char *line, const char *name)
{
	size_t end = strcspn(line, ":\n");
	const char *base = memrchr(line, '/', end);

	base = base ? base + 1 : line;
	return same_module(base, end - (base - line), name);
}

/* 1: a line of path names it, 0: none does, -1: path cannot be read. */
static int list_has(const char *path, const char *name, bool proc)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[1024];
	size_t n = strlen(name);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* /proc/modules: "sch_ingress 16384 0 - Live 0x0" (always '_'). */
		if (proc ? !strncmp(line, name, n) && line[n] == ' ' : line_names(line, name))
			return 1;
	}
	return 0;
}

enum kmod_state kmod__find(const char *proc_modules, const char *moddir, const char *name)
{
	char path[512];
	int loaded, builtin, dep;

	loaded = list_has(proc_modules, name, true);
	if (loaded > 0)
		return KMOD_LOADED;
	snprintf(path, sizeof(path), "%s/modules.builtin", moddir);
	builtin = list_has(path, name, false);
	if (builtin > 0)
		return KMOD_BUILTIN;
	/* A built-in module with parameters shows in /sys/module, and not in /proc/modules. */
	snprintf(path, sizeof(path), "/sys/module/%s", name);
	if (access(path, F_OK) == 0)
		return KMOD_BUILTIN;
	snprintf(path, sizeof(path), "%s/modules.dep", moddir);
	dep = list_has(path, name, false);
	if (dep > 0)
		return KMOD_LOADABLE;
	return builtin < 0 && dep < 0 ? KMOD_UNKNOWN : KMOD_ABSENT;
}

const char *kmod__state_name(enum kmod_state s)
{
	static const char *const names[] = { [KMOD_UNKNOWN] = "unverified",
					     [KMOD_ABSENT] = "not found",
					     [KMOD_LOADED] = "loaded",
					     [KMOD_BUILTIN] = "built in",
					     [KMOD_LOADABLE] = "loadable" };

	return names[s];
}
