/*
 * The OCI runtime-spec bundle configuration (config.json) as plain C: parsed with json-c,
 * validated once here so the OCI verbs can trust every field they read. Fields kage does not
 * honour are ignored, as runc ignores them, so newer specs keep working.
 */
#ifndef KAGE_RUNTIME_OCI_SPEC_H
#define KAGE_RUNTIME_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

/* config.json is written by Docker/containerd; anything larger is a mistake or an attack. */
#define OCI_SPEC_MAX_SIZE (4u << 20)
/* Per array or map: far above any real spec, low enough to bound the work per field. */
#define OCI_SPEC_MAX_ITEMS 10000

/* A string list: v is NULL-terminated (ready for execve), NULL when the field was absent. */
struct oci_strv {
	char **v;
	size_t n;
};

struct oci_kv {
	char *key;
	char *value;
};

enum oci_cap_set {
	OCI_CAP_BOUNDING,
	OCI_CAP_EFFECTIVE,
	OCI_CAP_INHERITABLE,
	OCI_CAP_PERMITTED,
	OCI_CAP_AMBIENT,
	OCI_CAP_NSETS
};

struct oci_rlimit {
	int resource;	/* RLIMIT_* number */
	uint64_t hard, soft;
};

struct oci_user {
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
};

struct oci_process {
	bool terminal;
	bool has_console_size;
	unsigned int console_height, console_width;
	struct oci_user user;
	struct oci_strv args;	/* at least one entry */
	struct oci_strv env;	/* each entry NAME=value */
	char *cwd;		/* absolute */
	/* Absent capabilities leave the process's own set alone, as in runc. */
	bool has_capabilities;
	uint64_t caps[OCI_CAP_NSETS];	/* bit n: capability number n */
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile;
	char *selinux_label;
};

struct oci_root {
	char *path;	/* oci_spec__load makes it absolute */
	bool readonly;
};

struct oci_mount {
	char *destination;	/* absolute */
	char *type;
	char *source;
	struct oci_strv options;
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_NKINDS
};

struct oci_hook {
	char *path;	/* absolute */
	struct oci_strv args;
	struct oci_strv env;
	int timeout;	/* seconds; 0 when absent (no limit) */
};

struct oci_hook_list {
	struct oci_hook *v;
	size_t n;
};

enum oci_ns_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_NTYPES
};

struct oci_namespace {
	enum oci_ns_type type;
	char *path;	/* an existing namespace to join, or NULL for a new one */
};

struct oci_id_mapping {
	uint32_t container_id, host_id, size;
};

struct oci_device {
	char type;	/* 'c', 'b', 'u' or 'p' */
	char *path;	/* absolute */
	int64_t major, minor;	/* 0 for 'p' */
	bool has_file_mode, has_uid, has_gid;
	uint32_t file_mode, uid, gid;
};

/* A device cgroup rule; major/minor -1 match any, type 'a' matches all. */
struct oci_device_rule {
	bool allow;
	char type;
	int64_t major, minor;
	char access[4];	/* a non-empty subset of "rwm" */
};

struct oci_resources {
	/* -1 means unlimited where the kernel has that notion */
	bool has_mem_limit, has_mem_reservation, has_mem_swap;
	int64_t mem_limit, mem_reservation, mem_swap;
	bool has_cpu_shares, has_cpu_quota, has_cpu_period;
	uint64_t cpu_shares, cpu_period;
	int64_t cpu_quota;
	char *cpu_cpus;	/* cpuset lists such as "0-3,7" */
	char *cpu_mems;
	bool has_pids_limit;
	int64_t pids_limit;
	struct oci_device_rule *devices;
	size_t n_devices;
	struct oci_kv *unified;	/* cgroup v2 file names (checked) and values */
	size_t n_unified;
};

enum oci_seccomp_action {
	OCI_SCMP_ACT_KILL_THREAD,	/* also SCMP_ACT_KILL */
	OCI_SCMP_ACT_KILL_PROCESS,
	OCI_SCMP_ACT_TRAP,
	OCI_SCMP_ACT_ERRNO,
	OCI_SCMP_ACT_TRACE,
	OCI_SCMP_ACT_ALLOW,
	OCI_SCMP_ACT_LOG,
	OCI_SCMP_ACT_NOTIFY
};

enum oci_seccomp_op {
	OCI_SCMP_CMP_NE,
	OCI_SCMP_CMP_LT,
	OCI_SCMP_CMP_LE,
	OCI_SCMP_CMP_EQ,
	OCI_SCMP_CMP_GE,
	OCI_SCMP_CMP_GT,
	OCI_SCMP_CMP_MASKED_EQ
};

struct oci_seccomp_arg {
	unsigned int index;	/* 0..5 */
	uint64_t value, value_two;
	enum oci_seccomp_op op;
};

struct oci_seccomp_syscall {
	struct oci_strv names;	/* at least one; not checked against a syscall table here */
	enum oci_seccomp_action action;
	bool has_errno_ret;
	uint32_t errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};

struct oci_seccomp {
	enum oci_seccomp_action default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	struct oci_strv architectures;	/* known SCMP_ARCH_* names */
	struct oci_strv flags;		/* known SECCOMP_FILTER_FLAG_* names */
	char *listener_path;
	struct oci_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

struct oci_linux {
	struct oci_namespace *namespaces;	/* no type twice */
	size_t n_namespaces;
	struct oci_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct oci_device *devices;
	size_t n_devices;
	char *cgroups_path;
	bool has_resources;
	struct oci_resources resources;
	struct oci_kv *sysctl;
	size_t n_sysctl;
	struct oci_seccomp *seccomp;	/* NULL when absent */
	struct oci_strv masked_paths, readonly_paths;	/* absolute */
	char *rootfs_propagation;	/* a known propagation name or NULL */
	char *mount_label;
};

struct oci_spec {
	char *oci_version;
	struct oci_process process;
	struct oci_root root;
	char *hostname;
	char *domainname;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_hook_list hooks[OCI_HOOK_NKINDS];
	struct oci_kv *annotations;
	size_t n_annotations;
	bool has_linux;
	struct oci_linux linux_;	/* `linux` is a predefined macro under -std=gnu11 */
};

/*
 * Reads <bundle_dir>/config.json, parses and validates it, then makes root.path and the
 * relative sources of bind mounts absolute against the bundle directory.
 */
int oci_spec__load(const char *bundle_dir, struct oci_spec **out, struct err **err);
/* The same from config_dir/config.json (a copy kept elsewhere), its relative paths taken from
 * bundle_dir; with text, also the exact bytes that were parsed (free them). */
int oci_spec__load_from(const char *config_dir, const char *bundle_dir, struct oci_spec **out,
			char **text, size_t *text_len, struct err **err);
/* Parses and validates a whole config.json; paths stay as written. */
int oci_spec__parse(const char *json_text, size_t len, struct oci_spec **out, struct err **err);
/* Makes root.path and relative bind-mount sources absolute (lexically) against bundle_dir. */
int oci_spec__resolve(struct oci_spec *s, const char *bundle_dir, struct err **err);
void oci_spec__free(struct oci_spec *s);
/* A process object alone (runc exec --process FILE), checked as config.json's process. */
int oci_spec__parse_process(const char *json_text, size_t len, struct oci_process *p,
			    struct err **err);
void oci_process__free(struct oci_process *p);
/* "RLIMIT_NOFILE" for RLIMIT_NOFILE; NULL for a number without a name. */
const char *oci_rlimit__name(int resource);

/* Names for messages and logs: "pid", "prestart", ... */
const char *oci_ns__name(enum oci_ns_type type);
const char *oci_hook__name(enum oci_hook_kind kind);

/* The i-th name the parser accepts, NULL past the last: what `kage features` lists. */
const char *oci_cap__name_at(size_t i);
const char *oci_seccomp__action_at(size_t i);
const char *oci_seccomp__op_at(size_t i);
const char *oci_seccomp__arch_at(size_t i);
const char *oci_seccomp__flag_at(size_t i);

#endif
