/* cgroup v2 device policy: a hand-written BPF_PROG_TYPE_CGROUP_DEVICE
 * program (no libbpf), attached to the container's cgroup with bpf(2).
 *
 * The program mirrors the v1 list semantics: rules are tried from the last
 * to the first, the first match decides (so the last matching rule wins),
 * and no match denies.  A rule matches when its type matches (or is 'a'),
 * the requested access bits are a subset of the rule's, and major/minor
 * match (-1 = any). */
#define BH_CGROUP_INTERNAL
#include "container/cgroup.h"

#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

static struct bpf_insn ins(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

#define LDX_W(dst, src, off) ins(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define MOV32_REG(dst, src)  ins(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define AND32_IMM(dst, imm)  ins(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32_IMM(dst, imm)  ins(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define MOV64_IMM(dst, imm)  ins(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm)    ins(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm) /* off patched */
#define EXIT()               ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int bpf_access_bits(const char *a)
{
	int bits = 0;
	if (!a[0])
		return BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
	for (; *a; a++)
		bits |= *a == 'm' ? BPF_DEVCG_ACC_MKNOD : *a == 'r' ? BPF_DEVCG_ACC_READ :
			*a == 'w' ? BPF_DEVCG_ACC_WRITE : 0;
	return bits;
}

int bh_cgroup_bpf_device_prog(const struct bh_spec_device_rule *rules, size_t n,
			      struct bpf_insn **insns, size_t *n_insns, struct bh_error *err)
{
	/* 6 prologue + at most 8 per rule + 2 epilogue */
	size_t cap = 6 + 8 * n + 2, k = 0;
	struct bpf_insn *p = calloc(cap, sizeof(*p));
	if (!p)
		return bh_error_set(err, ENOMEM, "cgroup: device program");
	/* r2 = access, r3 = type, r4 = major, r5 = minor */
	p[k++] = LDX_W(2, 1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	p[k++] = MOV32_REG(3, 2);
	p[k++] = AND32_IMM(3, 0xffff);
	p[k++] = RSH32_IMM(2, 16);
	p[k++] = LDX_W(4, 1, offsetof(struct bpf_cgroup_dev_ctx, major));
	p[k++] = LDX_W(5, 1, offsetof(struct bpf_cgroup_dev_ctx, minor));
	for (size_t i = n; i-- > 0; ) {
		const struct bh_spec_device_rule *r = &rules[i];
		if (r->type != 'a' && r->type != 'c' && r->type != 'b') {
			free(p);
			return bh_error_setx(err, EINVAL, "cgroup: device rule %zu: bad type '%c'",
					     i, r->type ? r->type : '?');
		}
		if ((r->major != -1 && (r->major < 0 || r->major > INT32_MAX)) ||
		    (r->minor != -1 && (r->minor < 0 || r->minor > INT32_MAX))) {
			free(p);
			return bh_error_setx(err, EINVAL, "cgroup: device rule %zu: bad major/minor", i);
		}
		size_t start = k;
		if (r->type != 'a')
			p[k++] = JNE_IMM(3, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
		int acc = bpf_access_bits(r->access);
		if (acc != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)) {
			p[k++] = MOV32_REG(1, 2);
			p[k++] = AND32_IMM(1, ~acc & 7);
			p[k++] = JNE_IMM(1, 0);
		}
		if (r->major != -1)
			p[k++] = JNE_IMM(4, (int32_t)r->major);
		if (r->minor != -1)
			p[k++] = JNE_IMM(5, (int32_t)r->minor);
		p[k++] = MOV64_IMM(0, r->allow ? 1 : 0);
		p[k++] = EXIT();
		/* every JNE of this rule skips to the next rule */
		for (size_t j = start; j < k; j++)
			if (p[j].code == (BPF_JMP | BPF_JNE | BPF_K))
				p[j].off = (int16_t)(k - j - 1);
		/* A rule that matches everything decides alone: what would
		 * follow is unreachable, which the verifier rejects. */
		if (k - start == 2) {
			*insns = p;
			*n_insns = k;
			return 0;
		}
	}
	p[k++] = MOV64_IMM(0, 0);
	p[k++] = EXIT();
	*insns = p;
	*n_insns = k;
	return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int bh_cgroup_bpf_load(const struct bpf_insn *insns, size_t n, char *log, size_t log_size,
		       struct bh_error *err)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t)"GPL";
	if (log && log_size) {
		log[0] = '\0';
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = (uint32_t)log_size;
		a.log_level = 1;
	}
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0 && log && errno == ENOSPC) {
		/* the log was too small, not the program: load without it */
		a.log_buf = 0;
		a.log_size = 0;
		a.log_level = 0;
		fd = sys_bpf(BPF_PROG_LOAD, &a);
	}
	if (fd < 0)
		return bh_error_set(err, errno, "cgroup: load device eBPF program (%zu insns)", n);
	return fd;
}

int bh_cgroup_bpf_devices_apply(const char *dir, const struct bh_spec_device_rule *rules,
				size_t n, struct bh_error *err)
{
	struct bpf_insn *insns;
	size_t ni;
	int r = bh_cgroup_bpf_device_prog(rules, n, &insns, &ni, err);
	if (r)
		return r;
	int prog = bh_cgroup_bpf_load(insns, ni, NULL, 0, err);
	free(insns);
	if (prog < 0)
		return prog;
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = bh_error_set(err, errno, "cgroup: open %s", dir);
		goto fail;
	}
	uint32_t ids[64];
	union bpf_attr q;
	memset(&q, 0, sizeof(q));
	q.query.target_fd = (uint32_t)dfd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t)(uintptr_t)ids;
	q.query.prog_cnt = 64;
	if (sys_bpf(BPF_PROG_QUERY, &q) < 0) {
		r = bh_error_set(err, errno, "cgroup: query device programs of %s", dir);
		goto fail;
	}
	/* Attach the new one before detaching the old ones: never a moment
	 * without a policy.  A single non-multi program is replaced in place. */
	bool multi = q.query.prog_cnt == 0 || (q.query.attach_flags & BPF_F_ALLOW_MULTI);
	union bpf_attr at;
	memset(&at, 0, sizeof(at));
	at.target_fd = (uint32_t)dfd;
	at.attach_bpf_fd = (uint32_t)prog;
	at.attach_type = BPF_CGROUP_DEVICE;
	at.attach_flags = multi ? BPF_F_ALLOW_MULTI : 0;
	if (sys_bpf(BPF_PROG_ATTACH, &at) < 0) {
		r = bh_error_set(err, errno, "cgroup: attach device eBPF program to %s", dir);
		goto fail;
	}
	for (uint32_t i = 0; multi && i < q.query.prog_cnt && i < 64; i++) {
		union bpf_attr g;
		memset(&g, 0, sizeof(g));
		g.prog_id = ids[i];
		_cleanup_close_ int old = sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (old < 0)
			continue;       /* gone already */
		union bpf_attr d;
		memset(&d, 0, sizeof(d));
		d.target_fd = (uint32_t)dfd;
		d.attach_bpf_fd = (uint32_t)old;
		d.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &d) < 0 && errno != ENOENT) {
			r = bh_error_set(err, errno, "cgroup: detach old device program %u from %s",
					 ids[i], dir);
			goto fail;
		}
	}
	return prog;
fail:
	close(prog);
	return r;
}
