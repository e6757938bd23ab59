/* The OCI runtime spec (config.json) as C structs.  This is the contract
 * between the parser (spec.c), the security primitives (cgroup, seccomp,
 * caps) and the runtime (create/start/exec).  Parsed once, read-only after.
 *
 * Conventions:
 *  - string arrays are NULL-terminated and also carry a count;
 *  - numeric fields that may be absent use BH_UNSET (INT64_MIN);
 *  - capability sets are bitmasks of CAP_* numbers (all fit in 64 bits).
 */
#ifndef BH_CONTAINER_SPEC_H
#define BH_CONTAINER_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* -std=gnu11 predefines linux=1, which would break the field name below. */
#undef linux

#define BH_UNSET INT64_MIN

struct bh_kv {
	char *key;
	char *value;
};

struct bh_spec_mount {
	char *destination;
	char *type;              /* may be NULL (bind) */
	char *source;            /* may be NULL */
	char **options;          /* raw option strings */
	size_t n_options;
	/* Derived from options by the parser: */
	unsigned long flags;     /* MS_RDONLY|MS_NOSUID|MS_BIND|MS_REC... */
	unsigned long clear;     /* flags explicitly cleared (rw, suid, dev...) */
	unsigned long propagation; /* MS_PRIVATE|MS_SLAVE|MS_SHARED|MS_UNBINDABLE, | MS_REC */
	char *data;              /* leftover options joined by ',' for mount(2), or NULL */
};

struct bh_spec_rlimit {
	int resource;            /* RLIMIT_* */
	uint64_t soft;
	uint64_t hard;
};

struct bh_spec_caps {
	bool present;            /* process.capabilities given at all */
	uint64_t bounding;
	uint64_t effective;
	uint64_t inheritable;
	uint64_t permitted;
	uint64_t ambient;
};

struct bh_spec_user {
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids;
	size_t n_additional_gids;
	int64_t umask;           /* BH_UNSET when absent */
};

struct bh_spec_process {
	bool terminal;
	unsigned console_height, console_width; /* 0 when absent */
	char **args;             /* NULL-terminated, n_args >= 1 */
	size_t n_args;
	char **env;              /* NULL-terminated "K=V" */
	size_t n_env;
	char *cwd;               /* absolute */
	struct bh_spec_user user;
	struct bh_spec_caps caps;
	struct bh_spec_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	int64_t oom_score_adj;   /* BH_UNSET when absent */
	char *apparmor_profile;  /* accepted, ignored with a warning if set */
	char *selinux_label;
};

struct bh_spec_hook {
	char *path;
	char **args;             /* NULL-terminated, may be NULL */
	size_t n_args;
	char **env;              /* NULL-terminated, may be NULL */
	size_t n_env;
	int64_t timeout;         /* seconds, BH_UNSET when absent */
};

struct bh_spec_hook_list {
	struct bh_spec_hook *hooks;
	size_t n;
};

struct bh_spec_hooks {
	struct bh_spec_hook_list prestart;
	struct bh_spec_hook_list create_runtime;
	struct bh_spec_hook_list create_container;
	struct bh_spec_hook_list start_container;
	struct bh_spec_hook_list poststart;
	struct bh_spec_hook_list poststop;
};

struct bh_spec_namespace {
	int type;                /* CLONE_NEWPID, CLONE_NEWNS, ... CLONE_NEWTIME */
	char *path;              /* join this one instead of creating; NULL = new */
};

struct bh_spec_idmap {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

/* linux.devices: nodes to create in the container's /dev */
struct bh_spec_device {
	char type;               /* 'c', 'b', 'u', 'p' */
	char *path;
	int64_t major, minor;
	int64_t file_mode;       /* BH_UNSET when absent */
	int64_t uid, gid;        /* BH_UNSET when absent */
};

/* linux.resources.devices: the device cgroup allow/deny list, in order */
struct bh_spec_device_rule {
	bool allow;
	char type;               /* 'a', 'c', 'b' */
	int64_t major, minor;    /* -1 = wildcard */
	char access[4];          /* subset of "rwm", NUL-terminated */
};

struct bh_spec_hugepage {
	char *page_size;         /* "2MB" */
	uint64_t limit;
};

struct bh_spec_resources {
	bool present;
	struct bh_spec_device_rule *devices;
	size_t n_devices;
	/* memory */
	int64_t mem_limit, mem_reservation, mem_swap, mem_swappiness;
	bool mem_disable_oom_killer;
	/* cpu */
	int64_t cpu_shares, cpu_quota, cpu_period, cpu_idle;
	char *cpu_cpus, *cpu_mems;
	/* pids */
	int64_t pids_limit;
	/* blockIO */
	int64_t blkio_weight;
	struct bh_spec_hugepage *hugepages;
	size_t n_hugepages;
	/* cgroup v2 raw files: "memory.high" -> "1G" */
	struct bh_kv *unified;
	size_t n_unified;
};

enum bh_seccomp_action {
	BH_SCMP_KILL_THREAD,     /* SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD */
	BH_SCMP_KILL_PROCESS,
	BH_SCMP_TRAP,
	BH_SCMP_ERRNO,
	BH_SCMP_TRACE,
	BH_SCMP_ALLOW,
	BH_SCMP_LOG,
	BH_SCMP_NOTIFY,
};

enum bh_seccomp_op {
	BH_SCMP_OP_NE, BH_SCMP_OP_LT, BH_SCMP_OP_LE, BH_SCMP_OP_EQ,
	BH_SCMP_OP_GE, BH_SCMP_OP_GT, BH_SCMP_OP_MASKED_EQ,
};

struct bh_spec_seccomp_arg {
	unsigned index;
	uint64_t value;
	uint64_t value_two;
	enum bh_seccomp_op op;
};

struct bh_spec_seccomp_rule {
	char **names;            /* NULL-terminated */
	size_t n_names;
	enum bh_seccomp_action action;
	int64_t errno_ret;       /* BH_UNSET: EPERM for ERRNO, 0 for TRACE */
	struct bh_spec_seccomp_arg *args;
	size_t n_args;
};

struct bh_spec_seccomp {
	enum bh_seccomp_action default_action;
	int64_t default_errno;   /* BH_UNSET when absent */
	char **architectures;    /* "SCMP_ARCH_X86_64", NULL-terminated */
	size_t n_architectures;
	char **flags;            /* "SECCOMP_FILTER_FLAG_LOG", NULL-terminated */
	size_t n_flags;
	struct bh_spec_seccomp_rule *rules;
	size_t n_rules;
};

struct bh_spec_linux {
	struct bh_spec_namespace *namespaces;
	size_t n_namespaces;
	struct bh_spec_idmap *uid_mappings;
	size_t n_uid_mappings;
	struct bh_spec_idmap *gid_mappings;
	size_t n_gid_mappings;
	struct bh_spec_device *devices;
	size_t n_devices;
	char *cgroups_path;      /* NULL: the runtime picks one from the id */
	struct bh_spec_resources resources;
	struct bh_kv *sysctl;
	size_t n_sysctl;
	struct bh_spec_seccomp *seccomp;   /* NULL: no filter (OCI semantics) */
	unsigned long rootfs_propagation;  /* 0 when absent */
	char **masked_paths;
	size_t n_masked_paths;
	char **readonly_paths;
	size_t n_readonly_paths;
	char *mount_label;
};

struct bh_spec {
	char *oci_version;
	char *root_path;         /* absolute (resolved against the bundle) */
	bool root_readonly;
	struct bh_spec_process *process;   /* NULL allowed by the spec for create */
	char *hostname;
	char *domainname;
	struct bh_spec_mount *mounts;
	size_t n_mounts;
	struct bh_spec_hooks hooks;
	struct bh_kv *annotations;
	size_t n_annotations;
	struct bh_spec_linux linux;
	char *bundle;            /* absolute bundle dir, set by bh_spec_load */
};

/* Parse <bundle>/config.json.  Errors name the file, the JSON path of the
 * field and what is wrong ("config.json: process.args[0]: expected a string").
 * Unknown fields produce a warning through bh_log_warn, not an error. */
int bh_spec_load(const char *bundle, struct bh_spec **out, struct bh_error *err);
/* Parse a JSON text (for tests, fuzzing and the agent). bundle may be NULL:
 * then root.path must be absolute. */
int bh_spec_parse(const char *json, size_t len, const char *bundle,
		  struct bh_spec **out, struct bh_error *err);
/* Parse a standalone process object (exec --process FILE). */
int bh_spec_parse_process(const char *json, size_t len,
			  struct bh_spec_process **out, struct bh_error *err);
void bh_spec_free(struct bh_spec *spec);
void bh_spec_process_free(struct bh_spec_process *p);

/* Lookups */
const char *bh_spec_annotation(const struct bh_spec *spec, const char *key);
const struct bh_spec_namespace *bh_spec_namespace(const struct bh_spec *spec, int type);

/* The default config.json text for `bulkhead spec` (caller frees).
 * rootless: a user namespace mapping the caller's uid. Defaults: DESIGN.md §4. */
char *bh_spec_default_json(bool rootless);

/* Added by the parser: */
/* Translate m->options into m->flags/clear/propagation/data (the same
 * rules as config.json mounts), e.g. for a CLI --volume. */
int bh_spec_mount_parse_options(struct bh_spec_mount *m, struct bh_error *err);
/* Parse a standalone OCI seccomp object (linux.seccomp), e.g. a profile file. */
int bh_spec_parse_seccomp(const char *json, size_t len,
			  struct bh_spec_seccomp **out, struct bh_error *err);
void bh_spec_seccomp_free(struct bh_spec_seccomp *s);

#endif
