/* Namespaces: which to create, joining existing ones by path (user first),
 * and the uid/gid maps the parent writes for a new user namespace. */
#include "container/rt_internal.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

unsigned long ns_new_flags(const struct bh_spec *spec)
{
	unsigned long f = 0;
	for (size_t i = 0; i < spec->linux.n_namespaces; i++)
		if (!spec->linux.namespaces[i].path)
			f |= (unsigned long)spec->linux.namespaces[i].type;
	return f;
}

static const char *ns_name(int type)
{
	switch (type) {
	case CLONE_NEWUSER: return "user";
	case CLONE_NEWPID: return "pid";
	case CLONE_NEWNS: return "mount";
	case CLONE_NEWNET: return "network";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWCGROUP: return "cgroup";
	case CLONE_NEWTIME: return "time";
	default: return "unknown";
	}
}

static int ns_join_one(const struct bh_spec_namespace *ns, struct bh_error *err)
{
	_cleanup_close_ int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bh_error_set(err, errno, "open %s namespace %s",
				    ns_name(ns->type), ns->path);
	if (setns(fd, ns->type) < 0)
		return bh_error_set(err, errno, "join %s namespace %s",
				    ns_name(ns->type), ns->path);
	return 0;
}

/* pid namespaces are joined by the parent before the clone. */
int ns_join_all(const struct bh_spec *spec, struct bh_error *err)
{
	const struct bh_spec_linux *l = &spec->linux;
	int r;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < l->n_namespaces; i++) {
			const struct bh_spec_namespace *ns = &l->namespaces[i];
			if (!ns->path || ns->type == CLONE_NEWPID)
				continue;
			if ((pass == 0) != (ns->type == CLONE_NEWUSER))
				continue;
			if ((r = ns_join_one(ns, err)) < 0)
				return r;
		}
	}
	return 0;
}

static int write_proc_file(pid_t pid, const char *name, const char *data,
			   struct bh_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return bh_error_set(err, errno, "open %s", path);
	size_t len = strlen(data);
	if (write(fd, data, len) != (ssize_t)len)
		return bh_error_set(err, errno, "write %s (\"%s\")", path, data);
	return 0;
}

static int format_map(const struct bh_spec_idmap *m, size_t n, char *buf,
		      size_t sz)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + off, sz - off, "%u %u %u\n",
				 m[i].container_id, m[i].host_id, m[i].size);
		if (w < 0 || (size_t)w >= sz - off)
			return -E2BIG;
		off += (size_t)w;
	}
	return 0;
}

int userns_write_maps(pid_t pid, const struct bh_spec *spec, struct bh_error *err)
{
	const struct bh_spec_linux *l = &spec->linux;
	char buf[4096];
	int r;
	if (l->n_uid_mappings == 0 || l->n_gid_mappings == 0)
		return bh_error_setx(err, EINVAL,
				     "linux.uidMappings and linux.gidMappings are required with a new user namespace");
	/* An unprivileged writer may only map its own gid, after denying
	 * setgroups; root keeps setgroups usable. */
	if (geteuid() != 0 &&
	    (r = write_proc_file(pid, "setgroups", "deny", err)) < 0)
		return r;
	if (format_map(l->uid_mappings, l->n_uid_mappings, buf, sizeof(buf)) < 0)
		return bh_error_setx(err, E2BIG, "linux.uidMappings: too many entries");
	if ((r = write_proc_file(pid, "uid_map", buf, err)) < 0)
		return r;
	if (format_map(l->gid_mappings, l->n_gid_mappings, buf, sizeof(buf)) < 0)
		return bh_error_setx(err, E2BIG, "linux.gidMappings: too many entries");
	return write_proc_file(pid, "gid_map", buf, err);
}

int ns_loopback_up(struct bh_error *err)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return bh_error_set(err, errno, "loopback: socket");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return bh_error_set(err, errno, "loopback: get lo flags");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return bh_error_set(err, errno, "loopback: bring lo up");
	return 0;
}
