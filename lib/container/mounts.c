/* The spec's mounts, applied in the container's mount namespace before
 * pivot_root.  Destinations are resolved with openat2(RESOLVE_IN_ROOT) so a
 * symlink in the rootfs can never send a mount outside of it. */
#include "container/rt_internal.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

int mounts_open_in_root(int rootfd, const char *dest, bool create,
			bool is_file, struct bh_error *err)
{
	int fd = open_in_root(rootfd, dest, O_PATH);
	if (fd >= 0 || fd != -ENOENT || !create) {
		if (fd < 0)
			return bh_error_set(err, -fd, "open %s in the rootfs", dest);
		return fd;
	}
	/* Create the missing components one by one, each relative to its
	 * parent as resolved inside the root. */
	char buf[4096];
	if (snprintf(buf, sizeof(buf), "%s", dest) >= (int)sizeof(buf))
		return bh_error_setx(err, ENAMETOOLONG, "mount destination %s", dest);
	size_t len = strlen(buf);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	for (char *p = buf; ; p++) {
		if (*p && *p != '/')
			continue;
		if (p == buf) {
			if (!*p)
				break;
			continue;
		}
		char save = *p;
		*p = '\0';
		bool last = save == '\0';
		fd = open_in_root(rootfd, buf, O_PATH);
		if (fd == -ENOENT) {
			char *slash = strrchr(buf, '/');
			char *name = slash ? slash + 1 : buf;
			_cleanup_close_ int pfd = -1;
			if (slash && slash != buf) {
				*slash = '\0';
				pfd = open_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
				*slash = '/';
			} else {
				pfd = dup(rootfd);
			}
			if (pfd < 0)
				return bh_error_set(err, pfd == -1 ? errno : -pfd,
						    "open parent of %s in the rootfs", buf);
			int r;
			if (last && is_file) {
				r = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(pfd, name, 0755);
			}
			if (r < 0 && errno != EEXIST)
				return bh_error_set(err, errno, "create %s in the rootfs", buf);
			fd = open_in_root(rootfd, buf, O_PATH);
		}
		if (fd < 0)
			return bh_error_set(err, -fd, "open %s in the rootfs", buf);
		if (last)
			return fd;
		close(fd);
		*p = save;
	}
	return bh_error_setx(err, EINVAL, "mount destination %s", dest);
}

static void fd_path(int fd, char *buf, size_t n)
{
	snprintf(buf, n, "/proc/self/fd/%d", fd);
}

/* Flags a bind remount must keep when they are locked (user namespaces). */
static unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
	if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
	return f;
}

#define BIND_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | \
		    MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)

static int mount_bind(const struct bh_spec_mount *m, const char *target,
		      struct bh_error *err)
{
	unsigned long rec = m->flags & MS_REC;
	if (mount(m->source, target, NULL, MS_BIND | rec, NULL) < 0)
		return bh_error_set(err, errno, "bind mount %s on %s",
				    m->source, m->destination);
	return 0;
}

/* A bind takes its flags only through a remount. */
static int mount_bind_remount(const struct bh_spec_mount *m, const char *target,
			      bool in_userns, struct bh_error *err)
{
	unsigned long want = m->flags & BIND_FLAGS;
	if (!want)
		return 0;
	unsigned long keep = in_userns ? locked_flags(target) & ~m->clear : 0;
	if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | want | keep, NULL) < 0 &&
	    mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | want |
		  (locked_flags(target) & ~MS_RDONLY), NULL) < 0)
		return bh_error_set(err, errno, "remount %s with its options",
				    m->destination);
	return 0;
}

/* Without a cgroup namespace a fresh mount would show the whole host
 * hierarchy: bind the container's own cgroup dir instead (like runc). */
static int bind_own_cgroup(const struct bh_spec_mount *m, const char *sub,
			   const char *name, const char *cgpath, int rootfd,
			   unsigned long fl, struct bh_error *err)
{
	char src[4096];
	snprintf(src, sizeof(src), "/sys/fs/cgroup/%s%s", name, cgpath);
	if (access(src, F_OK) < 0)
		return 0; /* a hierarchy mounted elsewhere: leave it out */
	int fd = mounts_open_in_root(rootfd, sub, true, false, err);
	if (fd < 0)
		return fd;
	char p[64];
	fd_path(fd, p, sizeof(p));
	int r = mount(src, p, NULL, MS_BIND, NULL);
	int e = errno;
	close(fd);
	if (r < 0)
		return bh_error_set(err, e, "bind cgroup %s on %s", src, sub);
	fd = mounts_open_in_root(rootfd, sub, false, false, err);
	if (fd < 0)
		return fd;
	fd_path(fd, p, sizeof(p));
	r = mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | fl | (m->flags & MS_RDONLY), NULL);
	e = errno;
	close(fd);
	if (r < 0)
		return bh_error_set(err, e, "remount cgroup %s", sub);
	return 0;
}

/* cgroup v1 (or hybrid) host: a tmpfs with one mount per hierarchy. */
static int mount_cgroup_v1(const struct bh_spec_mount *m, int rootfd,
			   const char *target, bool own_ns, struct bh_error *err)
{
	unsigned long fl = m->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
	if (mount("tmpfs", target, "tmpfs", fl, "mode=755") < 0)
		return bh_error_set(err, errno, "mount tmpfs on %s", m->destination);
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return bh_error_set(err, errno, "open /proc/self/cgroup");
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1;
		const char *name = ctrls;
		const char *type = "cgroup", *data = ctrls;
		if (!*ctrls) {
			name = "unified";
			type = "cgroup2";
			data = NULL;
		} else if (!strncmp(ctrls, "name=", 5)) {
			name = ctrls + 5;
		}
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", m->destination, name);
		if (!own_ns) {
			char *path = c2 + 1;
			path[strcspn(path, "\n")] = '\0';
			int br = bind_own_cgroup(m, sub, name, path, rootfd, fl, err);
			if (br < 0)
				return br;
			goto links;
		}
		int fd = mounts_open_in_root(rootfd, sub, true, false, err);
		if (fd < 0)
			return fd;
		char p[64];
		fd_path(fd, p, sizeof(p));
		int r = mount("cgroup", p, type, fl | (m->flags & MS_RDONLY), data);
		int e = errno;
		close(fd);
		if (r < 0 && *ctrls)
			return bh_error_set(err, e, "mount cgroup %s on %s", ctrls, sub);
links:
		/* cpu -> cpu,cpuacct like every distribution lays it out. */
		if (strchr(name, ',')) {
			char tmp[256];
			snprintf(tmp, sizeof(tmp), "%s", name);
			for (char *s = strtok(tmp, ","); s; s = strtok(NULL, ",")) {
				snprintf(sub, sizeof(sub), "%s/%s", m->destination, s);
				int dfd = mounts_open_in_root(rootfd, m->destination, false, false, NULL);
				if (dfd >= 0) {
					if (symlinkat(name, dfd, s) < 0 && errno != EEXIST)
						bh_log_debug("symlink %s: %s", sub, strerror(errno));
					close(dfd);
				}
			}
		}
	}
	if (m->flags & MS_RDONLY) {
		/* target points below the tmpfs: reopen to reach the tmpfs. */
		int tfd = mounts_open_in_root(rootfd, m->destination, false, false, err);
		if (tfd < 0)
			return tfd;
		char tp[64];
		fd_path(tfd, tp, sizeof(tp));
		int r = mount(NULL, tp, NULL, MS_REMOUNT | MS_RDONLY | fl, "mode=755");
		int e = errno;
		close(tfd);
		if (r < 0)
			return bh_error_set(err, e, "remount %s read-only", m->destination);
	}
	return 0;
}

static bool has_option(const struct bh_spec_mount *m, const char *opt)
{
	for (size_t i = 0; i < m->n_options; i++)
		if (!strcmp(m->options[i], opt))
			return true;
	return false;
}

/* tmpcopyup (crun/podman): the tmpfs starts with what the rootfs had
 * there.  Only dirs, regular files and symlinks; nothing is followed. */
static int copy_tree(int from, int to, int depth)
{
	if (depth > 32)
		return -ELOOP;
	int dfd = dup(from);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat sb;
		if (fstatat(from, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			if (mkdirat(to, e->d_name, sb.st_mode & 07777) < 0 && errno != EEXIST) {
				r = -errno;
				break;
			}
			int a = openat(from, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int b = openat(to, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (a >= 0 && b >= 0)
				r = copy_tree(a, b, depth + 1);
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
		} else if (S_ISLNK(sb.st_mode)) {
			char tgt[4096];
			ssize_t n = readlinkat(from, e->d_name, tgt, sizeof(tgt) - 1);
			if (n < 0)
				continue;
			tgt[n] = '\0';
			if (symlinkat(tgt, to, e->d_name) < 0 && errno != EEXIST)
				r = -errno;
		} else if (S_ISREG(sb.st_mode)) {
			int a = openat(from, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			int b = openat(to, e->d_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				       sb.st_mode & 07777);
			char buf[65536];
			ssize_t n;
			while (a >= 0 && b >= 0 && (n = read(a, buf, sizeof(buf))) > 0)
				if (write(b, buf, (size_t)n) != n) {
					r = -EIO;
					break;
				}
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
		} else {
			continue;
		}
		fchownat(to, e->d_name, sb.st_uid, sb.st_gid, AT_SYMLINK_NOFOLLOW);
	}
	closedir(d);
	return r;
}

static int mount_one(const struct bh_spec *spec, const struct bh_spec_mount *m,
		     int rootfd, bool in_userns, struct bh_error *err)
{
	bool bind = (m->flags & MS_BIND) || (m->type && !strcmp(m->type, "bind"));
	bool is_file = false;
	if (bind) {
		struct stat sb;
		if (!m->source || stat(m->source, &sb) < 0)
			return bh_error_set(err, m->source ? errno : EINVAL,
					    "mount source %s for %s",
					    m->source ? m->source : "(none)", m->destination);
		is_file = !S_ISDIR(sb.st_mode);
	}
	_cleanup_close_ int fd = mounts_open_in_root(rootfd, m->destination, true,
						     is_file, err);
	if (fd < 0)
		return bh_error_wrap(err, "mount %s", m->destination);
	char target[64];
	fd_path(fd, target, sizeof(target));
	int r = 0;
	if (bind) {
		r = mount_bind(m, target, err);
	} else if (m->type && !strcmp(m->type, "cgroup")) {
		if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
			if (mount("cgroup2", target, "cgroup2", m->flags & ~MS_REC, NULL) < 0)
				r = bh_error_set(err, errno, "mount cgroup2 on %s", m->destination);
		} else {
			r = mount_cgroup_v1(m, rootfd, target,
					    bh_spec_namespace(spec, CLONE_NEWCGROUP) != NULL, err);
		}
	} else {
		const char *type = m->type ? m->type : "none";
		int below = -1;
		if (!strcmp(type, "tmpfs") && has_option(m, "tmpcopyup"))
			below = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (below >= 0) {
			r = mount(m->source ? m->source : type, target, type,
				  m->flags & ~(MS_REC | MS_RDONLY), m->data);
			int e = errno;
			int above = r == 0 ? mounts_open_in_root(rootfd, m->destination, false, false, err) : -1;
			char ap[64];
			fd_path(above, ap, sizeof(ap));
			int dfd = above >= 0 ? open(ap, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
			int cr = dfd >= 0 ? copy_tree(below, dfd, 0) : 0;
			if (dfd >= 0)
				close(dfd);
			if (above >= 0 && (m->flags & MS_RDONLY))
				mount(NULL, ap, NULL, MS_REMOUNT | MS_RDONLY | (m->flags & ~MS_REC), m->data);
			if (above >= 0)
				close(above);
			close(below);
			if (r < 0)
				return bh_error_set(err, e, "mount tmpfs on %s", m->destination);
			if (cr < 0)
				return bh_error_set(err, -cr, "tmpcopyup %s", m->destination);
			r = 0;
		} else if (mount(m->source ? m->source : type, target, type,
			  m->flags & ~MS_REC, m->data) < 0) {
			int e = errno;
			/* sysfs needs a network namespace we own; fall back to
			 * a read-only rbind like runc. */
			if (!strcmp(type, "sysfs") && (e == EPERM || e == EBUSY)) {
				if (mount("/sys", target, NULL, MS_BIND | MS_REC, NULL) == 0) {
					mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY |
					      locked_flags(target), NULL);
					return 0;
				}
			}
			r = bh_error_set(err, e, "mount %s (%s) on %s",
					 m->source ? m->source : type, type, m->destination);
		}
	}
	if (r < 0 || (!bind && !m->propagation))
		return r;
	/* Our O_PATH fd still points below the new mount: reopen to reach it. */
	close(fd);
	fd = mounts_open_in_root(rootfd, m->destination, false, false, err);
	if (fd < 0)
		return bh_error_wrap(err, "mount %s", m->destination);
	fd_path(fd, target, sizeof(target));
	if (bind && (r = mount_bind_remount(m, target, in_userns, err)) < 0)
		return r;
	if (m->propagation && mount(NULL, target, NULL, m->propagation, NULL) < 0)
		return bh_error_set(err, errno, "set propagation of %s", m->destination);
	return 0;
}

int mounts_apply(const struct bh_spec *spec, bool in_userns,
		 const struct cgroup_gate *gate, struct bh_error *err)
{
	_cleanup_close_ int rootfd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return bh_error_set(err, errno, "root.path %s", spec->root_path);
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const char *t = spec->mounts[i].type;
		if (gate && t && (!strcmp(t, "cgroup") || !strcmp(t, "cgroup2"))) {
			int gr = gate->fn(gate->arg, err);
			if (gr < 0)
				return gr;
		}
		int r = mount_one(spec, &spec->mounts[i], rootfd, in_userns, err);
		if (r < 0)
			return r;
	}
	return 0;
}
