/* Control groups: v1, v2 and the v1/v2 hybrid (v1 controllers plus a
 * unified tree for what only v2 has).  One bh_cgroup spans every hierarchy. */
#ifndef BH_CONTAINER_CGROUP_H
#define BH_CONTAINER_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* gnu11 predefines linux=1, and spec.h has a field named linux. */
#undef linux
#include "container/spec.h"
#include "util/error.h"

struct bh_cgroup;                       /* opaque */
enum bh_cgroup_layout { BH_CGROUP_V1, BH_CGROUP_V2, BH_CGROUP_HYBRID };

int bh_cgroup_detect(enum bh_cgroup_layout *out, struct bh_error *err);
/* path: spec linux.cgroupsPath (absolute "/a/b", or relative -> under
 * /bulkhead/), or NULL -> "/bulkhead/<id>".  Creates the cgroup in every
 * relevant hierarchy and applies res (may be NULL).  The device policy
 * (deny all, then res->devices, then the default devices) is always applied.
 * On error removes what it made. */
int bh_cgroup_create(const char *path, const char *id, const struct bh_spec_resources *res,
		     struct bh_cgroup **out, struct bh_error *err);
/* An existing one, for later verbs.  path: what bh_cgroup_path returned. */
int bh_cgroup_open(const char *path, struct bh_cgroup **out, struct bh_error *err);
/* The path to store in state.json ("/bulkhead/<id>"). */
const char *bh_cgroup_path(const struct bh_cgroup *cg);
enum bh_cgroup_layout bh_cgroup_layout(const struct bh_cgroup *cg);
int bh_cgroup_enter(struct bh_cgroup *cg, pid_t pid, struct bh_error *err);
/* Devices change only when res->n_devices > 0 (runc update semantics). */
int bh_cgroup_update(struct bh_cgroup *cg, const struct bh_spec_resources *res, struct bh_error *err);
int bh_cgroup_freeze(struct bh_cgroup *cg, bool frozen, struct bh_error *err);
int bh_cgroup_is_frozen(struct bh_cgroup *cg, bool *frozen, struct bh_error *err);
/* Every process in the cgroup and its sub-cgroups; caller frees *pids. */
int bh_cgroup_pids(struct bh_cgroup *cg, pid_t **pids, size_t *n, struct bh_error *err);
int bh_cgroup_kill(struct bh_cgroup *cg, int sig, struct bh_error *err);   /* every process in it */
/* SIGKILL what remains, wait for it to empty (bounded), rmdir in every
 * hierarchy.  Idempotent. */
int bh_cgroup_destroy(struct bh_cgroup *cg, struct bh_error *err);
/* Unlimited values read as UINT64_MAX; a controller that is absent leaves 0. */
struct bh_cgroup_stats {
	uint64_t mem_usage, mem_limit, mem_max_usage, oom_kills, oom_events,
		 pids_current, pids_limit, cpu_usage_ns;
};
int bh_cgroup_stats(struct bh_cgroup *cg, struct bh_cgroup_stats *st, struct bh_error *err);
void bh_cgroup_free(struct bh_cgroup *cg);

/* ---- conversions (v1/OCI values -> v2 files), exposed for tests ---- */
/* cpu.shares [2, 262144] -> cpu.weight [1, 10000], crun's linear formula. */
uint64_t bh_cgroup_shares_to_weight(uint64_t shares);
/* blkio.weight [10, 1000] -> io.weight [1, 10000]. */
uint64_t bh_cgroup_blkio_to_io_weight(uint64_t weight);
/* OCI memory.swap is memory+swap; v2 memory.swap.max is swap alone.
 * *out: the value for memory.swap.max, -1 for "max", BH_UNSET for "leave". */
int bh_cgroup_swap_to_v2(int64_t mem_limit, int64_t mem_swap, int64_t *out,
			 struct bh_error *err);

/* ---- devices ---- */
/* The devices every container may use: null, zero, full, random, urandom,
 * tty, console, ptmx and the pts slaves. */
const struct bh_spec_device_rule *bh_cgroup_default_devices(size_t *n);
struct bpf_insn;
/* The BPF_PROG_TYPE_CGROUP_DEVICE program for rules (evaluated like the v1
 * list: last matching rule wins, nothing matches -> deny).  Caller frees. */
int bh_cgroup_bpf_device_prog(const struct bh_spec_device_rule *rules, size_t n,
			      struct bpf_insn **insns, size_t *n_insns, struct bh_error *err);
/* Load it (verifier log into log, if given); returns the program fd. */
int bh_cgroup_bpf_load(const struct bpf_insn *insns, size_t n, char *log, size_t log_size,
		       struct bh_error *err);
/* Build, load and attach to the cgroup2 dir, replacing programs attached
 * there before.  Returns the program fd (the attachment outlives it). */
int bh_cgroup_bpf_devices_apply(const char *dir, const struct bh_spec_device_rule *rules,
				size_t n, struct bh_error *err);

/* ---- internals shared by cgroup*.c ---- */
#ifdef BH_CGROUP_INTERNAL
enum {
	BH_CG_CPU = 1u << 0, BH_CG_CPUACCT = 1u << 1, BH_CG_CPUSET = 1u << 2,
	BH_CG_MEMORY = 1u << 3, BH_CG_DEVICES = 1u << 4, BH_CG_FREEZER = 1u << 5,
	BH_CG_BLKIO = 1u << 6, BH_CG_PIDS = 1u << 7, BH_CG_HUGETLB = 1u << 8,
	BH_CG_NET_CLS = 1u << 9, BH_CG_NET_PRIO = 1u << 10, BH_CG_PERF_EVENT = 1u << 11,
	BH_CG_RDMA = 1u << 12, BH_CG_MISC = 1u << 13, BH_CG_IO = 1u << 14,
};
#define BH_CG_MAX_HIER 16

struct bh_cg_hier {
	char *mount;             /* /sys/fs/cgroup/memory */
	char *dir;               /* mount + path */
	uint32_t ctrls;          /* 0 for a named hierarchy (name=systemd) */
};

struct bh_cgroup {
	enum bh_cgroup_layout layout;
	char *path;
	struct bh_cg_hier v1[BH_CG_MAX_HIER];
	size_t n_v1;
	char *v2_mount;          /* NULL when there is no unified tree */
	char *v2_dir;
	uint32_t v2_ctrls;       /* controllers we drive through v2 */
	int dev_prog_fd;
	char **made;             /* dirs created by bh_cgroup_create, in order */
	size_t n_made;
};

const char *bh_cg_ctrl_name(uint32_t ctrl);
uint32_t bh_cg_ctrl_from_name(const char *name);
/* The v1 dir of a controller, NULL when not mounted as v1. */
const char *bh_cg_v1_dir(const struct bh_cgroup *cg, uint32_t ctrl);
int bh_cg_write(const char *dir, const char *file, const char *val, struct bh_error *err);
int bh_cg_writef(const char *dir, const char *file, struct bh_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int bh_cg_read(const char *dir, const char *file, char *buf, size_t size, struct bh_error *err);
/* "max" and v1's "unlimited" page-counter value read as UINT64_MAX. */
int bh_cg_read_u64(const char *dir, const char *file, uint64_t *v, struct bh_error *err);
/* A "key value" line of a flat-keyed file; -ENOENT when the key is absent. */
int bh_cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *v,
		     struct bh_error *err);
bool bh_cg_has(const char *dir, const char *file);
/* Full device list for a policy: res rules (if any) then the defaults. */
int bh_cg_device_rules(const struct bh_spec_resources *res, struct bh_spec_device_rule **out,
		       size_t *n, struct bh_error *err);

int bh_cg_v1_prepare_cpuset(const char *mount, const char *path, struct bh_error *err);
int bh_cg_v1_memory(const char *dir, const struct bh_spec_resources *res, struct bh_error *err);
int bh_cg_v1_cpu(const char *dir, const struct bh_spec_resources *res, struct bh_error *err);
int bh_cg_v1_devices(const char *dir, const struct bh_spec_device_rule *rules, size_t n,
		     struct bh_error *err);
int bh_cg_v1_blkio(const char *dir, const struct bh_spec_resources *res, struct bh_error *err);
int bh_cg_v1_hugetlb(const char *dir, const struct bh_spec_resources *res, struct bh_error *err);

/* Delegates *ctrls down to path; clears (with a warning) the ones that fail. */
int bh_cg_v2_enable(const char *mount, const char *path, uint32_t *ctrls, struct bh_error *err);
uint32_t bh_cg_v2_available(const char *mount);
int bh_cg_v2_memory(const char *dir, const struct bh_spec_resources *res, struct bh_error *err);
int bh_cg_v2_cpu(const char *dir, const struct bh_spec_resources *res, struct bh_error *err);
int bh_cg_v2_io(const char *dir, const struct bh_spec_resources *res, struct bh_error *err);
int bh_cg_v2_hugetlb(const char *dir, const struct bh_spec_resources *res, struct bh_error *err);
int bh_cg_v2_unified(const char *dir, const struct bh_spec_resources *res, uint32_t allowed,
		     struct bh_error *err);
#endif

#endif
