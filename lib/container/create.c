/* create: the parent side.  State dir first (so a killed create can be
 * cleaned up by delete --force), then cgroup, fifo, clone of the init,
 * uid/gid maps, cgroup entry, hooks, and the wait for the init's READY. */
#include "container/init.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/cgroup.h"
#include "util/cleanup.h"
#include "util/log.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int state_fill(struct bh_state *st, const struct bh_spec *spec,
		      const char *id)
{
	st->oci_version = strdup(spec->oci_version ? spec->oci_version : "1.0.2");
	st->id = strdup(id);
	st->bundle = strdup(spec->bundle ? spec->bundle : "");
	st->rootfs = strdup(spec->root_path);
	st->created = state_now_rfc3339();
	st->owner = strdup("");
	st->creating = true;
	st->status = BH_STATUS_CREATING;
	st->hooks = (spec->hooks.poststart.n ? BH_HOOKS_POSTSTART : 0) |
		    (spec->hooks.poststop.n ? BH_HOOKS_POSTSTOP : 0);
	if (spec->n_annotations) {
		st->annot_keys = calloc(spec->n_annotations, sizeof(char *));
		st->annot_values = calloc(spec->n_annotations, sizeof(char *));
		if (!st->annot_keys || !st->annot_values)
			return -ENOMEM;
		for (size_t i = 0; i < spec->n_annotations; i++) {
			st->annot_keys[i] = strdup(spec->annotations[i].key);
			st->annot_values[i] = strdup(spec->annotations[i].value);
			st->n_annotations++;
		}
	}
	if (!st->oci_version || !st->id || !st->bundle || !st->rootfs ||
	    !st->created || !st->owner)
		return -ENOMEM;
	return 0;
}

/* Run prestart and createRuntime hooks; reply with the state JSON. */
static int create_hooks(const struct bh_spec *spec, struct bh_state *st,
			int sync_fd, struct bh_error *err)
{
	_cleanup_free_ char *js = state_json_for_hooks(st);
	if (!js)
		return bh_error_set(err, ENOMEM, "state JSON");
	int r = hooks_run(&spec->hooks.prestart, "prestart", js, err);
	if (r == 0)
		r = hooks_run(&spec->hooks.create_runtime, "createRuntime", js, err);
	if (r < 0)
		return r;
	if ((r = sync_send_text(sync_fd, SYNC_HOOKS_DONE, js)) < 0)
		return bh_error_set(err, -r, "sync with the container init");
	return 0;
}

/* Talk to the init until it is READY (blocked on the exec fifo). */
static int create_sync_loop(const struct bh_spec *spec, struct bh_state *st,
			    int sync_fd, struct bh_error *err)
{
	struct sync_msg *m = malloc(sizeof(*m));
	int r = 0;
	if (!m)
		return bh_error_set(err, ENOMEM, "sync");
	for (;;) {
		r = sync_recv(sync_fd, m);
		if (r < 0) {
			r = bh_error_set(err, -r, "container init exited during setup");
			break;
		}
		if (m->type == SYNC_READY)
			break;
		if (m->type == SYNC_ERROR) {
			r = bh_error_setx(err, m->code > 0 ? m->code : EINVAL, "%s", m->msg);
			break;
		}
		if (m->type == SYNC_USERNS) {
			if ((r = userns_write_maps(st->pid, spec, err)) < 0 ||
			    (r = sync_send(sync_fd, SYNC_GO, NULL)) < 0)
				break;
		} else if (m->type == SYNC_HOOKS) {
			if ((r = create_hooks(spec, st, sync_fd, err)) < 0)
				break;
		} else {
			r = bh_error_setx(err, EPROTO, "unexpected message %d from the init", m->type);
			break;
		}
	}
	free(m);
	return r;
}

static pid_t create_clone(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
}

/* Joining a pid namespace affects our children only: join, clone, return. */
static int join_pid_ns(const struct bh_spec *spec, int *saved, struct bh_error *err)
{
	*saved = -1;
	const struct bh_spec_namespace *ns = bh_spec_namespace(spec, CLONE_NEWPID);
	if (!ns || !ns->path)
		return 0;
	_cleanup_close_ int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bh_error_set(err, errno, "open pid namespace %s", ns->path);
	*saved = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return bh_error_set(err, errno, "open /proc/self/ns/pid");
	if (setns(fd, CLONE_NEWPID) < 0)
		return bh_error_set(err, errno, "join pid namespace %s", ns->path);
	return 0;
}

int bh_container_create(const struct bh_spec *spec,
			const struct bh_create_opts *opts, pid_t *pid_out,
			struct bh_error *err)
{
	struct bh_state_dir sd = { .fd = -1, .root_fd = -1 };
	struct bh_state st;
	struct bh_cgroup *cg = NULL;
	int r, sv[2] = { -1, -1 }, console_fd = -1, saved_pidns = -1, fifo_dirfd = -1;
	pid_t pid = -1;
	struct init_ctx ctx;

	memset(&st, 0, sizeof(st));
	memset(&ctx, 0, sizeof(ctx));
	if ((r = bh_id_validate(opts->id, err)) < 0)
		return r;
	if (!spec->process)
		return bh_error_setx(err, EINVAL, "config.json: process is required");
	if (spec->process->terminal && !opts->console_socket && !opts->has_console_fd &&
	    !opts->foreground)
		return bh_error_setx(err, EINVAL,
				     "process.terminal is set: --console-socket is required");
	if ((r = state_dir_open(opts->root, opts->id, true, &sd, err)) < 0)
		return r;
	if (state_fill(&st, spec, opts->id) < 0) {
		r = bh_error_set(err, ENOMEM, "state");
		goto fail;
	}
	if ((r = state_write(&sd, &st, err)) < 0)
		goto fail;
	struct stat rsb;
	if (stat(spec->root_path, &rsb) < 0) {
		r = bh_error_set(err, errno, "root.path %s", spec->root_path);
		goto fail;
	}
	if (opts->config_json &&
	    (r = state_write_file(sd.fd, "config.json", opts->config_json,
				  strlen(opts->config_json), err)) < 0)
		goto fail;
	/* 0622 like runc: the init opens it after dropping to process.user,
	 * possibly inside a user namespace. */
	if (mkfifoat(sd.fd, "exec.fifo", 0622) < 0 ||
	    fchmodat(sd.fd, "exec.fifo", 0622, 0) < 0) {
		r = bh_error_set(err, errno, "mkfifo %s/exec.fifo", sd.path);
		goto fail;
	}
	const struct bh_spec_resources *res =
		spec->linux.resources.present ? &spec->linux.resources : NULL;
	/* Record the cgroup before making it: a create killed right after
	 * bh_cgroup_create must still leave delete --force something to find. */
	const char *cp = spec->linux.cgroups_path;
	if (!cp)
		r = asprintf(&st.cgroup_path, "/bulkhead/%s", opts->id);
	else
		r = asprintf(&st.cgroup_path, "%s%s", cp[0] == '/' ? "" : "/bulkhead/", cp);
	if (r < 0) {
		st.cgroup_path = NULL;
		r = bh_error_set(err, ENOMEM, "cgroup path");
		goto fail;
	}
	if ((r = state_write(&sd, &st, err)) < 0)
		goto fail;
	if ((r = bh_cgroup_create(cp, opts->id, res, &cg, err)) < 0) {
		/* It removed what it made; don't let delete find a stranger's. */
		free(st.cgroup_path);
		st.cgroup_path = NULL;
		goto fail;
	}
	if (strcmp(st.cgroup_path, bh_cgroup_path(cg))) {
		free(st.cgroup_path);
		st.cgroup_path = strdup(bh_cgroup_path(cg));
		if ((r = state_write(&sd, &st, err)) < 0)
			goto fail;
	}
	if (opts->has_console_fd) {
		console_fd = fcntl(opts->console_fd, F_DUPFD_CLOEXEC, 3);
		if (console_fd < 0) {
			r = bh_error_set(err, errno, "console fd");
			goto fail;
		}
	} else if (opts->console_socket &&
		   (console_fd = r = console_connect(opts->console_socket, err)) < 0) {
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = bh_error_set(err, errno, "socketpair");
		goto fail;
	}

	unsigned long want = ns_new_flags(spec);
	bool joins = false;
	for (size_t i = 0; i < spec->linux.n_namespaces; i++)
		if (spec->linux.namespaces[i].path &&
		    spec->linux.namespaces[i].type != CLONE_NEWPID)
			joins = true;
	/* A new user namespace comes with the clone unless namespaces must be
	 * joined first (runc's order: join, then create). */
	unsigned long clone_flags = want & CLONE_NEWPID;
	if (!joins)
		clone_flags = want & ~(unsigned long)CLONE_NEWTIME;
	/* The cgroup namespace must be made after the init entered its
	 * cgroup, so that the cgroup is the namespace's root. */
	clone_flags &= ~(unsigned long)CLONE_NEWCGROUP;
	fifo_dirfd = open(sd.path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fifo_dirfd < 0) {
		r = bh_error_set(err, errno, "open %s", sd.path);
		goto fail;
	}
	ctx = (struct init_ctx){
		.spec = spec, .sync_fd = sv[1], .console_fd = console_fd,
		.state_dirfd = fifo_dirfd, .lock_fds = { sd.fd, sd.root_fd },
		.preserve_fds = opts->preserve_fds,
		.clone_flags = clone_flags, .unshare_flags = want & ~clone_flags,
		.in_userns = (want & CLONE_NEWUSER) || bh_spec_namespace(spec, CLONE_NEWUSER),
		.no_pivot = opts->no_pivot, .no_new_keyring = opts->no_new_keyring,
		.id = opts->id,
	};
	if ((r = filter_prepare(spec->linux.seccomp, opts->root, &ctx.filter, err)) < 0)
		goto fail;
	if ((r = join_pid_ns(spec, &saved_pidns, err)) < 0)
		goto fail;
	pid = create_clone(clone_flags);
	if (pid == 0) {
		close(sv[0]);
		init_main(&ctx);
	}
	int clone_errno = errno;
	if (saved_pidns >= 0) {
		setns(saved_pidns, CLONE_NEWPID);
		close(saved_pidns);
		saved_pidns = -1;
	}
	if (pid < 0) {
		r = bh_error_set(err, clone_errno, "clone the container init (flags 0x%lx)",
				 clone_flags);
		goto fail;
	}
	close(sv[1]);
	sv[1] = -1;
	close(fifo_dirfd);
	fifo_dirfd = -1;
	if (console_fd >= 0) {
		close(console_fd);
		console_fd = -1;
	}
	st.pid = pid;
	proc_start_time(pid, &st.start_time, NULL);
	if ((r = state_write(&sd, &st, err)) < 0)
		goto fail;
	if ((clone_flags & CLONE_NEWUSER) && (r = userns_write_maps(pid, spec, err)) < 0)
		goto fail;
	if ((r = process_oom_score_adj(pid, spec->process->oom_score_adj, err)) < 0)
		goto fail;
	if ((r = sync_send(sv[0], SYNC_GO, NULL)) < 0) {
		r = bh_error_set(err, -r, "container init exited during setup");
		goto fail;
	}
	/* While the init sets up its mounts (it waits before the cgroup ns). */
	if ((r = bh_cgroup_enter(cg, pid, err)) < 0)
		goto fail;
	if ((r = sync_send(sv[0], SYNC_CGROUP, NULL)) < 0) {
		r = bh_error_set(err, -r, "container init exited during setup");
		goto fail;
	}
	if ((r = create_sync_loop(spec, &st, sv[0], err)) < 0)
		goto fail;
	st.creating = false;
	if ((r = state_write(&sd, &st, err)) < 0)
		goto fail;
	close(sv[0]);
	filter_free(&ctx.filter);
	bh_cgroup_free(cg);
	state_dir_close(&sd);
	state_clear(&st);
	*pid_out = pid;
	return 0;

fail:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (saved_pidns >= 0) {
		setns(saved_pidns, CLONE_NEWPID);
		close(saved_pidns);
	}
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (console_fd >= 0)
		close(console_fd);
	if (fifo_dirfd >= 0)
		close(fifo_dirfd);
	filter_free(&ctx.filter);
	if (cg) {
		bh_cgroup_destroy(cg, NULL);
		bh_cgroup_free(cg);
	}
	if (sd.fd >= 0)
		state_dir_remove(&sd, NULL);
	state_dir_close(&sd);
	state_clear(&st);
	return r;
}
