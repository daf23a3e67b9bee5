/*
 * A pod known by its network namespace alone (see pod.h): podman puts a pod's sandbox (its
 * infra container) in a namespace of its own and its members in the same one, and Docker's
 * --network container:NAME names NAME's process's; neither says "sandbox" in any annotation.
 */
#include "pod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../lib/cleanup.h"
#include "../container/state.h"
#include "../oci/spec.h"

/* The network namespace path the spec joins, or NULL for a new one. */
static const char *netns_path(const struct oci_spec *s)
{
	for (size_t i = 0; s->has_linux && i < s->linux_.n_namespaces; i++)
		if (s->linux_.namespaces[i].type == OCI_NS_NETWORK)
			return s->linux_.namespaces[i].path;
	return NULL;
}

/* Whether c stands, alive, in the network namespace st (a member's relay stands in its
 * pod's, a sandbox in the one its VM's network came from). */
static bool in_netns(struct container *c, const struct stat *st)
{
	char path[64];
	struct stat own;
	enum ctr_status s = container__status(c);

	if ((s != CTR_CREATED && s != CTR_RUNNING && s != CTR_PAUSED) || c->pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)c->pid);
	return stat(path, &own) == 0 && own.st_dev == st->st_dev && own.st_ino == st->st_ino &&
	       container__pid_alive(c->pid, c->pid_start);
}

int pod__by_netns(const char *root, const char *id, const struct oci_spec *s, char **sandbox,
		  struct err **err)
{
	const char *path = netns_path(s);
	char **ids = NULL;
	struct stat st, own;
	int ret = 0;

	*sandbox = NULL;
	/* Not there: the sandbox's own join names the path in its error; the host's own
	 * namespace is no pod's, and is refused as such (sandbox_net__check_spec). */
	if (!path || stat(path, &st) < 0 || (stat("/proc/self/ns/net", &own) == 0 &&
					     own.st_dev == st.st_dev && own.st_ino == st.st_ino))
		return 0;
	if (container__list(root, &ids, err) < 0) {
		container__free_ids(ids);
		return err_prefix(err, "pods");
	}
	for (size_t i = 0; ids[i] && !*sandbox; i++) {
		_cleanup_container_ struct container *c = NULL;

		if (!strcmp(ids[i], id) || container__read(root, ids[i], &c, NULL) < 0 ||
		    !in_netns(c, &st))
			continue;
		if (!(*sandbox = strdup(c->sandbox ? c->sandbox : c->id)))
			ret = err_errno(err, "pods");
	}
	container__free_ids(ids);
	return ret;
}
