/* VM backends for tenants: each knows how to turn a VM description into
 * the argv of one process (the VM), and which agent channel it gives.
 * Spawning, state and teardown are common (cmd_tenant.c). */
#ifndef BH_HOST_VM_BACKEND_H
#define BH_HOST_VM_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "agent_client.h"
#include "util/error.h"

struct vm_spec {
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
};

extern const struct vm_backend vm_backend_builtin;
extern const struct vm_backend vm_backend_qemu;

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
