/* The VMM's jail (see jail.h). Privileged steps come first (cgroups,
 * namespaces, mounts, pivot_root, bounding set), then the uid/gid drop, then
 * what an unprivileged process may still do to itself (capabilities,
 * no_new_privs). Every error names its step; an error ends the VMM before
 * any guest code runs. */
#include "vmm/jail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

int vmm_jail_cgroups(const struct vmm_jail_cfg *j, struct bh_error *err)
{
	if (!j->on)
		return 0;
	if (geteuid() != 0)
		return bh_error_setx(err, EPERM, "jail: needs root (running as uid %u): namespaces, "
				     "pivot_root and the uid change are privileged", (unsigned)geteuid());
	for (size_t i = 0; i < j->ncgroups; i++) {
		char path[PATH_MAX], pid[24];
		struct stat st;
		if (stat(j->cgroups[i], &st) < 0)
			return bh_error_set(err, errno, "jail: cgroup %s", j->cgroups[i]);
		if (!S_ISDIR(st.st_mode))
			return bh_error_setx(err, ENOTDIR, "jail: cgroup %s: not a folder", j->cgroups[i]);
		if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", j->cgroups[i]) >= sizeof(path))
			return bh_error_setx(err, ENAMETOOLONG, "jail: cgroup %s: path too long", j->cgroups[i]);
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return bh_error_set(err, errno, "jail: cgroup %s: open cgroup.procs (is it a cgroup?)",
					    j->cgroups[i]);
		int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
		if (write(fd, pid, (size_t)n) != n)
			return bh_error_set(err, errno, "jail: cgroup %s: join", j->cgroups[i]);
	}
	return 0;
}

static char *dir_of(const char *path)
{
	char *d = strdup(path);
	if (!d)
		return NULL;
	char *slash = strrchr(d, '/');
	if (!slash)
		strcpy(d, ".");
	else if (slash == d)
		d[1] = 0;
	else
		*slash = 0;
	return d;
}

int vmm_jail_root(const struct vmm_jail_cfg *j, const char *vsock_uds, const char *api_sock, char **out,
		  struct bh_error *err)
{
	_cleanup_free_ char *d = j->chroot_dir ? strdup(j->chroot_dir) : vsock_uds ? dir_of(vsock_uds) :
				 api_sock ? dir_of(api_sock) : NULL;
	char real[PATH_MAX];
	struct stat st;
	*out = NULL;
	if (!d)
		return j->chroot_dir || vsock_uds || api_sock ? bh_error_set(err, ENOMEM, "jail") : 0;
	if (!realpath(d, real) || stat(real, &st) < 0)
		return bh_error_set(err, errno, "jail: folder %s", d);
	if (!S_ISDIR(st.st_mode))
		return bh_error_setx(err, ENOTDIR, "jail: folder %s: not a folder", d);
	if (!strcmp(real, "/"))
		return bh_error_setx(err, EINVAL, "jail: folder %s: the host's root is no jail", d);
	if (!(*out = strdup(real)))
		return bh_error_set(err, ENOMEM, "jail");
	return 0;
}

int vmm_jail_inside(const char *root, const char *host_path, const char *what, char **out,
		    struct bh_error *err)
{
	char rroot[PATH_MAX], rdir[PATH_MAX];
	_cleanup_free_ char *dir = dir_of(host_path);
	const char *base = strrchr(host_path, '/');
	base = base ? base + 1 : host_path;
	if (!dir)
		return bh_error_set(err, ENOMEM, "jail");
	if (!realpath(root, rroot))
		return bh_error_set(err, errno, "jail: folder %s", root);
	if (!realpath(dir, rdir))
		return bh_error_set(err, errno, "jail: %s %s: its folder", what, host_path);
	size_t n = strlen(rroot);
	if (!strcmp(rroot, "/"))
		n = 0;
	else if (strncmp(rdir, rroot, n) || (rdir[n] != '/' && rdir[n] != 0))
		return bh_error_setx(err, EXDEV, "jail: %s %s lies outside the jail folder %s; put it "
				     "there (guest-initiated vsock connections and its removal at exit "
				     "happen inside the jail)", what, host_path, rroot);
	if (asprintf(out, "%s/%s", rdir[n] ? rdir + n : "", base) < 0) {
		*out = NULL;
		return bh_error_set(err, ENOMEM, "jail");
	}
	return 0;
}

/* The new root: the jail folder bound onto itself (pivot_root needs a mount
 * point), or an empty read-only tmpfs mounted over /tmp in our private
 * mount namespace. Leaves the cwd there. */
static int root_mount(const char *root, struct bh_error *err)
{
	if (root) {
		if (mount(root, root, NULL, MS_BIND, NULL) < 0)
			return bh_error_set(err, errno, "jail: bind-mount %s onto itself", root);
		if (mount(NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			return bh_error_set(err, errno, "jail: remount %s nosuid,nodev,noexec", root);
		if (chdir(root) < 0)
			return bh_error_set(err, errno, "jail: chdir %s", root);
		return 0;
	}
	const char *at = access("/tmp", X_OK) == 0 ? "/tmp" : "/";
	if (mount("bulkhead-jail", at, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,nr_inodes=1,mode=0555") < 0)
		return bh_error_set(err, errno, "jail: mount an empty tmpfs for the root");
	if (chdir(at) < 0)
		return bh_error_set(err, errno, "jail: chdir to the empty root");
	return 0;
}

static int pivot(struct bh_error *err)
{
	/* pivot_root(".", "."), then detach the old root stacked under the
	 * new one: no path leads back to the host's files. */
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		if (umount2(".", MNT_DETACH) < 0)
			return bh_error_set(err, errno, "jail: detach the old root");
	} else if (errno == EINVAL) {
		/* The host's root cannot be pivoted (an initramfs rootfs): chroot. */
		bh_log_debug("jail: pivot_root refused, using chroot");
		if (chroot(".") < 0)
			return bh_error_set(err, errno, "jail: chroot");
	} else {
		return bh_error_set(err, errno, "jail: pivot_root");
	}
	if (chdir("/") < 0)
		return bh_error_set(err, errno, "jail: chdir /");
	return 0;
}

static int drop_bounding(struct bh_error *err)
{
	/* Every capability the kernel knows (EINVAL past its last one). */
	for (int c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return bh_error_set(err, errno, "jail: drop capability %d from the bounding set", c);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return bh_error_set(err, errno, "jail: clear the ambient capabilities");
	return 0;
}

static int drop_ids(const struct vmm_jail_cfg *j, struct bh_error *err)
{
	if (setgroups(0, NULL) < 0)
		return bh_error_set(err, errno, "jail: setgroups(0)");
	if (setresgid(j->gid, j->gid, j->gid) < 0)
		return bh_error_set(err, errno, "jail: setresgid %u", j->gid);
	if (setresuid(j->uid, j->uid, j->uid) < 0)
		return bh_error_set(err, errno, "jail: setresuid %u", j->uid);
	cap_t none = cap_init();
	if (!none)
		return bh_error_set(err, errno, "jail: cap_init");
	int r = cap_set_proc(none);
	int e = errno;
	cap_free(none);
	if (r < 0)
		return bh_error_set(err, e, "jail: clear the capability sets");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return bh_error_set(err, errno, "jail: no_new_privs");
	/* Not ptrace-able or dumpable by other processes of the jail uid
	 * (another tenant's VMM may share it). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return bh_error_set(err, errno, "jail: PR_SET_DUMPABLE");
	/* The drop must be for good. */
	if (setresuid(0, 0, 0) == 0 || getuid() != j->uid || geteuid() != j->uid || getgid() != j->gid)
		return bh_error_setx(err, EPERM, "jail: the uid/gid change did not stick");
	return 0;
}

int vmm_jail_enter(const struct vmm_jail_cfg *j, const char *root, bool *moved, struct bh_error *err)
{
	int r;
	*moved = false;
	if (!j->on)
		return 0;
	int ns = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | (j->keep_netns ? 0 : CLONE_NEWNET);
	if (unshare(ns) < 0)
		return bh_error_set(err, errno, "jail: unshare the mount, ipc, uts, cgroup%s namespaces",
				    j->keep_netns ? "" : " and network");
	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return bh_error_set(err, errno, "jail: make the mounts private");
	if ((r = root_mount(root, err)) < 0 || (r = pivot(err)) < 0)
		return r;
	*moved = true;
	if ((r = drop_bounding(err)) < 0 || (r = drop_ids(j, err)) < 0)
		return r;
	bh_log_info("jail: uid %u gid %u, root %s", j->uid, j->gid, root ? root : "(empty tmpfs)");
	return 0;
}
