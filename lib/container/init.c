/* The container init: runs in the cloned child, sets the container up in
 * runc's order and blocks on the exec fifo until `start`, then execve. */
#include "container/init.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static void init_fail(struct init_ctx *c, struct bh_error *err)
{
	sync_send(c->sync_fd, SYNC_ERROR, err);
	_exit(1);
}

static int init_hooks_sync(struct init_ctx *c, char **state_json,
			   struct bh_error *err)
{
	struct sync_msg *m = malloc(sizeof(*m));
	if (!m)
		return bh_error_set(err, ENOMEM, "hooks");
	int r = sync_send(c->sync_fd, SYNC_HOOKS, NULL);
	if (r == 0)
		r = sync_recv(c->sync_fd, m);
	if (r < 0) {
		free(m);
		return bh_error_set(err, -r, "sync with the runtime");
	}
	bool done = m->type == SYNC_HOOKS_DONE;
	if (done)
		*state_json = strdup(m->msg);
	free(m);
	if (!done)
		_exit(1); /* the parent failed and reports it */
	return 0;
}

/* Wait for a message from the parent; SYNC_CGROUP may come in between. */
static int init_wait(struct init_ctx *c, int type, struct bh_error *err)
{
	for (;;) {
		struct {
			int type, code;
		} m;
		ssize_t n;
		do
			n = recv(c->sync_fd, &m, sizeof(m), MSG_TRUNC);
		while (n < 0 && errno == EINTR);
		if (n < (ssize_t)sizeof(m))
			return bh_error_set(err, EPIPE, "sync with the runtime");
		if (m.type == SYNC_CGROUP) {
			c->cgroup_entered = true;
			if (type == SYNC_CGROUP)
				return 0;
			continue;
		}
		if (m.type != type)
			_exit(1); /* the parent failed and reports it */
		return 0;
	}
}

/* The parent moves us into the cgroup while we set up the mounts (the
 * first cgroup.procs write costs an RCU grace period, ~10-20 ms); we wait
 * only where it matters: the cgroup namespace and cgroup mounts. */
static int init_cgroup_gate(void *arg, struct bh_error *err)
{
	struct init_ctx *c = arg;
	if (c->cgroup_done)
		return 0;
	if (!c->cgroup_entered && init_wait(c, SYNC_CGROUP, err) < 0)
		return -EPIPE;
	c->cgroup_entered = c->cgroup_done = true;
	if ((c->unshare_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		return bh_error_set(err, errno, "unshare the cgroup namespace");
	return 0;
}

static bool has_hooks(const struct bh_spec_hooks *h)
{
	return h->prestart.n || h->create_runtime.n || h->create_container.n ||
	       h->start_container.n;
}

static void become_root_in_userns(void)
{
	/* Fails harmlessly when 0 is not mapped. */
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return;
}

int init_main(struct init_ctx *c)
{
	const struct bh_spec *spec = c->spec;
	const struct bh_spec_process *p = spec->process;
	struct bh_error err = { 0 };
	char *state_json = NULL, *exe = NULL;
	int r;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* flock belongs to the file description we share with the parent:
	 * holding it would block every later verb. */
	close(c->lock_fds[0]);
	close(c->lock_fds[1]);
	prctl(PR_SET_NAME, "bulkhead:init", 0, 0, 0);
	if (sync_expect(c->sync_fd, SYNC_GO, &err) < 0)
		_exit(1);
	if (c->clone_flags & CLONE_NEWUSER)
		become_root_in_userns();
	if ((r = ns_join_all(spec, &err)) < 0)
		init_fail(c, &err);
	unsigned long now = c->unshare_flags & ~(unsigned long)CLONE_NEWCGROUP;
	if (now && unshare((int)now) < 0) {
		bh_error_set(&err, errno, "unshare namespaces (flags 0x%lx)", now);
		init_fail(c, &err);
	}
	if (c->unshare_flags & CLONE_NEWUSER) {
		if (sync_send(c->sync_fd, SYNC_USERNS, NULL) < 0 ||
		    init_wait(c, SYNC_GO, &err) < 0)
			_exit(1);
		become_root_in_userns();
	}
	if (c->unshare_flags & CLONE_NEWTIME) {
		/* unshare(CLONE_NEWTIME) only affects children: move in. */
		_cleanup_close_ int tfd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
		if (tfd < 0 || setns(tfd, CLONE_NEWTIME) < 0) {
			bh_error_set(&err, errno, "enter the new time namespace");
			init_fail(c, &err);
		}
	}
	if ((c->clone_flags | c->unshare_flags) & CLONE_NEWNET &&
	    (r = ns_loopback_up(&err)) < 0)
		init_fail(c, &err);
	if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
		bh_error_set(&err, errno, "sethostname %s", spec->hostname);
		init_fail(c, &err);
	}
	if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0) {
		bh_error_set(&err, errno, "setdomainname %s", spec->domainname);
		init_fail(c, &err);
	}
	struct cgroup_gate gate = { .fn = init_cgroup_gate, .arg = c };
	if ((r = rootfs_prepare(spec, c->in_userns, &gate, &err)) < 0)
		init_fail(c, &err);
	if ((r = init_cgroup_gate(c, &err)) < 0)
		init_fail(c, &err);
	if (has_hooks(&spec->hooks)) {
		if ((r = init_hooks_sync(c, &state_json, &err)) < 0)
			init_fail(c, &err);
		if ((r = hooks_run(&spec->hooks.create_container, "createContainer",
				   state_json, &err)) < 0)
			init_fail(c, &err);
	}
	if ((r = rootfs_pivot(spec, c->no_pivot, &err)) < 0)
		init_fail(c, &err);
	if ((r = process_sysctl(spec, &err)) < 0)
		init_fail(c, &err);
	if ((r = rootfs_finish(spec, &err)) < 0)
		init_fail(c, &err);
	if ((r = process_setup_early(p, &err)) < 0)
		init_fail(c, &err);
	if (c->console_fd >= 0) {
		if ((r = console_setup(c->console_fd, p, &err)) < 0)
			init_fail(c, &err);
		close(c->console_fd);
	}
	/* A session keyring of its own, so keys are not shared with the host
	 * session (runc does the same unless --no-new-keyring). */
	if (!c->no_new_keyring &&
	    syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, c->id) < 0 &&
	    errno != ENOSYS && errno != EDQUOT && errno != EACCES) {
		bh_error_set(&err, errno, "join a new session keyring");
		init_fail(c, &err);
	}
	if ((r = process_find_exec(p, &exe, &err)) < 0)
		init_fail(c, &err);
	if ((r = process_rlimits(p, &err)) < 0)
		init_fail(c, &err);
	if ((r = process_security(p, &c->filter, c->in_userns, &err)) < 0)
		init_fail(c, &err);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (sync_send(c->sync_fd, SYNC_READY, NULL) < 0)
		_exit(1);
	close(c->sync_fd);

	/* Blocks until `start` opens the fifo for reading. */
	int ff = openat(c->state_dirfd, "exec.fifo", O_WRONLY | O_CLOEXEC);
	if (ff < 0) {
		dprintf(2, "bulkhead: init: open exec fifo: %s\n", strerror(errno));
		_exit(127);
	}
	if (write(ff, "0", 1) != 1)
		_exit(127);
	close(ff);
	close(c->state_dirfd);
	if (state_json && spec->hooks.start_container.n &&
	    hooks_run(&spec->hooks.start_container, "startContainer", state_json, &err) < 0) {
		dprintf(2, "bulkhead: %s\n", err.msg);
		_exit(127);
	}
	process_close_fds(c->preserve_fds);
	execve(exe, p->args, p->env);
	dprintf(2, "bulkhead: exec %s: %s\n", exe, strerror(errno));
	_exit(127);
}
