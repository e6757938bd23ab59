/* Tenants (VM mode): one microVM per tenant, its state under
 * <root>/tenants/<name>/ (state.json, the agent socket, the console log).
 * State is written before the VM starts, so `tenant down --force` can
 * always clean up after a `tenant up` that was killed midway. */
#ifndef BH_HOST_TENANT_H
#define BH_HOST_TENANT_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "agent_client.h"
#include "util/error.h"

#define TENANT_NAME_MAX 48
#define TENANT_MAX_IMAGES 16

struct tenant {
	char name[TENANT_NAME_MAX + 1];
	char dir[PATH_MAX - 64];
	char backend[16];
	char status[16];            /* "starting", "running" */
	pid_t pid;                  /* VM process, 0 until known */
	unsigned long long start_time; /* /proc/<pid>/stat field 22: guards pid reuse */
	enum agent_transport transport;
	bool streams;               /* the channel takes more connections: stdio streams */
	char sock[PATH_MAX];        /* agent channel */
	char console[PATH_MAX];     /* guest console log */
	char kernel[PATH_MAX], initrd[PATH_MAX];
	long mem_mib;
	int vcpus;
	double ready_s;             /* spawn to first ping answer */
	size_t n_images;
	char *image_name[TENANT_MAX_IMAGES];
	char *image_file[TENANT_MAX_IMAGES];
};

int tenant_name_validate(const char *name, struct bh_error *err);
/* <root>/tenants (created on demand when make is true). */
int tenant_base(const char *root, char *out, size_t n, bool make, struct bh_error *err);
int tenant_load(const char *root, const char *name, struct tenant *t, struct bh_error *err);
/* Atomic (tmp + rename) write of <dir>/state.json. */
int tenant_save(const struct tenant *t, struct bh_error *err);
void tenant_free(struct tenant *t);
/* Names of all tenants (caller frees with bh_strv_free-like loop). */
int tenant_list(const char *root, char ***names, size_t *n, struct bh_error *err);

unsigned long long tenant_proc_start_time(pid_t pid);
/* The VM process recorded in t is alive (same pid and start time). */
bool tenant_vm_alive(const struct tenant *t);
/* Resident memory of the VM process in KiB, -1 if unknown. */
long tenant_vm_rss_kib(const struct tenant *t);
/* Last line(s) of the console log, for error messages. */
void tenant_console_tail(const struct tenant *t, char *out, size_t n);

/* Connect to t's agent; a dead VM is reported as such. */
int tenant_connect(const struct tenant *t, struct agent_client *c, int timeout_ms,
		   struct bh_error *err);

/* Sizes: "512M", "1G", "65536" (unit when no suffix: unit_default). */
int tenant_parse_size(const char *s, unsigned long long unit_default,
		      unsigned long long *out);

/* Base64 from the agent (stdout_b64/stderr_b64): a hostile guest may send
 * anything, so bad input is -EINVAL, never an overrun.  *out: malloc'd. */
int tenant_b64_decode(const char *in, size_t n, char **out, size_t *outlen);

/* `bulkhead tenant ...` verbs; cmd_tenant dispatches. */
int cmd_tenant(int argc, char **argv);
int tenant_cmd_run(int argc, char **argv);
int tenant_cmd_exec(int argc, char **argv);
int tenant_cmd_kill(int argc, char **argv);

#endif
