/* The container's /dev: when /dev is a fresh tmpfs, only the standard
 * nodes (mknod, or binds of the host's in a user namespace), the usual
 * symlinks, plus linux.devices entries. */
#include "container/rt_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/cleanup.h"

static const struct {
	const char *name;
	unsigned maj, min;
} std_devs[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
	const char *path, *target;
} std_links[] = {
	{ "/dev/fd", "/proc/self/fd" }, { "/dev/stdin", "/proc/self/fd/0" },
	{ "/dev/stdout", "/proc/self/fd/1" }, { "/dev/stderr", "/proc/self/fd/2" },
	{ "/dev/ptmx", "pts/ptmx" },
};

/* Create one node at path (inside rootfd), or bind the host's one. */
static int device_make(int rootfd, const char *path, char type, unsigned maj,
		       unsigned min, mode_t perm, uid_t uid, gid_t gid,
		       bool bind, struct bh_error *err)
{
	char parent[4096];
	snprintf(parent, sizeof(parent), "%s", path);
	char *slash = strrchr(parent, '/');
	if (!slash || !slash[1])
		return bh_error_setx(err, EINVAL, "device path %s", path);
	*slash = '\0';
	const char *name = slash + 1;
	_cleanup_close_ int pfd = mounts_open_in_root(rootfd, *parent ? parent : "/",
						      true, false, err);
	if (pfd < 0)
		return pfd;
	/* O_PATH dirfds work for mknodat/openat via /proc/self/fd. */
	char pdir[64];
	snprintf(pdir, sizeof(pdir), "/proc/self/fd/%d", pfd);
	_cleanup_close_ int dfd = open(pdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return bh_error_set(err, errno, "open %s", parent);
	unlinkat(dfd, name, 0);
	if (bind) {
		int f = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (f < 0)
			return bh_error_set(err, errno, "create %s", path);
		close(f);
		char host[4096], tgt[4200];
		snprintf(host, sizeof(host), "/dev/%s", name);
		snprintf(tgt, sizeof(tgt), "%s/%s", pdir, name);
		if (mount(host, tgt, NULL, MS_BIND, NULL) < 0)
			return bh_error_set(err, errno, "bind %s on %s", host, path);
		return 0;
	}
	mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
	if (mknodat(dfd, name, kind | perm, makedev(maj, min)) < 0)
		return bh_error_set(err, errno, "mknod %s", path);
	/* mknod obeys the umask; set the mode the spec asked for. */
	if (fchmodat(dfd, name, perm, 0) < 0)
		return bh_error_set(err, errno, "chmod %s", path);
	if ((uid || gid) && fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return bh_error_set(err, errno, "chown %s", path);
	return 0;
}

static bool dev_is_tmpfs(const struct bh_spec *spec)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct bh_spec_mount *m = &spec->mounts[i];
		if (!strcmp(m->destination, "/dev") || !strcmp(m->destination, "/dev/"))
			return m->type && !strcmp(m->type, "tmpfs");
	}
	return false;
}

int devices_setup(const struct bh_spec *spec, bool in_userns, struct bh_error *err)
{
	_cleanup_close_ int rootfd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return bh_error_set(err, errno, "root.path %s", spec->root_path);
	int r;
	if (dev_is_tmpfs(spec)) {
		for (size_t i = 0; i < sizeof(std_devs) / sizeof(std_devs[0]); i++) {
			char p[64];
			snprintf(p, sizeof(p), "/dev/%s", std_devs[i].name);
			r = device_make(rootfd, p, 'c', std_devs[i].maj, std_devs[i].min,
					0666, 0, 0, in_userns, err);
			if (r < 0)
				return r;
		}
		_cleanup_close_ int dfd = mounts_open_in_root(rootfd, "/dev", false, false, err);
		if (dfd < 0)
			return dfd;
		char pdir[64];
		snprintf(pdir, sizeof(pdir), "/proc/self/fd/%d", dfd);
		_cleanup_close_ int d = open(pdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d < 0)
			return bh_error_set(err, errno, "open /dev");
		for (size_t i = 0; i < sizeof(std_links) / sizeof(std_links[0]); i++) {
			const char *name = std_links[i].path + 5;
			if (symlinkat(std_links[i].target, d, name) < 0 && errno != EEXIST)
				return bh_error_set(err, errno, "symlink %s", std_links[i].path);
		}
		if (mkdirat(d, "shm", 01777) < 0 && errno != EEXIST)
			return bh_error_set(err, errno, "mkdir /dev/shm");
		if (mkdirat(d, "pts", 0755) < 0 && errno != EEXIST)
			return bh_error_set(err, errno, "mkdir /dev/pts");
	}
	for (size_t i = 0; i < spec->linux.n_devices; i++) {
		const struct bh_spec_device *dv = &spec->linux.devices[i];
		mode_t perm = dv->file_mode == BH_UNSET ? 0666 : (mode_t)(dv->file_mode & 07777);
		r = device_make(rootfd, dv->path, dv->type == 'u' ? 'c' : dv->type,
				(unsigned)dv->major, (unsigned)dv->minor, perm,
				dv->uid == BH_UNSET ? 0 : (uid_t)dv->uid,
				dv->gid == BH_UNSET ? 0 : (gid_t)dv->gid,
				in_userns, err);
		if (r < 0)
			return bh_error_wrap(err, "linux.devices[%zu]", i);
	}
	return 0;
}
