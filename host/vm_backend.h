/* VM backends for tenants: each knows how to turn a VM description into
 * the argv of one process (the VM), and which agent channel it gives.
 * Spawning, state and teardown are common (cmd_tenant.c).  A backend whose
 * VM is not a process we fork (libvirt) sets the start/stop/alive hooks
 * instead of build_argv. */
#ifndef BH_HOST_VM_BACKEND_H
#define BH_HOST_VM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "agent_client.h"
#include "util/error.h"

struct tenant;

struct vm_spec {
	const char *name;           /* tenant name */
	const char *dir;            /* tenant dir */
	const char *kernel, *initrd;
	const char *sock;           /* agent channel path */
	const char *console;        /* console log path */
	long mem_mib;
	int vcpus;
	size_t n_images;
	char *const *image_name, *const *image_file;
};

/* argv built by a backend: strings owned by the struct. */
struct vm_argv {
	char **v;
	size_t n, cap;
};
int vm_argv_add(struct vm_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vm_argv_free(struct vm_argv *a);

struct vm_backend {
	const char *name;
	enum agent_transport transport;
	bool streams;               /* stdio over extra connections */
	const char *sock_name;      /* file name of the agent channel in the tenant dir */
	int (*build_argv)(const struct vm_spec *s, struct vm_argv *a, struct bh_error *err);
	/* Hooks for VMs managed elsewhere; NULL for the process backends.
	 * start: create and start the VM (*pid: its process where known, else 0);
	 * stop: hard stop, nothing left (a VM that is already gone is success);
	 * alive: 1 running, 0 gone, <0 cannot tell (negative errno);
	 * rss_kib: resident memory of the VM, -1 when unknown. */
	int (*start)(const struct vm_spec *s, pid_t *pid, struct bh_error *err);
	int (*stop)(const struct tenant *t, struct bh_error *err);
	int (*alive)(const struct tenant *t);
	long (*rss_kib)(const struct tenant *t);
};

extern const struct vm_backend vm_backend_builtin;
extern const struct vm_backend vm_backend_qemu;
extern const struct vm_backend vm_backend_libvirt;

const struct vm_backend *vm_backend_find(const char *name);
/* builtin where VMX/SVM and /dev/kvm exist, else qemu (TCG). */
const struct vm_backend *vm_backend_default(bool *hw_virt);
/* Hardware virtualisation: vmx or svm in /proc/cpuinfo, and /dev/kvm. */
bool vm_host_has_hw_virt(void);
/* The directory of the running bulkhead binary (for bulkhead-vmm, images). */
int vm_self_dir(char *out, size_t n);

/* Kernel command line shared by the backends. */
#define VM_CMDLINE "console=ttyS0 reboot=t panic=-1 quiet cryptomgr.notests " \
	"init_on_alloc=0 audit=0 8250.nr_uarts=1"

#endif
