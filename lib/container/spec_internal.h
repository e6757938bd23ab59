/* Private helpers shared by the spec parser files (spec*.c).  Every getter
 * takes the JSON path of the enclosing object so that errors can say
 * exactly which field is wrong: "<file>: <path>.<key>: <problem>". */
#ifndef BH_CONTAINER_SPEC_INTERNAL_H
#define BH_CONTAINER_SPEC_INTERNAL_H

#include <jansson.h>

#include "container/spec.h"

#define SP_PATH_MAX 256

/* Defensive bounds: hostile input must not make us allocate without end. */
#define SP_MAX_FILE      (4u << 20)   /* config.json, process.json */
#define SP_MAX_ARGS      65536        /* process.args, hook args */
#define SP_MAX_ENV       65536
#define SP_MAX_LIST      4096         /* mounts, hooks, namespaces, devices... */
#define SP_MAX_SYSCALLS  4096         /* seccomp rules, names per rule */

struct sp_ctx {
	const char *file;          /* label used in messages: "config.json" */
	struct bh_error *err;
	unsigned warnings;         /* capped so hostile input cannot flood the log */
};

/* bh_log_warn "<file>: <path>: <msg>", at most SP_MAX_WARNINGS per parse. */
#define SP_MAX_WARNINGS 32
void sp_warn(struct sp_ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int sp_fail(struct sp_ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int sp_nomem(struct sp_ctx *c, const char *path);

/* "parent.key" (or "key" at the top) and "parent[i]". */
void sp_join(char *buf, size_t n, const char *parent, const char *key);
void sp_index(char *buf, size_t n, const char *parent, size_t i);

/* Warn once per field that is not in known[]; fields in unsupported[] get a
 * "not supported, ignored" warning instead.  Both lists are NULL-terminated
 * (unsupported may be NULL). */
void sp_check_keys(struct sp_ctx *c, json_t *obj, const char *path,
		   const char *const known[], const char *const unsupported[]);

/* Typed getters.  A field that is absent or JSON null leaves *out unchanged
 * and returns 0, unless required.  A wrong type or range is an error. */
int sp_get_string(struct sp_ctx *c, json_t *obj, const char *path,
		  const char *key, bool required, char **out);
int sp_get_bool(struct sp_ctx *c, json_t *obj, const char *path,
		const char *key, bool *out);
int sp_get_int(struct sp_ctx *c, json_t *obj, const char *path,
	       const char *key, bool required, int64_t min, int64_t max,
	       int64_t *out);
int sp_get_object(struct sp_ctx *c, json_t *obj, const char *path,
		  const char *key, bool required, json_t **out);
int sp_get_array(struct sp_ctx *c, json_t *obj, const char *path,
		 const char *key, bool required, size_t max, json_t **out);
/* Array of strings -> NULL-terminated vector. */
int sp_get_strv(struct sp_ctx *c, json_t *obj, const char *path,
		const char *key, size_t max, char ***out, size_t *n);
/* Object of string values -> key/value array. */
int sp_get_kv(struct sp_ctx *c, json_t *obj, const char *path,
	      const char *key, struct bh_kv **out, size_t *n);
/* Array-element variant of the integer check. */
int sp_int_value(struct sp_ctx *c, json_t *v, const char *path,
		 int64_t min, int64_t max, int64_t *out);

/* True when path has a ".." component (refused in container paths as
 * defence in depth; the runtime resolves them inside the rootfs anyway). */
bool sp_has_dotdot(const char *path);

/* calloc(n, size) that reports failure through the context. */
void *sp_calloc(struct sp_ctx *c, const char *path, size_t n, size_t size);

void sp_strv_free(char **v, size_t n);
void sp_kv_free(struct bh_kv *kv, size_t n);

/* Sections (spec_process.c, spec_mount.c, spec_linux.c, spec_seccomp.c). */
int sp_parse_process(struct sp_ctx *c, json_t *obj, const char *path,
		     struct bh_spec_process **out);
int sp_parse_mounts(struct sp_ctx *c, json_t *root, struct bh_spec *spec);
void sp_mounts_free(struct bh_spec_mount *m, size_t n);
int sp_parse_linux(struct sp_ctx *c, json_t *obj, const char *path,
		   struct bh_spec_linux *out);
void sp_linux_free(struct bh_spec_linux *l);
int sp_parse_seccomp(struct sp_ctx *c, json_t *obj, const char *path,
		     struct bh_spec_seccomp **out);
void sp_seccomp_free(struct bh_spec_seccomp *s);
/* "rprivate" -> MS_PRIVATE|MS_REC; 0 when not a propagation keyword. */
unsigned long sp_propagation(const char *s);

#endif
