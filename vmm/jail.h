/* The VMM's jail, in the spirit of Firecracker's jailer: once everything the
 * VMM needs is open, it leaves the host's mount/ipc/uts/net namespaces, pivots
 * into a folder that holds nothing but its sockets (or an empty read-only
 * tmpfs), and drops to an unprivileged uid/gid with no capabilities at all
 * and no_new_privs. See docs/vmm.md "Jail and seccomp". */
#ifndef BH_VMM_JAIL_H
#define BH_VMM_JAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"
#include "vmm/config.h"

/* Step 1, before any guest memory exists (so the guest's pages are charged
 * to them): join each cgroup folder (v1 or v2) by writing our pid to its
 * cgroup.procs. Also refuses a jail when not running as root. */
int vmm_jail_cgroups(const struct vmm_jail_cfg *j, struct bh_error *err);

/* The folder the jail's root will be: j->chroot_dir, else the folder of the
 * first socket path given (vsock, then api), else none (*out NULL: an empty
 * tmpfs). *out is malloc'd, absolute, symlinks resolved; it must exist. */
int vmm_jail_root(const struct vmm_jail_cfg *j, const char *vsock_uds, const char *api_sock, char **out,
		  struct bh_error *err);

/* The path by which `host_path` (a socket the VMM bound before the jail) is
 * reached from inside a jail rooted at `root`: "/<rest>". Fails (EXDEV) when
 * it lies outside root, since guest-initiated vsock connections and the
 * socket's removal at exit would then fail. Malloc'd into *out. */
int vmm_jail_inside(const char *root, const char *host_path, const char *what, char **out,
		    struct bh_error *err);

/* Step 2, after every file, device and socket is open and before any guest
 * code runs; the process must still be single-threaded. root may be NULL.
 * *moved: the root was changed (host paths no longer reachable), also when
 * a later step failed. */
int vmm_jail_enter(const struct vmm_jail_cfg *j, const char *root, bool *moved, struct bh_error *err);

#endif
