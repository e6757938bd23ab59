/* The container runtime: create/start/exec/kill/delete of OCI containers,
 * with their state kept under a root directory (runc-style).  Used by the
 * bare-mode CLI (host/) and by the guest agent; no CLI knowledge here. */
#ifndef BH_CONTAINER_RUNTIME_H
#define BH_CONTAINER_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* gnu11 predefines linux=1, and spec.h has a field named linux. */
#undef linux
#include "container/spec.h"
#include "util/error.h"

#define BH_DEFAULT_ROOT "/run/bulkhead"
#define BH_ID_MAX 1024

enum bh_status {
	BH_STATUS_CREATING,
	BH_STATUS_CREATED,
	BH_STATUS_RUNNING,
	BH_STATUS_PAUSED,
	BH_STATUS_STOPPED,
};

const char *bh_status_name(enum bh_status s);

struct bh_create_opts {
	const char *root;            /* state root, NULL = BH_DEFAULT_ROOT */
	const char *id;
	const char *config_json;     /* raw config.json text, saved for exec */
	const char *console_socket;  /* path of a unix socket, or NULL */
	bool has_console_fd;         /* console_fd: a connected socket instead */
	int console_fd;
	int preserve_fds;            /* fds 3..3+n-1 passed to the process */
	bool no_pivot;
	bool no_new_keyring;
	/* Keep the init a child of the caller (run): the caller waits for it. */
	bool foreground;
};

/* What `state` prints, plus private fields. */
struct bh_state {
	char *oci_version;
	char *id;
	pid_t pid;                  /* 0 when never started */
	enum bh_status status;
	char *bundle;
	char *rootfs;
	char *created;              /* RFC 3339 with nanoseconds */
	char *owner;
	char **annot_keys, **annot_values;
	size_t n_annotations;
	/* private */
	unsigned long long start_time; /* /proc/<pid>/stat field 22 */
	char *cgroup_path;
	bool creating;
	unsigned hooks;             /* BH_HOOKS_*: which late hooks the spec has */
};
#define BH_HOOKS_POSTSTART 1u
#define BH_HOOKS_POSTSTOP 2u

/* Create: the init is left blocked before execve until start.
 * *pid gets the init's host pid. */
int bh_container_create(const struct bh_spec *spec,
			const struct bh_create_opts *opts, pid_t *pid,
			struct bh_error *err);
int bh_container_start(const char *root, const char *id, struct bh_error *err);
int bh_container_state(const char *root, const char *id, struct bh_state **out,
		       struct bh_error *err);
void bh_state_free(struct bh_state *st);
/* The state as runc prints it (caller frees). */
char *bh_state_to_json(const struct bh_state *st);
int bh_container_kill(const char *root, const char *id, int sig, bool all,
		      struct bh_error *err);
/* force: kill a running container first; a missing id is then not an error. */
int bh_container_delete(const char *root, const char *id, bool force,
			struct bh_error *err);
int bh_container_pause(const char *root, const char *id, struct bh_error *err);
int bh_container_resume(const char *root, const char *id, struct bh_error *err);
int bh_container_update(const char *root, const char *id,
			const struct bh_spec_resources *res, struct bh_error *err);
/* Pids in the container's cgroup (caller frees). */
int bh_container_pids(const char *root, const char *id, pid_t **pids,
		      size_t *n, struct bh_error *err);
/* Ids under root, sorted (NULL-terminated, caller frees with bh_strv_free). */
int bh_container_list(const char *root, char ***ids, size_t *n,
		      struct bh_error *err);
void bh_strv_free(char **v);

struct bh_exec_opts {
	const char *console_socket;
	bool has_console_fd;         /* console_fd: a connected socket instead */
	int console_fd;
	int preserve_fds;
	bool detach;                 /* informational: caller decides waiting */
};

/* Run proc inside the container's namespaces and cgroup with its security
 * settings.  *pid is a child of the caller (wait for it). */
int bh_container_exec(const char *root, const char *id,
		      const struct bh_spec_process *proc,
		      const struct bh_exec_opts *opts, pid_t *pid,
		      struct bh_error *err);

/* The spec saved at create, and the state (for exec's defaults). */
int bh_container_load_spec(const char *root, const char *id,
			   struct bh_spec **spec, struct bh_state **st,
			   struct bh_error *err);

/* Validate a container id (no '/', not "." or "..", 1..1024 chars). */
int bh_id_validate(const char *id, struct bh_error *err);

/* Exit status of a waited child as a shell would report it (128+sig). */
int bh_wait_status(int wstatus);

#endif
