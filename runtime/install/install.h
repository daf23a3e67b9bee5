/*
 * `kage install` and `kage uninstall`: kage registered as a runtime of Docker (daemon.json),
 * containerd (a config.toml drop-in) or podman (a containers.conf drop-in), and taken out.
 */
#ifndef KAGE_RUNTIME_INSTALL_INSTALL_H
#define KAGE_RUNTIME_INSTALL_INSTALL_H

#include <stdbool.h>

struct err;

struct install_opts {
	const char *name;	/* the runtime's name (--runtime-name, default "kage") */
	const char *binary;	/* absolute path the entry names */
	const char *copy_to;	/* --install-binary: copy kage there (== binary) */
	const char *config;	/* --daemon-json or --config; NULL: the engine's default */
	bool set_default;	/* --default */
	bool dry_run;		/* --dry-run: print, change nothing */
	bool write;		/* --write (containerd, podman): write the drop-in */
	bool remove;		/* uninstall */
};

#define INSTALL_DAEMON_JSON "/etc/docker/daemon.json"
#define INSTALL_DOCKER_PID "/var/run/docker.pid"
#define INSTALL_CONTAINERD_CONFIG "/etc/containerd/config.toml"
#define INSTALL_PODMAN_DROPIN_DIR "/etc/containers/containers.conf.d"

int install__docker(const struct install_opts *o, struct err **err);
int install__containerd(const struct install_opts *o, struct err **err);
int install__podman(const struct install_opts *o, struct err **err);

/*
 * Puts s between TOML double quotes, escaped, into a new string (NULL when out of memory):
 * a path may hold any byte but NUL, and the drop-ins must stay valid TOML whatever it is.
 */
char *install__toml_string(const char *s);

/*
 * --install-binary: copies kage to o->copy_to (or says it would, with --dry-run). Called once
 * the configuration is known to be good, so a refused file leaves no binary behind.
 */
int install__copy_binary(const struct install_opts *o, struct err **err);

/*
 * Uninstall for an engine configured by a drop-in file of kage's own: removes dropin (or says
 * it would, or that there is none), then says "<after> \"NAME\"".
 */
int install__remove_dropin(const struct install_opts *o, const char *dropin, const char *after,
			   struct err **err);

/* Prints the unified diff from old to new of path, for --dry-run. */
int install__print_diff(const char *path, const char *old, const char *new, struct err **err);

#endif
