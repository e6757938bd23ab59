/* start, kill, delete, pause, resume, update and ps on an existing
 * container, each under the container's lock. */
#include "container/rt_internal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/cgroup.h"
#include "util/cleanup.h"
#include "util/log.h"

/* A pidfd for the init, only if it is still the process we started. */
static int init_pidfd(const struct bh_state *st)
{
	if (st->pid <= 0)
		return -ESRCH;
	int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (fd < 0)
		return -errno;
	unsigned long long start;
	char sc;
	if (proc_start_time(st->pid, &start, &sc) < 0 || start != st->start_time) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static int open_locked(const char *root, const char *id, struct bh_state_dir *sd,
		       struct bh_state **st, struct bh_error *err)
{
	int r = state_dir_open(root, id, false, sd, err);
	if (r < 0)
		return r;
	if ((r = state_read(sd, id, st, err)) < 0)
		state_dir_close(sd);
	return r;
}

/* Load the spec saved at create (for poststart/poststop hooks). */
static struct bh_spec *saved_spec(struct bh_state_dir *sd, const struct bh_state *st)
{
	int fd = openat(sd->fd, "config.json", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat sb;
	char *buf = NULL;
	if (fstat(fd, &sb) == 0 && sb.st_size > 0 && sb.st_size < (64 << 20))
		buf = malloc((size_t)sb.st_size + 1);
	ssize_t n = buf ? read(fd, buf, (size_t)sb.st_size) : -1;
	close(fd);
	if (n != (ssize_t)sb.st_size) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	struct bh_spec *spec = NULL;
	struct bh_error e;
	if (bh_spec_parse(buf, (size_t)n, st->bundle && *st->bundle ? st->bundle : NULL,
			  &spec, &e) < 0)
		spec = NULL;
	free(buf);
	return spec;
}

int bh_container_load_spec(const char *root, const char *id, struct bh_spec **out,
			   struct bh_state **stout, struct bh_error *err)
{
	struct bh_state_dir sd;
	struct bh_state *st;
	int r = open_locked(root, id, &sd, &st, err);
	if (r < 0)
		return r;
	*out = saved_spec(&sd, st);
	state_dir_close(&sd);
	if (!*out) {
		bh_state_free(st);
		return bh_error_setx(err, ENOENT, "container %s: no saved config.json", id);
	}
	*stout = st;
	return 0;
}

int bh_container_start(const char *root, const char *id, struct bh_error *err)
{
	struct bh_state_dir sd;
	struct bh_state *st;
	_cleanup_close_ int pfd = -1, ff = -1;
	int r = open_locked(root, id, &sd, &st, err);
	if (r < 0)
		return r;
	if (st->status != BH_STATUS_CREATED) {
		r = bh_error_setx(err, EINVAL,
				  st->status == BH_STATUS_STOPPED ?
				  "cannot start a container that has stopped" :
				  "cannot start a container in the %s state",
				  bh_status_name(st->status));
		goto out;
	}
	pfd = init_pidfd(st);
	ff = openat(sd.fd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (ff < 0) {
		r = bh_error_set(err, errno, "open exec fifo");
		goto out;
	}
	/* The init writes one byte once it has opened the fifo; a dead init
	 * shows up on its pidfd instead. */
	struct pollfd p[2] = { { .fd = ff, .events = POLLIN }, { .fd = pfd, .events = POLLIN } };
	char b = 0;
	for (;;) {
		int pr = poll(p, pfd >= 0 ? 2 : 1, -1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			r = bh_error_set(err, errno, "poll exec fifo");
			goto out;
		}
		if (p[0].revents & POLLIN) {
			if (read(ff, &b, 1) == 1)
				break;
		}
		if ((p[0].revents & POLLHUP) || (pfd >= 0 && (p[1].revents & POLLIN))) {
			if (read(ff, &b, 1) == 1)
				break;
			r = bh_error_setx(err, ESRCH, "container init exited before start");
			goto out;
		}
	}
	unlinkat(sd.fd, "exec.fifo", 0);
	st->status = BH_STATUS_RUNNING;
	/* Parse the saved config only when there are hooks to run. */
	struct bh_spec *spec = NULL;
	if (st->hooks & BH_HOOKS_POSTSTART)
		spec = saved_spec(&sd, st);
	if (spec && spec->hooks.poststart.n) {
		_cleanup_free_ char *js = state_json_for_hooks(st);
		struct bh_error he;
		if (js && hooks_run(&spec->hooks.poststart, "poststart", js, &he) < 0)
			bh_log_warn("start: %s", he.msg);
	}
	bh_spec_free(spec);
out:
	bh_state_free(st);
	state_dir_close(&sd);
	return r;
}

int bh_container_kill(const char *root, const char *id, int sig, bool all,
		      struct bh_error *err)
{
	struct bh_state_dir sd;
	struct bh_state *st;
	_cleanup_close_ int pfd = -1;
	int r = open_locked(root, id, &sd, &st, err);
	if (r < 0)
		return r;
	if (all && st->cgroup_path) {
		struct bh_cgroup *cg = NULL;
		if ((r = bh_cgroup_open(st->cgroup_path, &cg, err)) == 0) {
			r = bh_cgroup_kill(cg, sig, err);
			bh_cgroup_free(cg);
		}
		goto out;
	}
	if (st->status == BH_STATUS_STOPPED) {
		r = bh_error_setx(err, ESRCH, "container not running");
		goto out;
	}
	pfd = init_pidfd(st);
	if (pfd < 0) {
		r = bh_error_setx(err, ESRCH, "container not running");
		goto out;
	}
	if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
		r = bh_error_set(err, errno, "kill %d with signal %d", st->pid, sig);
out:
	bh_state_free(st);
	state_dir_close(&sd);
	return r;
}

/* SIGKILL the init and wait until it is gone (it is not our child). */
static void kill_and_wait(const struct bh_state *st, struct bh_cgroup *cg)
{
	int pfd = init_pidfd(st);
	if (cg) {
		bool frozen = false;
		bh_cgroup_kill(cg, SIGKILL, NULL);
		if (bh_cgroup_is_frozen(cg, &frozen, NULL) == 0 && frozen)
			bh_cgroup_freeze(cg, false, NULL);
	}
	if (pfd < 0)
		return;
	syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
	struct pollfd p = { .fd = pfd, .events = POLLIN };
	while (poll(&p, 1, 10000) < 0 && errno == EINTR)
		;
	/* Reap it if it happens to be our child (run). */
	waitpid(st->pid, NULL, WNOHANG);
	close(pfd);
}

int bh_container_delete(const char *root, const char *id, bool force,
			struct bh_error *err)
{
	struct bh_state_dir sd;
	struct bh_state *st = NULL;
	int r = state_dir_open(root, id, false, &sd, err);
	if (r < 0) {
		if (force && r == -ENOENT) {
			bh_error_clear(err);
			return 0;
		}
		return r;
	}
	r = state_read(&sd, id, &st, err);
	if (r < 0) {
		/* A create killed before its first state write. */
		if (force || r == -ENOENT) {
			bh_error_clear(err);
			r = state_dir_remove(&sd, err);
		}
		state_dir_close(&sd);
		return r;
	}
	if (!force && (st->status == BH_STATUS_RUNNING || st->status == BH_STATUS_PAUSED ||
		       st->status == BH_STATUS_CREATING)) {
		r = bh_error_setx(err, EBUSY, "cannot delete container %s that is not stopped: %s",
				  id, bh_status_name(st->status));
		goto out;
	}
	struct bh_cgroup *cg = NULL;
	if (st->cgroup_path && bh_cgroup_open(st->cgroup_path, &cg, NULL) < 0)
		cg = NULL;
	if (st->status != BH_STATUS_STOPPED)
		kill_and_wait(st, cg);
	else if (cg)
		bh_cgroup_kill(cg, SIGKILL, NULL);
	if (cg) {
		struct bh_error ce;
		if (bh_cgroup_destroy(cg, &ce) < 0)
			bh_log_warn("delete %s: %s", id, ce.msg);
		bh_cgroup_free(cg);
	}
	struct bh_spec *spec = (st->hooks & BH_HOOKS_POSTSTOP) ? saved_spec(&sd, st) : NULL;
	r = state_dir_remove(&sd, err);
	if (spec && spec->hooks.poststop.n) {
		st->status = BH_STATUS_STOPPED;
		_cleanup_free_ char *js = state_json_for_hooks(st);
		struct bh_error he;
		if (js && hooks_run(&spec->hooks.poststop, "poststop", js, &he) < 0)
			bh_log_warn("delete: %s", he.msg);
	}
	bh_spec_free(spec);
out:
	bh_state_free(st);
	state_dir_close(&sd);
	return r;
}

static int with_cgroup(const char *root, const char *id, struct bh_state **stp,
		       struct bh_cgroup **cg, struct bh_error *err)
{
	struct bh_state_dir sd;
	int r = open_locked(root, id, &sd, stp, err);
	if (r < 0)
		return r;
	state_dir_close(&sd);
	if (!(*stp)->cgroup_path) {
		bh_state_free(*stp);
		return bh_error_setx(err, ENOENT, "container %s has no cgroup", id);
	}
	if ((r = bh_cgroup_open((*stp)->cgroup_path, cg, err)) < 0)
		bh_state_free(*stp);
	return r;
}

static int freeze(const char *root, const char *id, bool on, struct bh_error *err)
{
	struct bh_state *st;
	struct bh_cgroup *cg;
	int r = with_cgroup(root, id, &st, &cg, err);
	if (r < 0)
		return r;
	if (on && st->status != BH_STATUS_RUNNING)
		r = bh_error_setx(err, EINVAL, "container %s is not running", id);
	else if (!on && st->status != BH_STATUS_PAUSED)
		r = bh_error_setx(err, EINVAL, "container %s is not paused", id);
	else
		r = bh_cgroup_freeze(cg, on, err);
	bh_cgroup_free(cg);
	bh_state_free(st);
	return r;
}

int bh_container_pause(const char *root, const char *id, struct bh_error *err)
{
	return freeze(root, id, true, err);
}

int bh_container_resume(const char *root, const char *id, struct bh_error *err)
{
	return freeze(root, id, false, err);
}

int bh_container_update(const char *root, const char *id,
			const struct bh_spec_resources *res, struct bh_error *err)
{
	struct bh_state *st;
	struct bh_cgroup *cg;
	int r = with_cgroup(root, id, &st, &cg, err);
	if (r < 0)
		return r;
	if (st->status == BH_STATUS_STOPPED)
		r = bh_error_setx(err, EINVAL, "container %s is stopped", id);
	else
		r = bh_cgroup_update(cg, res, err);
	bh_cgroup_free(cg);
	bh_state_free(st);
	return r;
}

int bh_container_pids(const char *root, const char *id, pid_t **pids, size_t *n,
		      struct bh_error *err)
{
	struct bh_state *st;
	struct bh_cgroup *cg;
	int r = with_cgroup(root, id, &st, &cg, err);
	if (r < 0)
		return r;
	r = bh_cgroup_pids(cg, pids, n, err);
	bh_cgroup_free(cg);
	bh_state_free(st);
	return r;
}
