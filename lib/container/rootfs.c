/* The root filesystem: propagation, bind of the rootfs onto itself,
 * mounts and /dev, pivot_root (or MS_MOVE + chroot), then masked and
 * read-only paths and the read-only root. */
#include "container/rt_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

int rootfs_prepare(const struct bh_spec *spec, bool in_userns,
		   const struct cgroup_gate *gate, struct bh_error *err)
{
	unsigned long prop = spec->linux.rootfs_propagation;
	/* Nothing we mount may propagate back to the host.  Shared is
	 * applied after the pivot; here everything starts as a slave/private. */
	unsigned long first = (prop & (MS_SLAVE | MS_PRIVATE)) ? prop : (MS_REC | MS_PRIVATE);
	if (mount(NULL, "/", NULL, first | MS_REC, NULL) < 0)
		return bh_error_set(err, errno, "make / private");
	struct stat sb;
	if (stat(spec->root_path, &sb) < 0)
		return bh_error_set(err, errno, "root.path %s", spec->root_path);
	if (!S_ISDIR(sb.st_mode))
		return bh_error_setx(err, ENOTDIR, "root.path %s: Not a directory",
				     spec->root_path);
	if (mount(spec->root_path, spec->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return bh_error_set(err, errno, "bind rootfs %s", spec->root_path);
	int r = mounts_apply(spec, in_userns, gate, err);
	if (r < 0)
		return r;
	return devices_setup(spec, in_userns, err);
}

int rootfs_pivot(const struct bh_spec *spec, bool no_pivot, struct bh_error *err)
{
	if (chdir(spec->root_path) < 0)
		return bh_error_set(err, errno, "chdir %s", spec->root_path);
	if (no_pivot) {
		if (mount(spec->root_path, "/", NULL, MS_MOVE, NULL) < 0)
			return bh_error_set(err, errno, "move rootfs to /");
		if (chroot(".") < 0)
			return bh_error_set(err, errno, "chroot");
	} else {
		/* pivot_root(".", "."): the old root ends up stacked under the
		 * new one and is detached right away; no temp dir needed. */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return bh_error_set(err, errno, "pivot_root %s", spec->root_path);
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			return bh_error_set(err, errno, "make old root a slave");
		if (umount2(".", MNT_DETACH) < 0)
			return bh_error_set(err, errno, "detach old root");
	}
	if (chdir("/") < 0)
		return bh_error_set(err, errno, "chdir /");
	unsigned long prop = spec->linux.rootfs_propagation;
	if (prop && mount(NULL, "/", NULL, prop, NULL) < 0)
		return bh_error_set(err, errno, "set rootfsPropagation");
	return 0;
}

static int mask_path(const char *path, struct bh_error *err)
{
	struct stat sb;
	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : bh_error_set(err, errno, "masked path %s", path);
	if (S_ISDIR(sb.st_mode)) {
		if (mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0k,nr_inodes=1") < 0)
			return bh_error_set(err, errno, "mask %s", path);
	} else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0 && errno != ENOENT) {
		return bh_error_set(err, errno, "mask %s", path);
	}
	return 0;
}

static int readonly_path(const char *path, struct bh_error *err)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return errno == ENOENT ? 0 : bh_error_set(err, errno, "read-only path %s", path);
	unsigned long keep;
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL) < 0) {
		/* Locked flags (nosuid...) in a user namespace: keep them. */
		keep = MS_NOSUID | MS_NODEV | MS_NOEXEC;
		if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
			return bh_error_set(err, errno, "remount %s read-only", path);
	}
	return 0;
}

int rootfs_finish(const struct bh_spec *spec, struct bh_error *err)
{
	int r;
	for (size_t i = 0; i < spec->linux.n_readonly_paths; i++)
		if ((r = readonly_path(spec->linux.readonly_paths[i], err)) < 0)
			return r;
	for (size_t i = 0; i < spec->linux.n_masked_paths; i++)
		if ((r = mask_path(spec->linux.masked_paths[i], err)) < 0)
			return r;
	if (spec->root_readonly &&
	    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0 &&
	    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID |
		  MS_NODEV, NULL) < 0)
		return bh_error_set(err, errno, "remount / read-only");
	return 0;
}
