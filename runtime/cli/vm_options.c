/*
 * `kage vm`'s --share, --disk and --tap, and the settings' share policy for its shares:
 * command-line words recorded in the VM's plan.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../../devices/fs/fs.h"
#include "../../lib/cleanup.h"
#include "../oci/settings.h"
#include "../sandbox/net_host.h"
#include "vm_cli.h"

/* Takes a trailing ":ro" or ":rw" off s. */
static void split_ro(char *s, bool *readonly)
{
	char *colon = strrchr(s, ':');

	if (colon && (!strcmp(colon, ":ro") || !strcmp(colon, ":rw"))) {
		*readonly = colon[1] == 'r' && colon[2] == 'o';
		*colon = 0;
	}
}

/* A copy of arg, kept in o, with a trailing ":ro" or ":rw" taken off. */
static char *split_mode(struct vm_plan *o, const char *arg, bool *readonly, struct err **err)
{
	char *s = vm_plan__keep(o, arg, err);

	if (!s)
		return NULL;
	*readonly = false;
	split_ro(s, readonly);
	return s;
}

/* Takes trailing ":cache=none|auto|always" words off s (before any ":ro"), default auto. */
static int split_cache(char *s, int *cache, struct err **err)
{
	static const char *const names[] = { [FS_CACHE_NONE] = "none", [FS_CACHE_AUTO] = "auto",
					     [FS_CACHE_ALWAYS] = "always" };
	char *colon = strrchr(s, ':');

	*cache = FS_CACHE_AUTO;
	if (!colon || strncmp(colon, ":cache=", 7))
		return 0;
	for (int i = 0; i < (int)ARRAY_SIZE(names); i++)
		if (!strcmp(colon + 7, names[i])) {
			*cache = i;
			*colon = 0;
			return 0;
		}
	return err_msg(err, "--share: '%s' is not cache=none, auto or always", colon + 1);
}

int vm_cli__parse_share(struct vm_plan *o, const char *arg, struct err **err)
{
	struct vm_share *sh = &o->shares[o->nr_shares];
	char *s, *colon;

	if (o->nr_shares == VM_SHARES_MAX)
		return err_msg(err, "--share: at most %d shares", VM_SHARES_MAX);
	s = split_mode(o, arg, &sh->readonly, err);
	if (!s || split_cache(s, &sh->cache, err) < 0)
		return -1;
	if (!sh->readonly)	/* ":ro:cache=X" and ":cache=X:ro" both read naturally */
		split_ro(s, &sh->readonly);
	colon = strchr(s, ':');
	if (!colon || colon == s || colon[1] != '/' || strchr(colon + 1, ':'))
		return err_msg(err, "--share '%s' is not HOSTDIR:/GUESTPATH[:ro][:cache=MODE]", arg);
	*colon = 0;
	sh->host_path = s;
	sh->guest_path = colon + 1;
	if (!strcmp(sh->guest_path, "/") && vm_plan__root_share(o) >= 0)
		return err_msg(err, "--share: only one share can be the guest's /");
	o->nr_shares++;
	return 0;
}

int vm_cli__parse_disk(struct vm_plan *o, const char *arg, struct err **err)
{
	struct vm_disk *d = &o->disks[o->nr_disks];

	if (o->nr_disks == VM_DISKS_MAX)
		return err_msg(err, "--disk: at most %d disks", VM_DISKS_MAX);
	d->path = split_mode(o, arg, &d->readonly, err);
	if (!d->path)
		return -1;
	if (!*d->path)
		return err_msg(err, "--disk '%s' is not PATH[:ro]", arg);
	o->nr_disks++;
	return 0;
}

int vm_cli__parse_tap(struct vm_plan *o, const char *name, struct err **err)
{
	uint8_t *mac = o->net.mac;
	int ifindex;

	if (o->has_net)
		return err_msg(err, "--tap: one network card at most");
	if (!*name)
		return err_msg(err, "--tap: no tap name given");
	if (net_host__open_tap(name, &o->net.fd, &ifindex, err) < 0)
		return err_prefix(err, "--tap");
	o->has_net = true;	/* from here the plan closes the tap */
	o->net.link_up = true;
	if (getrandom(mac, 6, 0) != 6)
		return err_errno(err, "--tap: a random MAC address");
	mac[0] = (mac[0] & 0xfe) | 0x02;	/* unicast, locally administered */
	return 0;
}

int vm_cli__config_policy(struct vm_plan *o, const char *config_path, struct err **err)
{
	_cleanup_(config__free) struct kage_config c = { 0 };

	if (config__load(config_path, &c, err) < 0)
		return -1;
	for (unsigned int i = 0; i < o->nr_shares; i++)
		o->shares[i].policy = vm_plan__fs_policy(c.share_policy);
	return 0;
}
