/* Per-thread seccomp allow-lists of bulkhead-vmm (libseccomp). The filters
 * are compiled once, before any thread starts, and each thread installs its
 * own at its start: a vCPU may run KVM_RUN on its own fd but cannot open a
 * file or a socket; only the event loop talks to sockets and disk images.
 * What each thread may do: docs/vmm.md "Jail and seccomp". */
#ifndef BH_VMM_SECCOMP_H
#define BH_VMM_SECCOMP_H

#include <stdbool.h>

#include "util/error.h"
#include "vmm/config.h"

enum vmm_thread_kind {
	VMM_THREAD_VCPU,        /* vCPU 1..n-1 */
	VMM_THREAD_MAIN,        /* vCPU 0, then the teardown */
	VMM_THREAD_LOOP,        /* the epoll event loop */
};

struct vmm_seccomp_params {
	enum vmm_seccomp_mode mode;     /* KILL or LOG (OFF: build nothing) */
	int vm_fd;
	const int *vcpu_fds;            /* indexed by vCPU */
	unsigned nvcpus;
	/* Some virtio queue is notified by MMIO exits (no ioeventfd), so
	 * vCPU threads do device I/O themselves. */
	bool vcpu_devices;
};

struct vmm_seccomp;

/* Compile the filters of every thread. Sets no_new_privs (needed to load a
 * filter without CAP_SYS_ADMIN). */
int vmm_seccomp_build(const struct vmm_seccomp_params *p, struct vmm_seccomp **out,
		      struct bh_error *err);
/* Load the filter of `kind` (vCPU index for VCPU) into the calling thread;
 * 0 or -errno. s NULL: nothing (seccomp off). */
int vmm_seccomp_install(const struct vmm_seccomp *s, enum vmm_thread_kind kind, unsigned vcpu);
void vmm_seccomp_free(struct vmm_seccomp *s);

#endif
