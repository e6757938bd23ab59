/* Internals of the runtime shared between its files (not a public API). */
#ifndef BH_CONTAINER_RT_INTERNAL_H
#define BH_CONTAINER_RT_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "container/runtime.h"
#include "container/spec.h"
#include "util/error.h"

/* ---- state.c: the state store ---- */
struct bh_state_dir {
	int root_fd;
	int fd;                      /* <root>/<id>, flock'ed */
	char *path;
};

int state_root_open(const char *root, bool create, int *fd, struct bh_error *err);
/* create: mkdir <root>/<id> (EEXIST -> "container <id> already exists"). */
int state_dir_open(const char *root, const char *id, bool create,
		   struct bh_state_dir *sd, struct bh_error *err);
int state_dir_open_lock(const char *root, const char *id, bool create, bool lock,
			struct bh_state_dir *sd, struct bh_error *err);
void state_dir_close(struct bh_state_dir *sd);
int state_write(struct bh_state_dir *sd, const struct bh_state *st,
		struct bh_error *err);
int state_read(struct bh_state_dir *sd, const char *id, struct bh_state **out,
	       struct bh_error *err);
/* Remove the state dir and everything in it. */
int state_dir_remove(struct bh_state_dir *sd, struct bh_error *err);
int state_write_file(int dirfd, const char *name, const char *data, size_t len,
		     struct bh_error *err);
char *state_now_rfc3339(void);
/* Free the fields of a state, not the struct. */
void state_clear(struct bh_state *st);
/* Refresh st->status from the live system (pid, fifo, freezer). */
void state_refresh(struct bh_state_dir *sd, struct bh_state *st);
int proc_start_time(pid_t pid, unsigned long long *start, char *state_char);

/* ---- sync.c: parent <-> init messages over a SOCK_SEQPACKET pair ---- */
enum sync_type {
	SYNC_GO = 1,        /* parent: maps written, cgroup entered */
	SYNC_USERNS,        /* init: write my uid/gid maps now */
	SYNC_HOOKS,         /* init: run prestart/createRuntime now */
	SYNC_HOOKS_DONE,
	SYNC_READY,         /* init: waiting on the exec fifo */
	SYNC_ERROR,         /* either: message follows */
	SYNC_CGROUP,        /* parent: the init is in its cgroup */
};
#define SYNC_MSG_MAX 65536
struct sync_msg {
	int type;
	int code;
	char msg[SYNC_MSG_MAX];     /* error text, or the state JSON */
};
int sync_send(int fd, int type, const struct bh_error *err);
/* Send a type with a text payload. */
int sync_send_text(int fd, int type, const char *text);
/* Receive one message; EOF -> -EPIPE. */
int sync_recv(int fd, struct sync_msg *m);
/* Expect a type; a SYNC_ERROR is copied into err. */
int sync_expect(int fd, int type, struct bh_error *err);

/* ---- namespace.c / userns.c ---- */
/* Namespaces the spec wants created (CLONE_* flags) and joined. */
unsigned long ns_new_flags(const struct bh_spec *spec);
int ns_join_all(const struct bh_spec *spec, struct bh_error *err);
/* Bring up lo in a new network namespace, as runc and crun do. */
int ns_loopback_up(struct bh_error *err);
int userns_write_maps(pid_t pid, const struct bh_spec *spec,
		      struct bh_error *err);

/* ---- rootfs.c / mounts.c / devices.c ---- */
struct init_ctx;
/* Called once before the first cgroup mount (and at the latest after the
 * mounts): the init waits there until the parent has put it in its cgroup. */
struct cgroup_gate {
	int (*fn)(void *arg, struct bh_error *err);
	void *arg;
};
int rootfs_prepare(const struct bh_spec *spec, bool in_userns,
		   const struct cgroup_gate *gate, struct bh_error *err);
int rootfs_pivot(const struct bh_spec *spec, bool no_pivot,
		 struct bh_error *err);
int rootfs_finish(const struct bh_spec *spec, struct bh_error *err);
int mounts_apply(const struct bh_spec *spec, bool in_userns,
		 const struct cgroup_gate *gate,
		 struct bh_error *err);
/* Open dest under root without leaving it; creates missing parts when
 * mkdir_p (as a dir, or a file when is_file).  Returns an O_PATH fd. */
int mounts_open_in_root(int rootfd, const char *dest, bool create,
			bool is_file, struct bh_error *err);
int devices_setup(const struct bh_spec *spec, bool in_userns,
		  struct bh_error *err);
int devices_create_spec(const struct bh_spec *spec, bool in_userns,
			struct bh_error *err);

struct bh_filter;

/* ---- process.c: the process part shared by init and exec ---- */
int process_setup_early(const struct bh_spec_process *p, struct bh_error *err);
/* Look args[0] up in PATH (inside the container's root). */
int process_find_exec(const struct bh_spec_process *p, char **path,
		      struct bh_error *err);
/* rlimits; caps, user, nnp and seccomp in the order runc uses. */
int process_rlimits(const struct bh_spec_process *p, struct bh_error *err);
int process_security(const struct bh_spec_process *p,
		     const struct bh_filter *filter, bool in_userns,
		     struct bh_error *err);
int process_sysctl(const struct bh_spec *spec, struct bh_error *err);
/* Close (cloexec) fds from 3+preserve up. */
void process_close_fds(int preserve_fds);
int process_oom_score_adj(pid_t pid, int64_t v, struct bh_error *err);

/* ---- filter_cache.c: seccomp BPF built (or cached) by the parent ---- */
#define BH_CACHE_DIR ".cache"
struct sock_filter;
struct bh_filter {
	bool present;
	unsigned flags;              /* SECCOMP_FILTER_FLAG_* */
	struct sock_filter *insns;
	size_t n_insns;
};
int filter_prepare(const struct bh_spec_seccomp *sc, const char *root,
		   struct bh_filter *f, struct bh_error *err);
int filter_load(const struct bh_filter *f, struct bh_error *err);
void filter_free(struct bh_filter *f);

/* ---- console.c ---- */
/* Connect to the console socket (before the clone). */
int console_connect(const char *path, struct bh_error *err);
/* In the container: make a pty, send its master over sockfd, make the
 * slave our controlling terminal and stdio. */
int console_setup(int sockfd, const struct bh_spec_process *p,
		  struct bh_error *err);

/* ---- hooks.c ---- */
int hooks_run(const struct bh_spec_hook_list *hooks, const char *phase,
	      const char *state_json, struct bh_error *err);

/* ---- create.c ---- */
char *state_json_for_hooks(const struct bh_state *st);

#endif
