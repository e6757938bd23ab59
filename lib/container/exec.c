/* exec: a new process in a running container.  We join the init's pid
 * namespace for our children only, fork, and the child joins the rest of
 * its namespaces (through a pidfd), the cgroup, and applies the process's
 * security settings.  A close-on-exec pipe reports setup errors. */
#include "container/rt_internal.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/cgroup.h"
#include "util/cleanup.h"

static const struct {
	int flag;
	const char *name;
} ns_files[] = {
	{ CLONE_NEWUSER, "user" }, { CLONE_NEWNS, "mnt" }, { CLONE_NEWNET, "net" },
	{ CLONE_NEWUTS, "uts" }, { CLONE_NEWIPC, "ipc" }, { CLONE_NEWCGROUP, "cgroup" },
	{ CLONE_NEWPID, "pid" }, { 0x00000080 /* CLONE_NEWTIME */, "time" },
};

/* The namespaces of pid that differ from ours. */
static int ns_differing(pid_t pid)
{
	int flags = 0;
	for (size_t i = 0; i < sizeof(ns_files) / sizeof(ns_files[0]); i++) {
		char a[64], b[64];
		struct stat sa, sb;
		snprintf(a, sizeof(a), "/proc/self/ns/%s", ns_files[i].name);
		snprintf(b, sizeof(b), "/proc/%d/ns/%s", (int)pid, ns_files[i].name);
		if (stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
		    (sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev))
			flags |= ns_files[i].flag;
	}
	return flags;
}

static void exec_child(int errfd, int pidfd, int nsflags, struct bh_cgroup *cg,
		       int console_fd, const struct bh_spec_process *p,
		       const struct bh_filter *filter, const struct bh_exec_opts *o)
{
	struct bh_error err = { 0 };
	char *exe = NULL;
	bool in_userns = nsflags & CLONE_NEWUSER;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (cg && bh_cgroup_enter(cg, getpid(), &err) < 0)
		goto fail;
	if (setns(pidfd, nsflags & ~CLONE_NEWPID) < 0) {
		bh_error_set(&err, errno, "join the container's namespaces");
		goto fail;
	}
	if (in_userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		/* 0 unmapped: keep going as whoever we are */
	}
	if (chdir("/") < 0) {
		bh_error_set(&err, errno, "chdir /");
		goto fail;
	}
	if (p->user.umask != BH_UNSET)
		umask((mode_t)p->user.umask);
	if (console_fd >= 0) {
		if (console_setup(console_fd, p, &err) < 0)
			goto fail;
		close(console_fd);
	}
	if (process_find_exec(p, &exe, &err) < 0 || process_rlimits(p, &err) < 0 ||
	    process_security(p, filter, in_userns, &err) < 0)
		goto fail;
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	process_close_fds(o ? o->preserve_fds : 0);
	execve(exe, p->args, p->env);
	bh_error_set(&err, errno, "exec %s", exe);
fail:
	if (write(errfd, err.msg, strlen(err.msg) + 1) < 0)
		_exit(126);
	_exit(126);
}

int bh_container_exec(const char *root, const char *id,
		      const struct bh_spec_process *proc,
		      const struct bh_exec_opts *opts, pid_t *pid_out,
		      struct bh_error *err)
{
	struct bh_spec *spec = NULL;
	struct bh_state *st = NULL;
	struct bh_cgroup *cg = NULL;
	struct bh_filter filter = { 0 };
	int r, errp[2] = { -1, -1 }, console_fd = -1, pidfd = -1, self_pidns = -1;

	if ((r = bh_container_load_spec(root, id, &spec, &st, err)) < 0)
		return r;
	if (st->status == BH_STATUS_STOPPED || st->status == BH_STATUS_CREATING) {
		r = bh_error_setx(err, EINVAL, "cannot exec in a %s container",
				  bh_status_name(st->status));
		goto out;
	}
	if (st->status == BH_STATUS_PAUSED) {
		r = bh_error_setx(err, EINVAL, "cannot exec in a paused container");
		goto out;
	}
	if (!proc->args || !proc->args[0]) {
		r = bh_error_setx(err, EINVAL, "exec: no command");
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	unsigned long long start;
	if (pidfd < 0 || proc_start_time(st->pid, &start, NULL) < 0 ||
	    start != st->start_time) {
		r = bh_error_setx(err, ESRCH, "container %s is not running", id);
		goto out;
	}
	if (st->cgroup_path && (r = bh_cgroup_open(st->cgroup_path, &cg, err)) < 0)
		goto out;
	if (proc->terminal && opts && opts->has_console_fd) {
		console_fd = fcntl(opts->console_fd, F_DUPFD_CLOEXEC, 3);
		if (console_fd < 0) {
			r = bh_error_set(err, errno, "console fd");
			goto out;
		}
	} else if (proc->terminal && opts && opts->console_socket &&
		   (console_fd = r = console_connect(opts->console_socket, err)) < 0) {
		goto out;
	}
	if ((r = filter_prepare(spec->linux.seccomp, root, &filter, err)) < 0)
		goto out;
	int nsflags = ns_differing(st->pid);
	if (pipe2(errp, O_CLOEXEC) < 0) {
		r = bh_error_set(err, errno, "pipe");
		goto out;
	}
	if (nsflags & CLONE_NEWPID) {
		self_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (self_pidns < 0 || setns(pidfd, CLONE_NEWPID) < 0) {
			r = bh_error_set(err, errno, "join the pid namespace of %d", st->pid);
			goto out;
		}
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(errp[0]);
		exec_child(errp[1], pidfd, nsflags, cg, console_fd, proc, &filter, opts);
	}
	int fork_errno = errno;
	if (self_pidns >= 0)
		setns(self_pidns, CLONE_NEWPID);
	if (pid < 0) {
		r = bh_error_set(err, fork_errno, "fork");
		goto out;
	}
	close(errp[1]);
	errp[1] = -1;
	char msg[BH_ERROR_MAX];
	ssize_t n;
	do
		n = read(errp[0], msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		msg[n] = '\0';
		waitpid(pid, NULL, 0);
		r = bh_error_setx(err, EINVAL, "%s", msg);
		goto out;
	}
	*pid_out = pid;
	r = 0;
out:
	if (self_pidns >= 0)
		close(self_pidns);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (console_fd >= 0)
		close(console_fd);
	if (pidfd >= 0)
		close(pidfd);
	filter_free(&filter);
	bh_cgroup_free(cg);
	bh_spec_free(spec);
	bh_state_free(st);
	return r;
}
