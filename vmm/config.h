/* bulkhead-vmm configuration: a JSON file (jansson) and/or command-line
 * flags (flags override the file). Reference: docs/vmm.md. */
#ifndef BH_VMM_CONFIG_H
#define BH_VMM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define VMM_DEFAULT_CMDLINE \
	"console=ttyS0 reboot=k panic=1 pci=off nomodule 8250.nr_uarts=1 i8042.noaux quiet"
#define VMM_CONFIG_MAX_DRIVES 16
#define VMM_CONFIG_MAX_MEMORY_MIB (1024 * 1024)

enum vmm_out_mode { VMM_OUT_OFF, VMM_OUT_STDOUT, VMM_OUT_FILE };

struct vmm_out_cfg {
	enum vmm_out_mode mode;
	char *path;             /* VMM_OUT_FILE */
};

struct vmm_drive_cfg {
	char *path;
	bool readonly;
	char *serial;
};

#define VMM_JAIL_MAX_CGROUPS 8

/* Jail (vmm/jail.c): a fresh mount/ipc/uts(/net) namespace, pivot_root into
 * chroot_dir, an unprivileged uid/gid, no capabilities, no_new_privs. */
struct vmm_jail_cfg {
	bool on;
	uint32_t uid, gid;
	char *chroot_dir;             /* default: the vsock (else api) socket's folder, else an empty tmpfs */
	char *cgroups[VMM_JAIL_MAX_CGROUPS];   /* cgroup folders (v1 or v2) joined at start */
	size_t ncgroups;
	bool keep_netns;              /* stay in the host's network namespace */
};

/* Syscall filter per thread (vmm/seccomp.c). DEFAULT is KILL (OFF in
 * sanitizer builds, whose runtime needs syscalls the filters refuse). */
enum vmm_seccomp_mode { VMM_SECCOMP_DEFAULT = 0, VMM_SECCOMP_KILL, VMM_SECCOMP_LOG, VMM_SECCOMP_OFF };

struct vmm_config {
	unsigned vcpus;
	uint64_t memory_mib;
	char *kernel, *initrd, *cmdline;
	struct vmm_drive_cfg drives[VMM_CONFIG_MAX_DRIVES];
	size_t ndrives;
	bool vsock;
	uint32_t vsock_cid;
	char *vsock_uds;
	struct vmm_out_cfg serial;    /* the 16550 UART; default stdout */
	bool serial_input;            /* feed stdin to the UART */
	struct vmm_out_cfg console;   /* virtio-console; default off */
	bool rng;
	bool hugepages;               /* hugetlbfs pages instead of THP */
	bool pvh;                     /* PVH entry instead of the 64-bit boot protocol */
	char *api_sock;
	struct vmm_jail_cfg jail;
	enum vmm_seccomp_mode seccomp;
};

void vmm_config_init(struct vmm_config *c);
void vmm_config_free(struct vmm_config *c);
/* Parse JSON text; name is for messages ("config <name>: field: why"). */
int vmm_config_parse(struct vmm_config *c, const char *text, size_t len,
		     const char *name, struct bh_error *err);
int vmm_config_load(struct vmm_config *c, const char *path, struct bh_error *err);
/* Flag values: "PATH[,ro][,serial=S]", "CID,UDS", "stdout|off|file:PATH". */
int vmm_config_add_disk(struct vmm_config *c, const char *arg, struct bh_error *err);
int vmm_config_set_vsock(struct vmm_config *c, const char *arg, struct bh_error *err);
int vmm_config_set_out(struct vmm_out_cfg *o, const char *arg, struct bh_error *err);
/* "UID:GID" (both 1..4294967294), a cgroup folder, "kill|log|off". */
int vmm_config_set_jail(struct vmm_config *c, const char *arg, struct bh_error *err);
int vmm_config_add_cgroup(struct vmm_config *c, const char *path, struct bh_error *err);
int vmm_config_set_seccomp(struct vmm_config *c, const char *arg, struct bh_error *err);
/* Final checks once file and flags are merged. */
int vmm_config_check(const struct vmm_config *c, struct bh_error *err);

#endif
