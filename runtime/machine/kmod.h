/* Where a kernel module stands on this host, for `kage check`: loaded, built in or loadable. */
#ifndef KAGE_RUNTIME_MACHINE_KMOD_H
#define KAGE_RUNTIME_MACHINE_KMOD_H

enum kmod_state {
	KMOD_UNKNOWN,	/* no list says: no /proc/modules and no modules.builtin or modules.dep */
	KMOD_ABSENT,	/* the lists exist and none names it */
	KMOD_LOADED,	/* in /proc/modules */
	KMOD_BUILTIN,	/* in modules.builtin, or in /sys/module without being loaded */
	KMOD_LOADABLE,	/* in modules.dep: the kernel loads it when first asked for it */
};

/*
 * Looks name up in proc_modules ("/proc/modules"), then in moddir's ("/lib/modules/RELEASE")
 * modules.builtin and modules.dep, and /sys/module/NAME; '-' and '_' are the same in names.
 */
enum kmod_state kmod__find(const char *proc_modules, const char *moddir, const char *name);
/* "loaded", "built in", "loadable", "not found", "unverified". */
const char *kmod__state_name(enum kmod_state s);

#endif
