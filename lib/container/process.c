/* The process part of the container init (also used by exec): rlimits,
 * sysctls, user, capabilities, no_new_privs and seccomp in runc's order. */
#include "container/rt_internal.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container/caps.h"
#include "util/cleanup.h"

static const char *rlimit_names[] = {
	[RLIMIT_CPU] = "RLIMIT_CPU", [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
	[RLIMIT_DATA] = "RLIMIT_DATA", [RLIMIT_STACK] = "RLIMIT_STACK",
	[RLIMIT_CORE] = "RLIMIT_CORE", [RLIMIT_RSS] = "RLIMIT_RSS",
	[RLIMIT_NPROC] = "RLIMIT_NPROC", [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
	[RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK", [RLIMIT_AS] = "RLIMIT_AS",
	[RLIMIT_LOCKS] = "RLIMIT_LOCKS", [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
	[RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
	[RLIMIT_RTPRIO] = "RLIMIT_RTPRIO", [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};

static const char *rlimit_name(int r)
{
	if (r >= 0 && r < (int)(sizeof(rlimit_names) / sizeof(rlimit_names[0])) &&
	    rlimit_names[r])
		return rlimit_names[r];
	return "RLIMIT_?";
}

int process_rlimits(const struct bh_spec_process *p, struct bh_error *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct bh_spec_rlimit *rl = &p->rlimits[i];
		struct rlimit want = { .rlim_cur = rl->soft, .rlim_max = rl->hard };
		if (rl->soft > rl->hard)
			return bh_error_setx(err, EINVAL,
					     "process.rlimits: %s: soft limit %llu is above the hard limit %llu",
					     rlimit_name(rl->resource),
					     (unsigned long long)rl->soft,
					     (unsigned long long)rl->hard);
		if (setrlimit((__rlimit_resource_t)rl->resource, &want) < 0) {
			int e = errno;
			struct rlimit cur;
			getrlimit((__rlimit_resource_t)rl->resource, &cur);
			if (e == EPERM && rl->hard > cur.rlim_max)
				return bh_error_set(err, e,
						    "process.rlimits: %s: cannot raise the hard limit from %llu to %llu (needs CAP_SYS_RESOURCE)",
						    rlimit_name(rl->resource),
						    (unsigned long long)cur.rlim_max,
						    (unsigned long long)rl->hard);
			return bh_error_set(err, e, "process.rlimits: setrlimit %s",
					    rlimit_name(rl->resource));
		}
	}
	return 0;
}

int process_oom_score_adj(pid_t pid, int64_t v, struct bh_error *err)
{
	if (v == BH_UNSET)
		return 0;
	char path[64], buf[32], cur[32] = "";
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return bh_error_set(err, errno, "open %s", path);
	int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
	ssize_t rn = read(fd, cur, sizeof(cur) - 1);
	if (rn > 0 && atoll(cur) == v)
		return 0;
	if (pwrite(fd, buf, (size_t)n, 0) != n)
		return bh_error_set(err, errno, "process.oomScoreAdj: write %s to %s",
				    buf, path);
	return 0;
}

/* Namespaced sysctls only, and only when the namespace is not the host's. */
int process_sysctl(const struct bh_spec *spec, struct bh_error *err)
{
	for (size_t i = 0; i < spec->linux.n_sysctl; i++) {
		const char *k = spec->linux.sysctl[i].key;
		const char *v = spec->linux.sysctl[i].value;
		int ns = 0;
		if (!strncmp(k, "kernel.shm", 10) || !strncmp(k, "kernel.msg", 10) ||
		    !strcmp(k, "kernel.sem") || !strncmp(k, "fs.mqueue.", 10))
			ns = CLONE_NEWIPC;
		else if (!strncmp(k, "net.", 4))
			ns = CLONE_NEWNET;
		else if (!strcmp(k, "kernel.hostname") || !strcmp(k, "kernel.domainname"))
			ns = CLONE_NEWUTS;
		if (!ns || !bh_spec_namespace(spec, ns))
			return bh_error_setx(err, EPERM,
					     "linux.sysctl: %s is not in a separate kernel namespace",
					     k);
		char path[512];
		int n = snprintf(path, sizeof(path), "/proc/sys/%s", k);
		if (n < 0 || (size_t)n >= sizeof(path) || strstr(k, ".."))
			return bh_error_setx(err, EINVAL, "linux.sysctl: bad key %s", k);
		for (char *c = path + 10; *c; c++)
			if (*c == '.')
				*c = '/';
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return bh_error_set(err, errno, "linux.sysctl: open %s", path);
		size_t len = strlen(v);
		if (write(fd, v, len) != (ssize_t)len)
			return bh_error_set(err, errno, "linux.sysctl: write %s=%s", k, v);
	}
	return 0;
}

static const char *env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);
	for (; env && *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

int process_find_exec(const struct bh_spec_process *p, char **out,
		      struct bh_error *err)
{
	const char *a0 = p->args[0];
	if (strchr(a0, '/')) {
		struct stat sb;
		if (stat(a0, &sb) < 0)
			return bh_error_set(err, errno, "exec: \"%s\"", a0);
		if (S_ISDIR(sb.st_mode))
			return bh_error_setx(err, EACCES, "exec: \"%s\": is a directory", a0);
		*out = strdup(a0);
		return *out ? 0 : -ENOMEM;
	}
	const char *path = env_get(p->env, "PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char buf[4096];
	const char *s = path;
	while (*s || s == path) {
		const char *e = strchrnul(s, ':');
		int n = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(e - s), s,
				 e == s ? "." : "", "");
		if (n > 0 && (size_t)n < sizeof(buf) - 2) {
			snprintf(buf + n, sizeof(buf) - (size_t)n, "/%s", a0);
			struct stat sb;
			if (stat(buf, &sb) == 0 && S_ISREG(sb.st_mode) &&
			    (sb.st_mode & 0111)) {
				*out = strdup(buf);
				return *out ? 0 : -ENOMEM;
			}
		}
		if (!*e)
			break;
		s = e + 1;
	}
	return bh_error_setx(err, ENOENT,
			     "exec: \"%s\": executable file not found in $PATH", a0);
}

int process_setup_early(const struct bh_spec_process *p, struct bh_error *err)
{
	if (p->user.umask != BH_UNSET)
		umask((mode_t)p->user.umask);
	else
		umask(022);
	/* runc creates a missing cwd. */
	if (p->cwd && p->cwd[0] == '/') {
		char buf[4096];
		snprintf(buf, sizeof(buf), "%s", p->cwd);
		for (char *c = buf + 1; ; c++) {
			if (*c == '/' || !*c) {
				char s = *c;
				*c = '\0';
				if (mkdir(buf, 0755) < 0 && errno != EEXIST)
					return bh_error_set(err, errno, "create cwd %s", p->cwd);
				*c = s;
				if (!s)
					break;
			}
		}
	}
	return 0;
}

static int process_user(const struct bh_spec_process *p, bool in_userns,
			struct bh_error *err)
{
	const struct bh_spec_user *u = &p->user;
	if (setgroups(u->n_additional_gids, u->additional_gids) < 0 &&
	    !(in_userns && errno == EPERM && u->n_additional_gids == 0))
		return bh_error_set(err, errno, "process.user: setgroups");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return bh_error_set(err, errno, "process.user: setgid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return bh_error_set(err, errno, "process.user: setuid %u", u->uid);
	return 0;
}

int process_security(const struct bh_spec_process *p,
		     const struct bh_filter *filter, bool in_userns,
		     struct bh_error *err)
{
	int r;
	/* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, so it
	 * goes in before the capabilities are dropped (as runc and crun do). */
	bool seccomp = filter && filter->present;
	if (seccomp && !p->no_new_privileges && (r = filter_load(filter, err)) < 0)
		return r;
	if (p->caps.present && (r = bh_caps_drop_bounding(p->caps.bounding, err)) < 0)
		return r;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return bh_error_set(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if ((r = process_user(p, in_userns, err)) < 0)
		return r;
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (p->cwd && chdir(p->cwd) < 0)
		return bh_error_set(err, errno, "process.cwd: chdir %s", p->cwd);
	if (p->caps.present && (r = bh_caps_apply(&p->caps, err)) < 0)
		return r;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return bh_error_set(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (seccomp && p->no_new_privileges && (r = filter_load(filter, err)) < 0)
		return r;
	return 0;
}

void process_close_fds(int preserve_fds)
{
	unsigned first = 3u + (unsigned)(preserve_fds > 0 ? preserve_fds : 0);
	if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	for (int fd = (int)first; fd < 1024; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}
