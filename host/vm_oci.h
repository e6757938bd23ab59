/* The OCI verbs in VM mode: `bulkhead create/start/state/kill/delete/exec/
 * run` on a container that lives in a tenant's microVM.  The host keeps
 * <root>/<id>/vm.json (which tenant, the stand-in's pid) and the config;
 * the container itself is the agent's.  Each container has a host-side
 * stand-in process (vm_standin.c) that relays its stdio, forwards signals
 * and exits with its status, so `state` shows a real host pid and a
 * supervisor such as conmon can wait for it. */
#ifndef BH_HOST_VM_OCI_H
#define BH_HOST_VM_OCI_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cli.h"
#include "tenant.h"

#define VM_OCI_MODE_ANNOTATION "io.bulkhead.mode"
#define VM_OCI_TENANT_ANNOTATION "io.bulkhead.tenant"

/* What vm.json holds. */
struct vm_ctr {
	char id[BH_ID_MAX + 1];
	char tenant[TENANT_NAME_MAX + 1];
	char dir[4096];             /* <root>/<id> */
	char *bundle, *rootfs, *created;
	json_t *annotations;        /* from the config, for state */
	char status[16];            /* creating, created, running */
	pid_t standin;              /* 0 until forked */
	unsigned long long standin_start;
	bool streams;
};

/* <root>/<id>/vm.json exists: the container is in VM mode. */
bool vm_oci_is_vm(const char *root, const char *id);
int vm_ctr_load(const char *root, const char *id, struct vm_ctr *c, struct bh_error *err);
int vm_ctr_save(const struct vm_ctr *c, struct bh_error *err);
void vm_ctr_free(struct vm_ctr *c);
/* The stand-in's exit status once it has recorded one (<dir>/exit), else -1. */
int vm_ctr_exit_status(const struct vm_ctr *c);
bool vm_ctr_standin_alive(const struct vm_ctr *c);
/* Remove a tree, staying on one file system. */
void vm_ctr_rm_tree(const char *path);

/* Which mode create/run use: --mode, else the config's io.bulkhead.mode,
 * else vm when a tenant is named (--tenant or io.bulkhead.tenant).
 * *tenant: the tenant for vm mode (NULL in bare mode). */
int vm_oci_resolve_mode(json_t *config, bool *vm, const char **tenant, struct bh_error *err);

/* The bundle's config made fit for the guest: host bind mounts of files
 * become copies in the uploaded rootfs (listed in *copies as
 * [{"src": host path, "dst": path in the container}]), /dev/shm a tmpfs,
 * namespace paths dropped; a host directory bind is an error. */
int vm_oci_translate(json_t *config, json_t **copies, struct bh_error *err);

/* The verbs; each prints its own error and returns the exit status. */
int vm_oci_create(const char *verb, struct create_args *a, const char *tenant, pid_t *standin);
int vm_oci_start(const char *verb, const char *id);
int vm_oci_state(const char *root, const char *id, struct bh_state **out, struct bh_error *err);
int vm_oci_kill(const char *id, int sig, bool all);
int vm_oci_delete(const char *id, bool force);
int vm_oci_update(const char *id, json_t *resources);
/* exec: process is the OCI process object (stolen). */
int vm_oci_exec(const char *id, json_t *process, bool detach, const char *pid_file);
/* The saved config's process, as the template for exec. */
json_t *vm_oci_process_template(const char *id, struct bh_error *err);

/* The stand-in: connects, relays and waits; exits the calling process
 * with the container's status (a signal death is re-raised).
 * ready_fd (or -1): written to once the streams are attached. */
struct vm_standin_args {
	struct tenant *t;
	const char *id;
	unsigned exec_id;
	json_t *streams;            /* stream tokens (streams mode), or NULL */
	const char *exit_file;      /* where the init's status is recorded, or NULL */
	int ready_fd;
};
void vm_standin_main(const struct vm_standin_args *s) __attribute__((noreturn));
/* Fork the stand-in (a child of ours, so it is re-parented to the caller's
 * subreaper when we exit); returns its pid once its streams are attached. */
int vm_standin_spawn(const struct vm_standin_args *s, pid_t *pid, struct bh_error *err);

#endif
