/* Container state directories (see state.h). */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../lib/cleanup.h"
#include "../../lib/file.h"
#include "../../lib/io.h"
#include "../../lib/time.h"

#define STATE_FILE "state.json"
#define STATE_MAX (1 << 20)

static const char *const status_names[] = {
	[CTR_CREATING] = "creating",
	[CTR_CREATED] = "created",
	[CTR_RUNNING] = "running",
	[CTR_PAUSED] = "paused",
	[CTR_STOPPED] = "stopped",
};

const char *container__status_name(enum ctr_status s)
{
	return s < ARRAY_SIZE(status_names) ? status_names[s] : "unknown";
}

int container__check_id(const char *id, struct err **err)
{
	size_t len = strlen(id);

	if (!len)
		return err_msg(err, "container id cannot be empty");
	if (len > CTR_ID_MAX)
		return err_msg(err, "invalid container id: longer than %d characters", CTR_ID_MAX);
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return err_msg(err, "invalid container id '%s'", id);
	for (const char *p = id; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '.'))
			return err_msg(err, "invalid container id '%s': only letters, digits and _+-. "
				       "are allowed", id);
	}
	return 0;
}

static int mkdir_p(const char *path, mode_t mode, struct err **err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return err_msg(err, "state directory '%s' is not a usable path", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;

		*p = 0;
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return err_errno(err, "create state directory %s", buf);
		if (!c)
			return 0;
		*p = c;
	}
}

static struct container *alloc(const char *root, const char *id)
{
	struct container *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->lock_fd = -1;
	c->path_fd = -1;
	c->pod_fd = -1;
	c->exit_status = -1;
	c->id = strdup(id);
	if (asprintf(&c->dir, "%s/%s", root, id) < 0)
		c->dir = NULL;
	if (!c->id || !c->dir) {
		container__free(c);
		return NULL;
	}
	return c;
}


/* Opens the state directory; "does not exist" with ENOENT. */
static int open_dir(struct container *c, struct err **err)
{
	c->lock_fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->lock_fd < 0) {
		if (errno == ENOENT)
			return err_code(err, ENOENT, "container \"%s\" does not exist", c->id);
		return err_errno(err, "open %s", c->dir);
	}
	return 0;
}

/*
 * Takes the container's lock: verbs on one container run one at a time. The wait is bounded:
 * a holder stuck on its VM must not wedge every later verb; EBUSY says so.
 */
static int lock_dir(struct container *c, struct err **err)
{
	long long deadline = time__now_ms() + CONTAINER_LOCK_WAIT_S * 1000LL;

	if (open_dir(c, err) < 0)
		return -1;
	while (flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return err_errno(err, "lock %s", c->dir);
		if (time__now_ms() >= deadline) {
			err_msg(err, "container %s is busy: another kage command has held its lock "
				"for %d s", c->id, CONTAINER_LOCK_WAIT_S);
			/* The message says it all; errnum lets delete --force tell busy apart. */
			if (err && *err)
				(*err)->errnum = EBUSY;
			return -1;
		}
		usleep(20000);
	}
	/* A delete that held the lock before us removed the directory: it is gone. */
	struct stat st;

	if (fstat(c->lock_fd, &st) < 0 || st.st_nlink == 0)
		return err_code(err, ENOENT, "container \"%s\" does not exist", c->id);
	return 0;
}

int container__create(const char *root, const char *id, struct container **out,
		      struct err **err)
{
	struct container *c;

	if (container__check_id(id, err) < 0 || mkdir_p(root, 0711, err) < 0)
		return -1;
	c = alloc(root, id);
	if (!c)
		return err_errno(err, "container");
	if (mkdir(c->dir, 0711) < 0) {
		int e = errno;

		container__free(c);
		if (e == EEXIST)
			return err_msg(err, "container with id exists: %s", id);
		return err_code(err, e, "create %s/%s", root, id);
	}
	if (lock_dir(c, err) < 0) {
		container__free(c);
		return -1;
	}
	c->status = CTR_CREATING;
	*out = c;
	return 0;
}

static char *dup_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return strdup(json_object_get_string(v));
}

static int parse_state(struct container *c, const char *text, struct err **err)
{
	struct json_object *o = json_tokener_parse(text), *v;

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return err_msg(err, "%s/" STATE_FILE ": not a JSON object", c->dir);
	}
	c->bundle = dup_member(o, "bundle");
	c->rootfs = dup_member(o, "rootfs");
	c->created = dup_member(o, "created");
	c->process = dup_member(o, "process");
	c->cgroup = dup_member(o, "cgroup");
	c->sandbox = dup_member(o, "sandbox");
	if (json_object_object_get_ex(o, "sandbox_start", &v))
		c->sandbox_start = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "pid", &v))
		c->pid = json_object_get_int(v);
	if (json_object_object_get_ex(o, "pid_start", &v))
		c->pid_start = json_object_get_uint64(v);
	if (json_object_object_get_ex(o, "exit_status", &v))
		c->exit_status = json_object_get_int(v);
	c->status = CTR_STOPPED;
	_cleanup_free_ char *st = dup_member(o, "status");

	for (size_t i = 0; st && i < ARRAY_SIZE(status_names); i++)
		if (!strcmp(st, status_names[i]))
			c->status = i;
	if (json_object_object_get_ex(o, "annotations", &v) &&
	    json_object_is_type(v, json_type_object))
		c->annotations = json_object_get(v);
	json_object_put(o);
	if (!c->bundle || !c->created)
		return err_msg(err, "%s/" STATE_FILE ": incomplete", c->dir);
	return 0;
}

static int load(const char *root, const char *id, bool locked, struct container **out,
		struct err **err)
{
	_cleanup_container_ struct container *c = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	char name[PATH_MAX];
	size_t len = 0;

	if (container__check_id(id, err) < 0)
		return -1;
	c = alloc(root, id);
	if (!c)
		return err_errno(err, "container");
	if ((locked ? lock_dir(c, err) : open_dir(c, err)) < 0)
		return -1;
	snprintf(name, sizeof(name), "%s/" STATE_FILE, c->dir);
	/* state.json is replaced by rename: a reader without the lock sees one whole version. */
	fd = openat(c->lock_fd, STATE_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* A create that died before its first save, or is still under way. */
		if (errno == ENOENT) {
			c->status = CTR_CREATING;
			*out = TAKE_PTR(c);
			return 0;
		}
		return err_errno(err, "open %s", name);
	}
	if (file__read_fd(fd, name, STATE_MAX, &buf, &len, err) < 0)
		return -1;
	if (parse_state(c, buf, err) < 0)
		return -1;
	*out = TAKE_PTR(c);
	return 0;
}

int container__load(const char *root, const char *id, struct container **out,
		    struct err **err)
{
	return load(root, id, true, out, err);
}

int container__read(const char *root, const char *id, struct container **out,
		    struct err **err)
{
	return load(root, id, false, out, err);
}

static void add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

int container__save_file(struct container *c, const char *name, const char *buf, size_t len,
			 struct err **err)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid());
	_cleanup_close_ int fd = openat(c->lock_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
					O_CLOEXEC, 0600);

	if (fd < 0 || io__write_all(fd, buf, len) < 0 || fsync(fd) < 0 ||
	    renameat(c->lock_fd, tmp, c->lock_fd, name) < 0) {
		int ret = err_errno(err, "write %s/%s", c->dir, name);

		unlinkat(c->lock_fd, tmp, 0);
		return ret;
	}
	return 0;
}

int container__save(struct container *c, struct err **err)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(c->id));
	add_str(o, "status", container__status_name(c->status));
	json_object_object_add(o, "pid", json_object_new_int(c->pid));
	json_object_object_add(o, "pid_start", json_object_new_uint64(c->pid_start));
	add_str(o, "bundle", c->bundle);
	add_str(o, "rootfs", c->rootfs);
	add_str(o, "created", c->created);
	add_str(o, "process", c->process);
	if (c->cgroup && *c->cgroup)
		add_str(o, "cgroup", c->cgroup);
	if (c->sandbox) {
		add_str(o, "sandbox", c->sandbox);
		json_object_object_add(o, "sandbox_start", json_object_new_uint64(c->sandbox_start));
	}
	if (c->exit_status >= 0)
		json_object_object_add(o, "exit_status", json_object_new_int(c->exit_status));
	if (c->annotations)
		json_object_object_add(o, "annotations", json_object_get(c->annotations));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	int ret = container__save_file(c, STATE_FILE, text, strlen(text), err);

	json_object_put(o);
	return ret;
}

unsigned long long container__pid_start(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long start = 0;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: the fields start after the last ')'. */
	char *p = strrchr(buf, ')');

	if (!p)
		return 0;
	/* Field 3 (state) is the first after ")"; starttime is field 22. */
	char state = 0;

	if (sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
		   "%*d %*d %llu", &state, &start) != 2)
		return 0;
	/* A zombie has ended: nothing stands for the workload any more. */
	return state == 'Z' || state == 'X' ? 0 : start;
}

bool container__pid_alive(pid_t pid, unsigned long long start)
{
	unsigned long long now = container__pid_start(pid);

	return now && now == start;
}

int container__kill(struct container *c, int wait_ms)
{
	int pfd;

	if (c->pid <= 0)
		return 0;
	/* The pidfd pins the process: once its start time matches, no recycled pid is hit. */
	pfd = syscall(SYS_pidfd_open, c->pid, 0);
	if (pfd < 0)
		return errno == ESRCH ? 0 : -1;
	if (!container__pid_alive(c->pid, c->pid_start)) {
		close(pfd);
		return 0;
	}
	if (syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH) {
		close(pfd);
		return -1;
	}
	/* Our own child (run, a failed create) must be reaped to be gone. */
	long long deadline = time__now_ms() + wait_ms;

	while (container__pid_alive(c->pid, c->pid_start)) {
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		long long left = deadline - time__now_ms();

		waitpid(c->pid, NULL, WNOHANG);
		if (left <= 0)
			break;
		poll(&p, 1, left < 10 ? (int)left : 10);
	}
	close(pfd);
	return container__pid_alive(c->pid, c->pid_start) ? -1 : 0;
}

enum ctr_status container__status(struct container *c)
{
	if (c->status == CTR_STOPPED)
		return CTR_STOPPED;
	if (c->status == CTR_CREATING)
		return c->pid && !container__pid_alive(c->pid, c->pid_start) ? CTR_STOPPED :
									      CTR_CREATING;
	if (!container__pid_alive(c->pid, c->pid_start))
		return CTR_STOPPED;
	return c->status;
}

struct json_object *container__state_json(struct container *c)
{
	struct json_object *o = json_object_new_object();
	enum ctr_status s = container__status(c);

	json_object_object_add(o, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(o, "id", json_object_new_string(c->id));
	add_str(o, "status", container__status_name(s));
	json_object_object_add(o, "pid", json_object_new_int(s == CTR_STOPPED ? 0 : c->pid));
	add_str(o, "bundle", c->bundle);
	add_str(o, "rootfs", c->rootfs);
	add_str(o, "created", c->created);
	json_object_object_add(o, "owner", json_object_new_string(""));
	/* A pod member's place, beyond runc's fields (readers of runc's state skip it). */
	if (c->sandbox)
		add_str(o, "sandbox", c->sandbox);
	if (c->annotations)
		json_object_object_add(o, "annotations", json_object_get(c->annotations));
	return o;
}

/* dir/name into buf, or through an O_PATH fd of dir (*fd, opened once) when too long. */
static int sock_in(const char *dir, int *fd, const char *name, char *buf, size_t size,
		   struct err **err)
{
	/* sizeof(sockaddr_un.sun_path), which every caller's buffer is at least */
	const size_t sun_path = 108;
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n >= 0 && (size_t)n < size && (size_t)n < sun_path)
		return 0;
	if (*fd < 0)
		*fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return err_errno(err, "open %s", dir);
	n = snprintf(buf, size, "/proc/self/fd/%d/%s", *fd, name);
	if (n < 0 || (size_t)n >= size || (size_t)n >= sun_path)
		return err_msg(err, "socket name %s is too long", name);
	return 0;
}

int container__sock_path(struct container *c, const char *name, char *buf, size_t size,
			 struct err **err)
{
	return sock_in(c->dir, &c->path_fd, name, buf, size, err);
}

int container__root(const struct container *c, char *buf, size_t size, struct err **err)
{
	const char *slash = strrchr(c->dir, '/');
	int n = snprintf(buf, size, "%.*s", (int)(slash ? slash - c->dir : 0), c->dir);

	if (n < 0 || (size_t)n >= size)
		return err_msg(err, "container %s: its state directory's path is too long", c->id);
	return 0;
}

int container__vm_sock_path(struct container *c, const char *name, char *buf, size_t size,
			    struct err **err)
{
	struct container *pod = NULL;
	char root[PATH_MAX];
	int ret;

	if (!c->sandbox)
		return container__sock_path(c, name, buf, size, err);
	/* The very sandbox it was created in: an id used again names another VM. */
	if (container__check_id(c->sandbox, err) < 0 ||
	    container__root(c, root, sizeof(root), err) < 0 ||
	    container__read(root, c->sandbox, &pod, err) < 0)
		return err_prefix(err, "container %s: its pod's sandbox", c->id);
	ret = pod->pid_start == c->sandbox_start ? 0 :
		err_msg(err, "container %s: its pod's sandbox %s has ended", c->id, c->sandbox);
	if (ret == 0)
		ret = sock_in(pod->dir, &c->pod_fd, name, buf, size, err);
	container__free(pod);
	return ret;
}

/*
 * One entry of a state directory: a plain file, a socket, or an empty directory (the
 * sandbox's mountpoint for its bound files, mounted only in the sandbox's namespace).
 */
static int remove_entry(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno == EISDIR && (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT))
		return 0;
	return -1;
}

/* Removes what a state directory holds, nothing deeper. */
int container__remove(struct container *c, struct err **err)
{
	_cleanup_close_ int fd = dup(c->lock_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d)
		return err_errno(err, "open %s", c->dir);
	fd = -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    remove_entry(c->lock_fd, e->d_name) < 0) {
			int ret = err_errno(err, "remove %s/%s", c->dir, e->d_name);

			closedir(d);
			return ret;
		}
	closedir(d);
	if (rmdir(c->dir) < 0 && errno != ENOENT)
		return err_errno(err, "remove %s", c->dir);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int container__list(const char *root, char ***ids, struct err **err)
{
	DIR *d = opendir(root);
	size_t n = 0, cap = 16;
	char **v = calloc(cap + 1, sizeof(*v));
	struct dirent *e;

	if (!v) {
		if (d)
			closedir(d);
		return err_errno(err, "list");
	}
	*ids = v;
	if (!d)
		return errno == ENOENT ? 0 : err_errno(err, "open %s", root);
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || container__check_id(e->d_name, NULL) < 0)
			continue;
		if (n == cap) {
			char **nv = realloc(v, (2 * cap + 1) * sizeof(*v));

			if (!nv)
				break;
			v = *ids = nv;
			cap *= 2;
		}
		v[n] = strdup(e->d_name);
		if (v[n])
			v[++n] = NULL;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	return 0;
}

void container__free_ids(char **ids)
{
	for (size_t i = 0; ids && ids[i]; i++)
		free(ids[i]);
	free(ids);
}

void container__free(struct container *c)
{
	if (!c)
		return;
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	if (c->path_fd >= 0)
		close(c->path_fd);
	if (c->pod_fd >= 0)
		close(c->pod_fd);
	free(c->id);
	free(c->dir);
	free(c->bundle);
	free(c->rootfs);
	free(c->created);
	free(c->process);
	free(c->cgroup);
	free(c->sandbox);
	json_object_put(c->annotations);
	free(c);
}
