/*
 * Device rules as a cgroup BPF program (see devcgroup.h). The rules read as cgroup v1 wrote
 * them: the last rule that matches a request decides, and a request no rule matches is
 * allowed (a v1 cgroup starts allowing everything; a spec denies first with "a *:* rwm").
 * So the program tests the rules newest first and returns the first match's verdict.
 */
#include "devcgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../../../lib/cleanup.h"
#include "../../../lib/err.h"
#include "../req.h"

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)
/* Per rule at most: type, access (three), major, minor, verdict, exit. */
#define RULE_INSNS 8
#define HEAD_INSNS 6

static int parse_access(const char *s, unsigned int *out)
{
	*out = 0;
	for (; *s; s++) {
		if (*s == 'r')
			*out |= BPF_DEVCG_ACC_READ;
		else if (*s == 'w')
			*out |= BPF_DEVCG_ACC_WRITE;
		else if (*s == 'm')
			*out |= BPF_DEVCG_ACC_MKNOD;
		else
			return -1;
	}
	return 0;
}

int devcg__parse(struct json_object *v, struct devcg_rule **rules, size_t *n, struct err **err)
{
	size_t len;

	*rules = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) > DEVCG_MAX_RULES)
		return err_msg(err, "'devices' must be an array of at most %d rules",
			       DEVCG_MAX_RULES);
	len = json_object_array_length(v);
	*rules = calloc(len + 1, sizeof(**rules));
	if (!*rules)
		return err_errno(err, "allocate device rules");
	for (size_t i = 0; i < len; i++) {
		struct json_object *o = json_object_array_get_idx(v, i);
		struct devcg_rule *r = &(*rules)[i];
		const char *type = NULL, *access = NULL;
		bool allow = false;
		int64_t major = -1, minor = -1;

		if (!json_object_is_type(o, json_type_object))
			return err_msg(err, "'devices' item %zu is not an object", i);
		if (req__bool(o, "allow", &allow, err) < 0 ||
		    req__string(o, "type", true, &type, err) < 0 ||
		    req__string(o, "access", true, &access, err) < 0 ||
		    req__int(o, "major", false, -1, 4095, &major, err) < 0 ||
		    req__int(o, "minor", false, -1, 1048575, &minor, err) < 0)
			return err_prefix(err, "'devices' item %zu", i);
		if (strlen(type) != 1 || !strchr("abc", type[0]))
			return err_msg(err, "'devices' item %zu: type must be a, b or c", i);
		if (parse_access(access, &r->access) < 0)
			return err_msg(err, "'devices' item %zu: access must be letters of rwm", i);
		r->type = type[0];
		r->major = major;
		r->minor = minor;
		r->allow = allow;
	}
	*n = len;
	return 0;
}

static struct bpf_insn insn(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off,
				  .imm = imm };
}

/* The context's fields into r2 (type), r3 (access), r4 (major), r5 (minor). */
static size_t head(struct bpf_insn *p)
{
	size_t n = 0;

	p[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, 2, 1,
		      offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
	p[n++] = insn(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
	p[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, 3, 1,
		      offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
	p[n++] = insn(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
	p[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, 4, 1, offsetof(struct bpf_cgroup_dev_ctx, major),
		      0);
	p[n++] = insn(BPF_LDX | BPF_W | BPF_MEM, 5, 1, offsetof(struct bpf_cgroup_dev_ctx, minor),
		      0);
	return n;
}

/*
 * One rule: each test jumps past the rule's end when the request is not the rule's; a request
 * asking for access the rule does not name is not the rule's either (as v1 did).
 */
static size_t rule(struct bpf_insn *p, const struct devcg_rule *r)
{
	struct {
		__u8 code, reg;
		__s32 imm;
		bool pre_and;	/* r6 = r3 & ~imm first */
	} tests[4];
	size_t nt = 0, n = 0;

	if (r->type != 'a')
		tests[nt++] = (typeof(tests[0])){ BPF_JMP | BPF_JNE | BPF_K, 2,
						  r->type == 'b' ? BPF_DEVCG_DEV_BLOCK :
								   BPF_DEVCG_DEV_CHAR, false };
	if ((r->access & ACC_ALL) != ACC_ALL)
		tests[nt++] = (typeof(tests[0])){ BPF_JMP | BPF_JNE | BPF_K, 6, 0, true };
	if (r->major >= 0)
		tests[nt++] = (typeof(tests[0])){ BPF_JMP | BPF_JNE | BPF_K, 4, (__s32)r->major, false };
	if (r->minor >= 0)
		tests[nt++] = (typeof(tests[0])){ BPF_JMP | BPF_JNE | BPF_K, 5, (__s32)r->minor, false };
	/* instructions after each test up to the rule's end: the rest of the tests, r0, exit */
	size_t total = 2;

	for (size_t i = 0; i < nt; i++)
		total += 1 + tests[i].pre_and * 2;
	for (size_t i = 0; i < nt; i++) {
		if (tests[i].pre_and) {
			p[n++] = insn(BPF_ALU | BPF_MOV | BPF_X, 6, 3, 0, 0);
			p[n++] = insn(BPF_ALU | BPF_AND | BPF_K, 6, 0, 0, (__s32)~r->access);
		}
		/* to the instruction after the rule's exit */
		__s16 off = (__s16)(total - n - 1);

		p[n++] = insn(tests[i].code, tests[i].reg, 0, off, tests[i].imm);
	}
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0);
	p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return n;
}

static int load(const struct bpf_insn *prog, size_t len, char *log, size_t log_size)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (__u64)(uintptr_t)prog;
	a.insn_cnt = len;
	a.license = (__u64)(uintptr_t) "GPL";
	if (log) {
		a.log_buf = (__u64)(uintptr_t)log;
		a.log_size = log_size;
		a.log_level = 1;
	}
	return syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
}

int devcg__attach(const char *dir, const struct devcg_rule *rules, size_t n, struct err **err)
{
	_cleanup_free_ struct bpf_insn *prog = calloc(HEAD_INSNS + n * RULE_INSNS + 2,
						       sizeof(*prog));
	_cleanup_close_ int cg = -1, fd = -1;
	char log[4096] = "";
	bool ended = false;
	union bpf_attr a;
	size_t len;

	if (!prog)
		return err_errno(err, "allocate the device program");
	len = head(prog);
	for (size_t i = n; i-- > 0 && !ended;) {
		size_t got = rule(prog + len, &rules[i]);

		len += got;
		/* A rule for every request ("a *:* rwm") ends it: the verifier refuses dead code. */
		ended = got == 2;
	}
	/* no rule matched: v1's starting point, allow */
	if (!ended) {
		prog[len++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
		prog[len++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	fd = load(prog, len, NULL, 0);
	if (fd < 0) {
		int e = errno;

		/* again with the verifier's log, for the message only (it may not fit: ENOSPC) */
		load(prog, len, log, sizeof(log));
		errno = e;
		return err_errno(err, "load the device rules' program (%.300s)", log);
	}
	cg = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (cg < 0)
		return err_errno(err, "open %s", dir);
	memset(&a, 0, sizeof(a));
	a.target_fd = cg;
	a.attach_bpf_fd = fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &a, sizeof(a)) < 0)
		return err_errno(err, "attach the device rules to %s", dir);
	return 0;
}
