/* Per-thread seccomp allow-lists (see seccomp.h). The syscall lists come
 * from strace -f of the 50-vmm and 51-vmm-virtio suites, thread by thread,
 * and from reading the code paths each thread runs. Filters are built with
 * libseccomp and exported to BPF in memory, so that a thread's install is a
 * single prctl with no allocation. */
#include "vmm/seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

struct vmm_prog {
	struct sock_filter *insns;
	unsigned short len;
};

struct vmm_seccomp {
	struct vmm_prog main, loop;
	struct vmm_prog *vcpu;         /* [nvcpus]; index 0 unused (vCPU 0 is MAIN) */
	unsigned nvcpus;
};

#define ALLOW(ctx, name, ...) \
	seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), __VA_ARGS__)

static int add_list(scmp_filter_ctx ctx, const int *nrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nrs[i], 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Every thread: memory (never executable), futexes, signals among our own
 * threads, clocks, logging to stderr, raising an interrupt line, exit. */
static int rules_common(scmp_filter_ctx ctx, const struct vmm_seccomp_params *p)
{
	static const int nrs[] = {
		SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(exit),
		SCMP_SYS(exit_group), SCMP_SYS(restart_syscall), SCMP_SYS(munmap), SCMP_SYS(madvise),
		SCMP_SYS(brk), SCMP_SYS(mremap), SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
		SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(getpid),
		SCMP_SYS(gettid), SCMP_SYS(sched_yield), SCMP_SYS(read), SCMP_SYS(write),
		SCMP_SYS(writev), SCMP_SYS(close), SCMP_SYS(epoll_ctl),
	};
	int r;
	if ((r = add_list(ctx, nrs, sizeof(nrs) / sizeof(nrs[0]))) < 0 ||
	    (r = ALLOW(ctx, mmap, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0 ||
	    (r = ALLOW(ctx, mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0 ||
	    /* Kicks between our own threads (pthread_kill); no other process. */
	    (r = ALLOW(ctx, tgkill, 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0))) < 0 ||
	    (r = ALLOW(ctx, ioctl, 2, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)p->vm_fd, 0),
		       SCMP_A1(SCMP_CMP_EQ, KVM_IRQ_LINE, 0))) < 0)
		return r;
	return 0;
}

/* Device back ends: disk images, Unix sockets (vsock, api), console,
 * entropy. */
static int rules_devices(scmp_filter_ctx ctx)
{
	static const int nrs[] = {
		SCMP_SYS(readv), SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(preadv),
		SCMP_SYS(pwritev), SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(lseek),
		SCMP_SYS(connect), SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg),
		SCMP_SYS(recvmsg), SCMP_SYS(shutdown), SCMP_SYS(getrandom),
	};
	int r;
	if ((r = add_list(ctx, nrs, sizeof(nrs) / sizeof(nrs[0]))) < 0 ||
	    (r = ALLOW(ctx, socket, 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0))) < 0)
		return r;
	return 0;
}

static int rules_vcpu(scmp_filter_ctx ctx, const struct vmm_seccomp_params *p, int fd)
{
	static const unsigned long reqs[] = { KVM_RUN, KVM_GET_MP_STATE, KVM_GET_REGS };
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		int r = ALLOW(ctx, ioctl, 2, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd, 0),
			      SCMP_A1(SCMP_CMP_EQ, reqs[i], 0));
		if (r < 0)
			return r;
	}
	return p->vcpu_devices ? rules_devices(ctx) : 0;
}

static int rules_for(scmp_filter_ctx ctx, const struct vmm_seccomp_params *p,
		     enum vmm_thread_kind kind, unsigned vcpu)
{
	int r = rules_common(ctx, p);
	if (r < 0)
		return r;
	switch (kind) {
	case VMM_THREAD_VCPU:
		return rules_vcpu(ctx, p, p->vcpu_fds[vcpu]);
	case VMM_THREAD_MAIN:
		/* vCPU 0, then stopping the others, closing devices and
		 * removing the socket files. */
		if ((r = rules_vcpu(ctx, p, p->vcpu_fds[0])) < 0 || (r = ALLOW(ctx, unlink, 0)) < 0 ||
		    (r = ALLOW(ctx, pread64, 0)) < 0)
			return r;
		return 0;
	case VMM_THREAD_LOOP:
		if ((r = rules_devices(ctx)) < 0 || (r = ALLOW(ctx, epoll_wait, 0)) < 0 ||
		    (r = ALLOW(ctx, epoll_pwait, 0)) < 0 || (r = ALLOW(ctx, timerfd_settime, 0)) < 0 ||
		    (r = ALLOW(ctx, accept4, 0)) < 0)
			return r;
		return 0;
	}
	return -EINVAL;
}

static int compile(const struct vmm_seccomp_params *p, enum vmm_thread_kind kind, unsigned vcpu,
		   struct vmm_prog *out, struct bh_error *err)
{
	static const char *const names[] = { "vCPU", "main", "event loop" };
	uint32_t def = p->mode == VMM_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx = seccomp_init(def);
	int r;
	if (!ctx)
		return bh_error_setx(err, ENOMEM, "seccomp: %s filter: seccomp_init", names[kind]);
	/* We load the exported program ourselves. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if ((r = rules_for(ctx, p, kind, vcpu)) < 0) {
		seccomp_release(ctx);
		return bh_error_set(err, -r, "seccomp: %s filter: add rules", names[kind]);
	}
	_cleanup_close_ int fd = (int)syscall(SYS_memfd_create, "bh-vmm-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		seccomp_release(ctx);
		return bh_error_set(err, errno, "seccomp: memfd_create");
	}
	r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (r < 0)
		return bh_error_set(err, -r, "seccomp: %s filter: export", names[kind]);
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) || size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return bh_error_setx(err, EINVAL, "seccomp: %s filter: bad program size %lld", names[kind],
				     (long long)size);
	out->insns = malloc((size_t)size);
	if (!out->insns)
		return bh_error_set(err, ENOMEM, "seccomp");
	if (pread(fd, out->insns, (size_t)size, 0) != size)
		return bh_error_set(err, errno, "seccomp: %s filter: read back", names[kind]);
	out->len = (unsigned short)(size / sizeof(struct sock_filter));
	return 0;
}

int vmm_seccomp_build(const struct vmm_seccomp_params *p, struct vmm_seccomp **out,
		      struct bh_error *err)
{
	*out = NULL;
	if (p->mode == VMM_SECCOMP_OFF)
		return 0;
	struct vmm_seccomp *s = calloc(1, sizeof(*s));
	if (!s || !(s->vcpu = calloc(p->nvcpus ? p->nvcpus : 1, sizeof(*s->vcpu)))) {
		free(s);
		return bh_error_set(err, ENOMEM, "seccomp");
	}
	s->nvcpus = p->nvcpus;
	int r;
	if ((r = compile(p, VMM_THREAD_MAIN, 0, &s->main, err)) < 0 ||
	    (r = compile(p, VMM_THREAD_LOOP, 0, &s->loop, err)) < 0)
		goto fail;
	for (unsigned i = 1; i < p->nvcpus; i++)
		if ((r = compile(p, VMM_THREAD_VCPU, i, &s->vcpu[i], err)) < 0)
			goto fail;
	/* Inherited by the threads created after this. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = bh_error_set(err, errno, "seccomp: no_new_privs");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	vmm_seccomp_free(s);
	return r;
}

int vmm_seccomp_install(const struct vmm_seccomp *s, enum vmm_thread_kind kind, unsigned vcpu)
{
	if (!s)
		return 0;
	const struct vmm_prog *pr = kind == VMM_THREAD_MAIN ? &s->main :
				    kind == VMM_THREAD_LOOP ? &s->loop :
				    vcpu > 0 && vcpu < s->nvcpus ? &s->vcpu[vcpu] : NULL;
	if (!pr || !pr->insns)
		return -EINVAL;
	struct sock_fprog prog = { .len = pr->len, .filter = pr->insns };
	/* This thread only (no TSYNC): each kind of thread has its own list. */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -errno;
	return 0;
}

void vmm_seccomp_free(struct vmm_seccomp *s)
{
	if (!s)
		return;
	free(s->main.insns);
	free(s->loop.insns);
	for (unsigned i = 0; s->vcpu && i < s->nvcpus; i++)
		free(s->vcpu[i].insns);
	free(s->vcpu);
	free(s);
}
