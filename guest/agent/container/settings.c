/* hostname and sysctl (see settings.h, docs/agent-protocol.md). */
#include "settings.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../../../lib/log.h"
#include "../req.h"

#define UTS_NAME_MAX 64	/* the kernel's __NEW_UTS_LEN */
#define SYSCTL_MAX 256	/* more names than any spec sets */

static int check_name(const char *key, const char *v, struct err **err)
{
	if (v && strlen(v) > UTS_NAME_MAX)
		return err_msg(err, "'%s' must be at most %d bytes", key, UTS_NAME_MAX);
	return 0;
}

int settings__hostname(struct json_object *req, bool apply, struct err **err)
{
	const char *host = NULL, *domain = NULL;

	if (req__string(req, "hostname", false, &host, err) < 0 ||
	    req__string(req, "domainname", false, &domain, err) < 0 ||
	    check_name("hostname", host, err) < 0 || check_name("domainname", domain, err) < 0)
		return -1;
	if (!apply)
		return 0;
	if (host && sethostname(host, strlen(host)) < 0)
		return err_errno(err, "sethostname '%s'", host);
	if (domain && setdomainname(domain, strlen(domain)) < 0)
		return err_errno(err, "setdomainname '%s'", domain);
	return 0;
}

/* net.ipv4.ip_forward -> /proc/sys/net/ipv4/ip_forward; nothing that could leave /proc/sys. */
static int sysctl_path(const char *name, char *path, size_t len, struct err **err)
{
	size_t n = strlen(name);

	if (!n || name[0] == '.' || name[n - 1] == '.' || strstr(name, "..") || strchr(name, '/') ||
	    snprintf(path, len, "/proc/sys/%s", name) >= (int)len)
		return err_msg(err, "sysctl name '%s' must be dot-separated names, without '/'",
			       name);
	for (char *p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	return 0;
}

static int write_sysctl(const char *name, const char *value, struct err **err)
{
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	size_t len = strlen(value);
	ssize_t n;

	if (sysctl_path(name, path, sizeof(path), err) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_errno(err, "sysctl %s", name);
	n = write(fd, value, len);
	if (n < 0)
		return err_errno(err, "sysctl %s = '%s'", name, value);
	if ((size_t)n != len)
		return err_msg(err, "sysctl %s = '%s': short write", name, value);
	return 0;
}

/* The spec's sysctls that belong to an IPC namespace: set again in the container's new one. */
static struct json_object *ipc_sysctls;

static bool ipc_sysctl(const char *name)
{
	static const char *const prefixes[] = { "kernel.shm", "kernel.msg", "kernel.sem",
						"fs.mqueue." };

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

int settings__reapply_ipc(struct err **err)
{
	if (!ipc_sysctls)
		return 0;
	json_object_object_foreach(ipc_sysctls, key, val)
		if (write_sysctl(key, json_object_get_string(val), err) < 0)
			return err_prefix(err, "in the container's IPC namespace");
	return 0;
}

int settings__sysctl(struct json_object *req, bool apply, struct err **err)
{
	struct json_object *map;
	char path[PATH_MAX];

	if (!json_object_object_get_ex(req, "sysctl", &map) || !map)
		return err_msg(err, "missing 'sysctl'");
	if (!json_object_is_type(map, json_type_object) ||
	    json_object_object_length(map) > SYSCTL_MAX)
		return err_msg(err, "'sysctl' must be an object of at most %d \"name\":\"value\"",
			       SYSCTL_MAX);
	/* All checked before any is written: a bad request changes nothing. */
	json_object_object_foreach(map, name, v) {
		if (!json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
			return err_msg(err, "sysctl '%s' must have a string value", name);
		if (sysctl_path(name, path, sizeof(path), err) < 0)
			return -1;
	}
	if (!apply)
		return 0;
	json_object_object_foreach(map, key, val) {
		pr_debug("agent: sysctl %s = %s", key, json_object_get_string(val));
		if (write_sysctl(key, json_object_get_string(val), err) < 0)
			return -1;
		if (!ipc_sysctl(key))
			continue;
		if (!ipc_sysctls)
			ipc_sysctls = json_object_new_object();
		if (!ipc_sysctls)
			return err_msg(err, "out of memory");
		json_object_object_add(ipc_sysctls, key, json_object_get(val));
	}
	return 0;
}
