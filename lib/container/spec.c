/* OCI runtime-spec config.json parser: the top level (ociVersion, root,
 * hostname, hooks, annotations), loading, freeing and lookups, plus the
 * typed JSON getters shared with spec_process.c, spec_mount.c,
 * spec_linux.c and spec_seccomp.c.
 *
 * Decisions:
 *  - Unknown properties: the OCI runtime spec (config.md, "Extensibility")
 *    says implementations "MUST NOT generate an error if they encounter an
 *    unknown property. Instead they MUST ignore unknown properties."  We
 *    ignore them, with one bh_log_warn per field naming its JSON path, so a
 *    typo ("noNewPrivilege") does not pass silently.  Known fields that
 *    Bulkhead does not implement (e.g. linux.intelRdt) are ignored with a
 *    "not supported" warning.
 *  - Wrong types, out-of-range integers, missing required fields, unknown
 *    enum values (capabilities, rlimits, namespaces, seccomp actions) are
 *    errors: guessing on a security-relevant field is worse than failing.
 *  - Duplicate keys are an error (JSON_REJECT_DUPLICATES): which of two
 *    "readonly" values wins must not depend on the parser.
 *  - JSON null counts as absent (Go encoders emit null for empty slices).
 *  - Inputs are bounded: file size (4 MiB), array lengths (SP_MAX_*), and
 *    jansson's own nesting limit, so hostile input cannot exhaust memory.
 *  - Integers above INT64_MAX cannot be represented by jansson and fail at
 *    the JSON level ("too big integer").
 */
#include "container/spec_internal.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

int sp_fail(struct sp_ctx *c, const char *path, const char *fmt, ...)
{
	char msg[BH_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && *path)
		return bh_error_setx(c->err, EINVAL, "%s: %s: %s", c->file, path, msg);
	return bh_error_setx(c->err, EINVAL, "%s: %s", c->file, msg);
}

void sp_warn(struct sp_ctx *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->warnings++ > SP_MAX_WARNINGS)
		return;
	if (c->warnings > SP_MAX_WARNINGS) {
		bh_log_warn("%s: more warnings not shown", c->file);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bh_log_warn("%s: %s: %s", c->file, path, msg);
}

int sp_nomem(struct sp_ctx *c, const char *path)
{
	return bh_error_set(c->err, ENOMEM, "%s: %s", c->file, path && *path ? path : "parsing");
}

void *sp_calloc(struct sp_ctx *c, const char *path, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		sp_nomem(c, path);
	return p;
}

/* Paths are for messages only: truncating a very long one is harmless. */
void sp_join(char *buf, size_t n, const char *parent, const char *key)
{
	int k;
	if (parent && *parent)
		k = snprintf(buf, n, "%s.%s", parent, key);
	else
		k = snprintf(buf, n, "%s", key);
	if (k < 0 && n)
		buf[0] = '\0';
}

void sp_index(char *buf, size_t n, const char *parent, size_t i)
{
	int k = snprintf(buf, n, "%s[%zu]", parent ? parent : "", i);
	if (k < 0 && n)
		buf[0] = '\0';
}

static bool sp_in(const char *const list[], const char *key)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(list[i], key) == 0)
			return true;
	return false;
}

void sp_check_keys(struct sp_ctx *c, json_t *obj, const char *path,
		   const char *const known[], const char *const unsupported[])
{
	const char *key;
	json_t *v;
	char p[SP_PATH_MAX];

	json_object_foreach(obj, key, v) {
		if (sp_in(known, key))
			continue;
		sp_join(p, sizeof(p), path, key);
		if (sp_in(unsupported, key))
			sp_warn(c, p, "not supported by bulkhead, ignored");
		else
			sp_warn(c, p, "unknown field, ignored");
	}
}

/* The field, or NULL when absent/null; required-ness checked here. */
static int sp_field(struct sp_ctx *c, json_t *obj, const char *path,
		    const char *key, bool required, json_t **out, char *p, size_t pn)
{
	sp_join(p, pn, path, key);
	json_t *v = json_object_get(obj, key);
	if (v && json_is_null(v))
		v = NULL;
	*out = v;
	if (!v && required)
		return sp_fail(c, p, "required field is missing");
	return 0;
}

int sp_get_string(struct sp_ctx *c, json_t *obj, const char *path,
		  const char *key, bool required, char **out)
{
	char p[SP_PATH_MAX];
	json_t *v;
	int r = sp_field(c, obj, path, key, required, &v, p, sizeof(p));
	if (r < 0 || !v)
		return r;
	if (!json_is_string(v))
		return sp_fail(c, p, "expected a string");
	char *s = strdup(json_string_value(v));
	if (!s)
		return sp_nomem(c, p);
	free(*out);
	*out = s;
	return 0;
}

int sp_get_bool(struct sp_ctx *c, json_t *obj, const char *path,
		const char *key, bool *out)
{
	char p[SP_PATH_MAX];
	json_t *v;
	int r = sp_field(c, obj, path, key, false, &v, p, sizeof(p));
	if (r < 0 || !v)
		return r;
	if (!json_is_boolean(v))
		return sp_fail(c, p, "expected a boolean");
	*out = json_is_true(v);
	return 0;
}

int sp_int_value(struct sp_ctx *c, json_t *v, const char *path,
		 int64_t min, int64_t max, int64_t *out)
{
	if (!json_is_integer(v))
		return sp_fail(c, path, "expected an integer");
	json_int_t i = json_integer_value(v);
	if (i < min || i > max)
		return sp_fail(c, path, "%lld is out of range [%lld, %lld]",
			       (long long)i, (long long)min, (long long)max);
	*out = (int64_t)i;
	return 0;
}

int sp_get_int(struct sp_ctx *c, json_t *obj, const char *path,
	       const char *key, bool required, int64_t min, int64_t max,
	       int64_t *out)
{
	char p[SP_PATH_MAX];
	json_t *v;
	int r = sp_field(c, obj, path, key, required, &v, p, sizeof(p));
	if (r < 0 || !v)
		return r;
	return sp_int_value(c, v, p, min, max, out);
}

int sp_get_object(struct sp_ctx *c, json_t *obj, const char *path,
		  const char *key, bool required, json_t **out)
{
	char p[SP_PATH_MAX];
	json_t *v;
	*out = NULL;
	int r = sp_field(c, obj, path, key, required, &v, p, sizeof(p));
	if (r < 0 || !v)
		return r;
	if (!json_is_object(v))
		return sp_fail(c, p, "expected an object");
	*out = v;
	return 0;
}

int sp_get_array(struct sp_ctx *c, json_t *obj, const char *path,
		 const char *key, bool required, size_t max, json_t **out)
{
	char p[SP_PATH_MAX];
	json_t *v;
	*out = NULL;
	int r = sp_field(c, obj, path, key, required, &v, p, sizeof(p));
	if (r < 0 || !v)
		return r;
	if (!json_is_array(v))
		return sp_fail(c, p, "expected an array");
	if (json_array_size(v) > max)
		return sp_fail(c, p, "too many elements (%zu, at most %zu)",
			       json_array_size(v), max);
	*out = v;
	return 0;
}

bool sp_has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

void sp_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void sp_kv_free(struct bh_kv *kv, size_t n)
{
	if (!kv)
		return;
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

int sp_get_strv(struct sp_ctx *c, json_t *obj, const char *path,
		const char *key, size_t max, char ***out, size_t *n)
{
	char p[SP_PATH_MAX], e[SP_PATH_MAX];
	json_t *arr, *v;
	size_t i;
	int r = sp_get_array(c, obj, path, key, false, max, &arr);
	if (r < 0 || !arr)
		return r;
	sp_join(p, sizeof(p), path, key);
	size_t len = json_array_size(arr);
	char **vec = sp_calloc(c, p, len + 1, sizeof(char *));
	if (!vec)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		sp_index(e, sizeof(e), p, i);
		if (!json_is_string(v)) {
			sp_strv_free(vec, i);
			return sp_fail(c, e, "expected a string");
		}
		vec[i] = strdup(json_string_value(v));
		if (!vec[i]) {
			sp_strv_free(vec, i);
			return sp_nomem(c, e);
		}
	}
	sp_strv_free(*out, *n);
	*out = vec;
	*n = len;
	return 0;
}

int sp_get_kv(struct sp_ctx *c, json_t *obj, const char *path,
	      const char *key, struct bh_kv **out, size_t *n)
{
	char p[SP_PATH_MAX], e[SP_PATH_MAX];
	json_t *o, *v;
	const char *k;
	int r = sp_get_object(c, obj, path, key, false, &o);
	if (r < 0 || !o)
		return r;
	sp_join(p, sizeof(p), path, key);
	size_t len = json_object_size(o);
	if (len > SP_MAX_ENV)
		return sp_fail(c, p, "too many entries (%zu, at most %d)", len, SP_MAX_ENV);
	struct bh_kv *kv = sp_calloc(c, p, len, sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	size_t i = 0;
	json_object_foreach(o, k, v) {
		sp_join(e, sizeof(e), p, k);
		if (!json_is_string(v)) {
			sp_kv_free(kv, i);
			return sp_fail(c, e, "expected a string");
		}
		kv[i].key = strdup(k);
		kv[i].value = strdup(json_string_value(v));
		i++;
		if (!kv[i - 1].key || !kv[i - 1].value) {
			sp_kv_free(kv, i);
			return sp_nomem(c, e);
		}
	}
	sp_kv_free(*out, *n);
	*out = kv;
	*n = len;
	return 0;
}

/* ---- hooks ---- */

static const char *const hook_keys[] = { "path", "args", "env", "timeout", NULL };

static int spec_parse_hook_list(struct sp_ctx *c, json_t *hooks, const char *path,
				const char *key, struct bh_spec_hook_list *out)
{
	char p[SP_PATH_MAX], e[SP_PATH_MAX];
	json_t *arr, *h;
	size_t i;
	int r = sp_get_array(c, hooks, path, key, false, SP_MAX_LIST, &arr);
	if (r < 0 || !arr)
		return r;
	sp_join(p, sizeof(p), path, key);
	out->hooks = sp_calloc(c, p, json_array_size(arr), sizeof(*out->hooks));
	if (!out->hooks)
		return -ENOMEM;
	out->n = json_array_size(arr);
	json_array_foreach(arr, i, h) {
		struct bh_spec_hook *hk = &out->hooks[i];
		hk->timeout = BH_UNSET;
		sp_index(e, sizeof(e), p, i);
		if (!json_is_object(h))
			return sp_fail(c, e, "expected an object");
		sp_check_keys(c, h, e, hook_keys, NULL);
		if ((r = sp_get_string(c, h, e, "path", true, &hk->path)) < 0 ||
		    (r = sp_get_strv(c, h, e, "args", SP_MAX_ARGS, &hk->args, &hk->n_args)) < 0 ||
		    (r = sp_get_strv(c, h, e, "env", SP_MAX_ENV, &hk->env, &hk->n_env)) < 0 ||
		    (r = sp_get_int(c, h, e, "timeout", false, 1, INT32_MAX, &hk->timeout)) < 0)
			return r;
		if (hk->path[0] != '/') {
			char pp[SP_PATH_MAX];
			sp_join(pp, sizeof(pp), e, "path");
			return sp_fail(c, pp, "must be an absolute path");
		}
	}
	return 0;
}

static int spec_parse_hooks(struct sp_ctx *c, json_t *root, struct bh_spec *spec)
{
	static const char *const keys[] = { "prestart", "createRuntime",
		"createContainer", "startContainer", "poststart", "poststop", NULL };
	struct bh_spec_hook_list *lists[] = { &spec->hooks.prestart,
		&spec->hooks.create_runtime, &spec->hooks.create_container,
		&spec->hooks.start_container, &spec->hooks.poststart,
		&spec->hooks.poststop };
	json_t *hooks;
	int r = sp_get_object(c, root, "", "hooks", false, &hooks);
	if (r < 0 || !hooks)
		return r;
	sp_check_keys(c, hooks, "hooks", keys, NULL);
	for (size_t i = 0; keys[i]; i++)
		if ((r = spec_parse_hook_list(c, hooks, "hooks", keys[i], lists[i])) < 0)
			return r;
	return 0;
}

static void spec_hook_list_free(struct bh_spec_hook_list *l)
{
	for (size_t i = 0; l->hooks && i < l->n; i++) {
		free(l->hooks[i].path);
		sp_strv_free(l->hooks[i].args, l->hooks[i].n_args);
		sp_strv_free(l->hooks[i].env, l->hooks[i].n_env);
	}
	free(l->hooks);
}

/* ---- top level ---- */

static int spec_root(struct sp_ctx *c, json_t *root, const char *bundle,
		     struct bh_spec *spec)
{
	static const char *const keys[] = { "path", "readonly", NULL };
	json_t *o;
	_cleanup_free_ char *path = NULL;
	int r = sp_get_object(c, root, "", "root", true, &o);
	if (r < 0)
		return r;
	sp_check_keys(c, o, "root", keys, NULL);
	if ((r = sp_get_string(c, o, "root", "path", true, &path)) < 0 ||
	    (r = sp_get_bool(c, o, "root", "readonly", &spec->root_readonly)) < 0)
		return r;
	if (!*path)
		return sp_fail(c, "root.path", "must not be empty");
	if (path[0] == '/') {
		spec->root_path = bh_steal_ptr(&path);
		return 0;
	}
	if (!bundle || bundle[0] != '/')
		return sp_fail(c, "root.path", "relative path \"%s\" needs an absolute bundle directory", path);
	const char *rel = path;
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	if (asprintf(&spec->root_path, "%s/%s", bundle, rel) < 0) {
		spec->root_path = NULL;
		return sp_nomem(c, "root.path");
	}
	return 0;
}

static const char *const top_keys[] = { "ociVersion", "root", "process",
	"hostname", "domainname", "mounts", "hooks", "annotations", "linux", NULL };
static const char *const top_unsupported[] = { "solaris", "windows", "vm",
	"zos", NULL };

static int spec_parse_labeled(const char *json, size_t len, const char *bundle,
			      const char *label, struct bh_spec **out,
			      struct bh_error *err)
{
	struct sp_ctx c = { .file = label, .err = err };
	json_error_t jerr;
	json_t *obj;
	json_t *proc, *lnx;
	int r;

	*out = NULL;
	if (len > SP_MAX_FILE)
		return sp_fail(&c, NULL, "too large (%zu bytes, at most %u)", len, SP_MAX_FILE);
	obj = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		return sp_fail(&c, NULL, "invalid JSON at line %d column %d: %s",
			       jerr.line, jerr.column, jerr.text);
	struct bh_spec *spec = calloc(1, sizeof(*spec));
	if (!spec) {
		json_decref(obj);
		return sp_nomem(&c, NULL);
	}
	if (!json_is_object(obj)) {
		r = sp_fail(&c, NULL, "expected a JSON object at the top level");
		goto fail;
	}
	sp_check_keys(&c, obj, "", top_keys, top_unsupported);
	if ((r = sp_get_string(&c, obj, "", "ociVersion", true, &spec->oci_version)) < 0)
		goto fail;
	if (strncmp(spec->oci_version, "1.", 2) != 0) {
		r = sp_fail(&c, "ociVersion", "unsupported version \"%s\" (want 1.x)",
			    spec->oci_version);
		goto fail;
	}
	if (bundle && !(spec->bundle = strdup(bundle))) {
		r = sp_nomem(&c, NULL);
		goto fail;
	}
	if ((r = spec_root(&c, obj, bundle, spec)) < 0 ||
	    (r = sp_get_object(&c, obj, "", "process", false, &proc)) < 0 ||
	    (proc && (r = sp_parse_process(&c, proc, "process", &spec->process)) < 0) ||
	    (r = sp_get_string(&c, obj, "", "hostname", false, &spec->hostname)) < 0 ||
	    (r = sp_get_string(&c, obj, "", "domainname", false, &spec->domainname)) < 0 ||
	    (r = sp_parse_mounts(&c, obj, spec)) < 0 ||
	    (r = spec_parse_hooks(&c, obj, spec)) < 0 ||
	    (r = sp_get_kv(&c, obj, "", "annotations", &spec->annotations,
			   &spec->n_annotations)) < 0 ||
	    (r = sp_get_object(&c, obj, "", "linux", false, &lnx)) < 0)
		goto fail;
	if ((r = sp_parse_linux(&c, lnx, "linux", &spec->linux)) < 0)
		goto fail;
	json_decref(obj);
	*out = spec;
	return 0;
fail:
	json_decref(obj);
	bh_spec_free(spec);
	return r;
}

int bh_spec_parse(const char *json, size_t len, const char *bundle,
		  struct bh_spec **out, struct bh_error *err)
{
	return spec_parse_labeled(json, len, bundle, "config.json", out, err);
}

/* Read a whole regular file of at most max bytes. */
static int spec_read_file(const char *path, size_t max, char **buf, size_t *len,
			  struct bh_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0)
		return bh_error_set(err, errno, "%s", path);
	if (fstat(fd, &st) < 0)
		return bh_error_set(err, errno, "%s: stat", path);
	if (!S_ISREG(st.st_mode))
		return bh_error_setx(err, EINVAL, "%s: not a regular file", path);
	if ((size_t)st.st_size > max)
		return bh_error_setx(err, EFBIG, "%s: too large (%lld bytes, at most %zu)",
				     path, (long long)st.st_size, max);
	char *b = malloc(max + 1);
	if (!b)
		return bh_error_set(err, ENOMEM, "%s", path);
	size_t n = 0;
	for (;;) {
		ssize_t k = read(fd, b + n, max + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			free(b);
			return bh_error_set(err, e, "%s: read", path);
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max) {
			free(b);
			return bh_error_setx(err, EFBIG, "%s: too large (more than %zu bytes)", path, max);
		}
	}
	*buf = b;
	*len = n;
	return 0;
}

int bh_spec_load(const char *bundle, struct bh_spec **out, struct bh_error *err)
{
	_cleanup_free_ char *dir = NULL, *file = NULL, *buf = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	dir = realpath(bundle, NULL);
	if (!dir)
		return bh_error_set(err, errno, "bundle %s", bundle);
	if (asprintf(&file, "%s/config.json", dir) < 0) {
		file = NULL;
		return bh_error_set(err, ENOMEM, "bundle %s", bundle);
	}
	if ((r = spec_read_file(file, SP_MAX_FILE, &buf, &len, err)) < 0)
		return r;
	return spec_parse_labeled(buf, len, dir, file, out, err);
}

int bh_spec_parse_process(const char *json, size_t len,
			  struct bh_spec_process **out, struct bh_error *err)
{
	struct sp_ctx c = { .file = "process.json", .err = err };
	json_error_t jerr;
	*out = NULL;
	if (len > SP_MAX_FILE)
		return sp_fail(&c, NULL, "too large (%zu bytes, at most %u)", len, SP_MAX_FILE);
	json_t *obj = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		return sp_fail(&c, NULL, "invalid JSON at line %d column %d: %s",
			       jerr.line, jerr.column, jerr.text);
	int r;
	if (!json_is_object(obj))
		r = sp_fail(&c, NULL, "expected a JSON object at the top level");
	else
		r = sp_parse_process(&c, obj, "", out);
	json_decref(obj);
	return r;
}

void bh_spec_free(struct bh_spec *spec)
{
	if (!spec)
		return;
	free(spec->oci_version);
	free(spec->root_path);
	bh_spec_process_free(spec->process);
	free(spec->hostname);
	free(spec->domainname);
	sp_mounts_free(spec->mounts, spec->n_mounts);
	spec_hook_list_free(&spec->hooks.prestart);
	spec_hook_list_free(&spec->hooks.create_runtime);
	spec_hook_list_free(&spec->hooks.create_container);
	spec_hook_list_free(&spec->hooks.start_container);
	spec_hook_list_free(&spec->hooks.poststart);
	spec_hook_list_free(&spec->hooks.poststop);
	sp_kv_free(spec->annotations, spec->n_annotations);
	sp_linux_free(&spec->linux);
	free(spec->bundle);
	free(spec);
}

const char *bh_spec_annotation(const struct bh_spec *spec, const char *key)
{
	for (size_t i = 0; spec && i < spec->n_annotations; i++)
		if (strcmp(spec->annotations[i].key, key) == 0)
			return spec->annotations[i].value;
	return NULL;
}

const struct bh_spec_namespace *bh_spec_namespace(const struct bh_spec *spec, int type)
{
	for (size_t i = 0; spec && i < spec->linux.n_namespaces; i++)
		if (spec->linux.namespaces[i].type == type)
			return &spec->linux.namespaces[i];
	return NULL;
}
