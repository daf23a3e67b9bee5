/*
 * A container's place in a pod from its annotations (runtime/pod/membership.c): containerd's
 * and CRI-O's pairs and kage's own, alone or together; those that disagree, a member without
 * its sandbox's id and an unknown type refused, naming the annotation. The pod's VM sized
 * from containerd's sums (runtime/pod/sizing.c). And the pod a container joins by its network
 * namespace alone (runtime/pod/netns.c), against state directories whose process is this
 * test's own.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "lib/err.h"
#include "runtime/container/state.h"
#include "runtime/oci/settings.h"
#include "runtime/oci/spec.h"
#include "runtime/plan/sizing.h"
#include "runtime/pod/pod.h"
#include "tests/unit/tap.h"

/* A spec with annotations (a JSON object's members), or NULL with why in msg. */
static struct oci_spec *spec(const char *annotations, char *msg, size_t size)
{
	char text[2048];
	struct oci_spec *s = NULL;
	struct err *err = NULL;

	snprintf(text, sizeof(text),
		 "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
		 "\"root\":{\"path\":\"rootfs\"},\"annotations\":{%s}}", annotations);
	*msg = 0;
	if (oci_spec__parse(text, strlen(text), &s, &err) < 0) {
		snprintf(msg, size, "spec: %s", err->msg);
		err_free(&err);
	}
	return s;
}

/* The role of container id under annotations; -1 when refused, with the message in msg. */
static int role(const char *annotations, const char *id, struct pod_ref *out, char *msg,
		size_t size)
{
	struct oci_spec *s = spec(annotations, msg, size);
	struct err *err = NULL;
	int ret;

	if (!s)
		return -2;
	ret = pod__role(s, id, out, &err);
	if (ret < 0) {
		snprintf(msg, size, "%s", err->msg);
		err_free(&err);
	} else if (out->sandbox_id) {
		/* borrowed from the spec, which goes now */
		static char keep[256];

		snprintf(keep, sizeof(keep), "%s", out->sandbox_id);
		out->sandbox_id = keep;
	}
	oci_spec__free(s);
	return ret;
}

static void test_roles(void)
{
	struct pod_ref r;
	char msg[512];

	CHECK(role("", "c1", &r, msg, sizeof(msg)) == 0 && r.role == POD_ALONE,
	      "no annotation: a VM of its own (%s)", msg);
	CHECK(role("\"io.kubernetes.cri.container-type\":\"sandbox\","
		   "\"io.kubernetes.cri.sandbox-id\":\"p1\"", "p1", &r, msg, sizeof(msg)) == 0 &&
		      r.role == POD_SANDBOX,
	      "containerd's sandbox (%s)", msg);
	CHECK(role("\"io.kubernetes.cri.container-type\":\"container\","
		   "\"io.kubernetes.cri.sandbox-id\":\"p1\"", "c1", &r, msg, sizeof(msg)) == 0 &&
		      r.role == POD_MEMBER && !strcmp(r.sandbox_id, "p1"),
	      "containerd's member of p1 (%s)", msg);
	CHECK(role("\"io.kubernetes.cri-o.ContainerType\":\"container\","
		   "\"io.kubernetes.cri-o.SandboxID\":\"p2\"", "c1", &r, msg, sizeof(msg)) == 0 &&
		      r.role == POD_MEMBER && !strcmp(r.sandbox_id, "p2"),
	      "CRI-O's member of p2 (%s)", msg);
	CHECK(role("\"io.kubernetes.cri-o.ContainerType\":\"sandbox\"", "p2", &r, msg,
		   sizeof(msg)) == 0 && r.role == POD_SANDBOX,
	      "CRI-O's sandbox (%s)", msg);
	CHECK(role("\"io.kage.sandbox-id\":\"k1\"", "k1", &r, msg, sizeof(msg)) == 0 &&
		      r.role == POD_SANDBOX,
	      "io.kage.sandbox-id naming itself: a sandbox (%s)", msg);
	CHECK(role("\"io.kage.sandbox-id\":\"k1\"", "c9", &r, msg, sizeof(msg)) == 0 &&
		      r.role == POD_MEMBER && !strcmp(r.sandbox_id, "k1"),
	      "io.kage.sandbox-id naming another: its member (%s)", msg);
	CHECK(role("\"io.kubernetes.cri.container-type\":\"container\","
		   "\"io.kubernetes.cri.sandbox-id\":\"p1\",\"io.kage.sandbox-id\":\"p1\"", "c1", &r,
		   msg, sizeof(msg)) == 0 && r.role == POD_MEMBER && !strcmp(r.sandbox_id, "p1"),
	      "containerd's and kage's agreeing (%s)", msg);
}

static void test_refused(void)
{
	struct pod_ref r;
	char msg[512];

	CHECK(role("\"io.kubernetes.cri.container-type\":\"container\"", "c1", &r, msg,
		   sizeof(msg)) == -1 && strstr(msg, "io.kubernetes.cri.sandbox-id"),
	      "a member without its sandbox's id: refused, naming it (%s)", msg);
	CHECK(role("\"io.kubernetes.cri-o.ContainerType\":\"container\","
		   "\"io.kubernetes.cri-o.SandboxID\":\"\"", "c1", &r, msg, sizeof(msg)) == -1 &&
		      strstr(msg, "io.kubernetes.cri-o.SandboxID"),
	      "CRI-O's with an empty one too (%s)", msg);
	CHECK(role("\"io.kubernetes.cri.container-type\":\"podvm\"", "c1", &r, msg,
		   sizeof(msg)) == -1 && strstr(msg, "'podvm'"),
	      "an unknown container type (%s)", msg);
	CHECK(role("\"io.kubernetes.cri.container-type\":\"container\","
		   "\"io.kubernetes.cri.sandbox-id\":\"p1\",\"io.kage.sandbox-id\":\"other\"", "c1",
		   &r, msg, sizeof(msg)) == -1 && strstr(msg, "io.kage.sandbox-id") &&
		      strstr(msg, "disagrees"),
	      "kage's naming another pod than containerd's: refused (%s)", msg);
	CHECK(role("\"io.kubernetes.cri.container-type\":\"sandbox\","
		   "\"io.kubernetes.cri-o.ContainerType\":\"container\","
		   "\"io.kubernetes.cri-o.SandboxID\":\"p1\"", "c1", &r, msg, sizeof(msg)) == -1 &&
		      strstr(msg, "disagrees"),
	      "a sandbox to one CRI and a member to the other: refused (%s)", msg);
	CHECK(role("\"io.kubernetes.cri.container-type\":\"container\","
		   "\"io.kubernetes.cri.sandbox-id\":\"c1\"", "c1", &r, msg, sizeof(msg)) == -1 &&
		      strstr(msg, "names itself"),
	      "a member naming itself as its sandbox (%s)", msg);
	CHECK(role("\"io.kage.sandbox-id\":\"\"", "c1", &r, msg, sizeof(msg)) == -1 &&
		      strstr(msg, "io.kage.sandbox-id"),
	      "an empty io.kage.sandbox-id (%s)", msg);
}

/* The settings pod__size leaves from a sandbox of 256 MiB and 1 vCPU under annotations. */
static int size(const char *annotations, struct sandbox_settings *out, char *msg, size_t n)
{
	struct oci_spec *s = spec(annotations, msg, n);
	struct err *err = NULL;
	struct kage_config c = { .max_memory_mib = 1024, .max_vcpus = 4 };
	int ret;

	*out = (struct sandbox_settings){ .memory_mib = 256, .vcpus = 1 };
	if (!s)
		return -2;
	ret = pod__size(s, &c, out, &err);
	if (ret < 0) {
		snprintf(msg, n, "%s", err->msg);
		err_free(&err);
	}
	oci_spec__free(s);
	return ret;
}

static void test_size(void)
{
	struct sandbox_settings st;
	char msg[512];

	CHECK(size("", &st, msg, sizeof(msg)) == 0 && st.memory_mib == 256 && st.vcpus == 1,
	      "no sums: the sandbox's own size (%s)", msg);
	CHECK(size("\"io.kubernetes.cri.sandbox-memory\":\"536870912\"", &st, msg, sizeof(msg)) ==
		      0 && st.memory_mib == 256 + 512,
	      "the pod's memory on top of the sandbox's (%u MiB)", st.memory_mib);
	CHECK(size("\"io.kubernetes.cri.sandbox-memory\":\"4294967296\"", &st, msg, sizeof(msg)) ==
		      0 && st.memory_mib == 1024,
	      "within max_memory_mib (%u MiB)", st.memory_mib);
	CHECK(size("\"io.kubernetes.cri.sandbox-cpu-quota\":\"250000\","
		   "\"io.kubernetes.cri.sandbox-cpu-period\":\"100000\"", &st, msg, sizeof(msg)) == 0 &&
		      st.vcpus == 3,
	      "2.5 CPUs of quota: 3 vCPUs (%u)", st.vcpus);
	CHECK(size("\"io.kubernetes.cri.sandbox-cpu-quota\":\"-1\","
		   "\"io.kubernetes.cri.sandbox-memory\":\"0\"", &st, msg, sizeof(msg)) == 0 &&
		      st.vcpus == 1 && st.memory_mib == 256,
	      "kubelet's 'no limit' values change nothing (%s)", msg);
	CHECK(size("\"io.kubernetes.cri.sandbox-memory\":\"lots\"", &st, msg, sizeof(msg)) == -1 &&
		      strstr(msg, "io.kubernetes.cri.sandbox-memory"),
	      "a value that is not a number: refused, naming it (%s)", msg);
	CHECK(size("\"io.kubernetes.cri.sandbox-cpu-period\":\"-5\"", &st, msg, sizeof(msg)) ==
		      -1 && strstr(msg, "sandbox-cpu-period"),
	      "a negative period: refused (%s)", msg);
}

/* A state directory in root for id, its process pid (a member of sandbox when not NULL). */
static void state(const char *root, const char *id, pid_t pid, const char *sandbox)
{
	struct container *c = NULL;
	struct err *err = NULL;

	if (container__create(root, id, &c, &err) < 0) {
		CHECK(0, "state %s: %s", id, err->msg);
		err_free(&err);
		return;
	}
	c->pid = pid;
	c->pid_start = container__pid_start(pid);
	c->status = CTR_RUNNING;
	c->bundle = strdup("/b");
	c->rootfs = strdup("/b/rootfs");
	c->created = strdup("2026-01-01T00:00:00Z");
	c->sandbox = sandbox ? strdup(sandbox) : NULL;
	if (container__save(c, &err) < 0) {
		CHECK(0, "save %s: %s", id, err->msg);
		err_free(&err);
	}
	container__free(c);
}

/* The sandbox id a container whose spec joins network namespace path would be a member of
 * ("" for none, "!" when refused). */
static const char *joins(const char *root, const char *id, const char *path)
{
	static char out[64];
	char text[1024], *sb = NULL;
	struct oci_spec *s = NULL;
	struct err *err = NULL;

	snprintf(text, sizeof(text),
		 "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
		 "\"root\":{\"path\":\"rootfs\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"},"
		 "{\"type\":\"network\"%s%s%s}]}}", path ? ",\"path\":\"" : "", path ? path : "",
		 path ? "\"" : "");
	snprintf(out, sizeof(out), "!");
	if (oci_spec__parse(text, strlen(text), &s, &err) == 0 &&
	    pod__by_netns(root, id, s, &sb, &err) == 0)
		snprintf(out, sizeof(out), "%s", sb ? sb : "");
	free(sb);
	err_free(&err);
	oci_spec__free(s);
	return out;
}

/* A child in a network namespace of its own (the test's is the host's, which no pod holds),
 * there until killed; -1 when it could not be made. */
static pid_t netns_child(void)
{
	int p[2];
	char c = 0;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNET) == 0 && write(p[1], "x", 1) == 1)
			pause();
		_exit(1);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

static void test_netns(void)
{
	char root[] = "/tmp/kage-test-pod.XXXXXX", self[64], other[64], host[64];
	pid_t dead, sb = netns_child();

	if (!mkdtemp(root) || sb < 0) {
		CHECK(0, "mkdtemp, and a network namespace (as root): %s", strerror(errno));
		return;
	}
	snprintf(self, sizeof(self), "/proc/%d/ns/net", (int)sb);
	snprintf(other, sizeof(other), "/proc/%d/ns/ipc", (int)sb);
	snprintf(host, sizeof(host), "/proc/%d/ns/net", (int)getpid());
	CHECK(!strcmp(joins(root, "c", self), ""), "no container yet: alone");
	dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	state(root, "gone", dead, NULL);
	CHECK(!strcmp(joins(root, "c", self), ""), "a stopped container holds no pod");
	state(root, "sb", sb, NULL);
	CHECK(!strcmp(joins(root, "c", self), "sb"),
	      "joining a running container's network namespace: a member of its pod (%s)",
	      joins(root, "c", self));
	CHECK(!strcmp(joins(root, "c", NULL), ""), "a network namespace of its own: alone");
	CHECK(!strcmp(joins(root, "c", other), ""), "another namespace than that one: alone");
	CHECK(!strcmp(joins(root, "c", "/nonexistent/ns"), ""),
	      "a path that is not there: alone (the sandbox's join says why)");
	CHECK(!strcmp(joins(root, "sb", self), ""), "a container is not its own pod's member");
	/* Only the member is left in that namespace: its pod is still the sandbox's. */
	char rm[PATH_MAX];

	snprintf(rm, sizeof(rm), "rm -rf %s/sb %s/gone", root, root);
	CHECK(system(rm) == 0, "remove the sandbox's state");
	state(root, "m1", sb, "sb");
	state(root, "hostly", getpid(), NULL);
	CHECK(!strcmp(joins(root, "c", host), ""),
	      "the runtime's own namespace is no pod's, whoever stands in it");
	CHECK(!strcmp(joins(root, "c", self), "sb"),
	      "joining a member's namespace: its pod's sandbox (%s)", joins(root, "c", self));
	snprintf(rm, sizeof(rm), "rm -rf %s", root);
	CHECK(system(rm) == 0, "clean up");
	kill(sb, SIGKILL);
	waitpid(sb, NULL, 0);
}

int main(void)
{
	test_roles();
	test_refused();
	test_size();
	test_netns();
	return tap_done();
}
