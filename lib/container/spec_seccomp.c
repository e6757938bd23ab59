/* config.json "linux.seccomp" (OCI format): default action, architectures,
 * flags and the syscall rules with their argument comparisons.  Syscall
 * names are not resolved here: a profile naming a syscall this kernel or
 * architecture lacks must still load (the filter builder skips those). */
#include "container/spec_internal.h"

#include <ctype.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum bh_seccomp_action action;
} sc_actions[] = {
	{ "SCMP_ACT_KILL", BH_SCMP_KILL_THREAD },
	{ "SCMP_ACT_KILL_THREAD", BH_SCMP_KILL_THREAD },
	{ "SCMP_ACT_KILL_PROCESS", BH_SCMP_KILL_PROCESS },
	{ "SCMP_ACT_TRAP", BH_SCMP_TRAP },
	{ "SCMP_ACT_ERRNO", BH_SCMP_ERRNO },
	{ "SCMP_ACT_TRACE", BH_SCMP_TRACE },
	{ "SCMP_ACT_ALLOW", BH_SCMP_ALLOW },
	{ "SCMP_ACT_LOG", BH_SCMP_LOG },
	{ "SCMP_ACT_NOTIFY", BH_SCMP_NOTIFY },
};

static const struct {
	const char *name;
	enum bh_seccomp_op op;
} sc_ops[] = {
	{ "SCMP_CMP_NE", BH_SCMP_OP_NE }, { "SCMP_CMP_LT", BH_SCMP_OP_LT },
	{ "SCMP_CMP_LE", BH_SCMP_OP_LE }, { "SCMP_CMP_EQ", BH_SCMP_OP_EQ },
	{ "SCMP_CMP_GE", BH_SCMP_OP_GE }, { "SCMP_CMP_GT", BH_SCMP_OP_GT },
	{ "SCMP_CMP_MASKED_EQ", BH_SCMP_OP_MASKED_EQ },
};

static const char *const sc_flags[] = { "SECCOMP_FILTER_FLAG_TSYNC",
	"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };

static int sc_action(struct sp_ctx *c, json_t *obj, const char *path,
		     const char *key, enum bh_seccomp_action *out)
{
	char *s = NULL;
	char fp[SP_PATH_MAX];
	int r = sp_get_string(c, obj, path, key, true, &s);
	if (r < 0)
		return r;
	sp_join(fp, sizeof(fp), path, key);
	for (size_t i = 0; i < sizeof(sc_actions) / sizeof(sc_actions[0]); i++)
		if (strcmp(s, sc_actions[i].name) == 0) {
			*out = sc_actions[i].action;
			free(s);
			return 0;
		}
	r = sp_fail(c, fp, "unknown seccomp action \"%s\"", s);
	free(s);
	return r;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64". */
static bool sc_arch_known(const char *name)
{
	char low[32];
	size_t n;
	if (strncmp(name, "SCMP_ARCH_", 10) != 0)
		return false;
	name += 10;
	for (n = 0; name[n] && n + 1 < sizeof(low); n++)
		low[n] = (char)tolower((unsigned char)name[n]);
	if (name[n])
		return false;
	low[n] = '\0';
	return seccomp_arch_resolve_name(low) != 0;
}

static int sc_args(struct sp_ctx *c, json_t *obj, const char *path,
		   struct bh_spec_seccomp_rule *rule)
{
	static const char *const keys[] = { "index", "value", "valueTwo", "op", NULL };
	char ap[SP_PATH_MAX], e[SP_PATH_MAX], fp[SP_PATH_MAX];
	json_t *arr, *v;
	size_t i;
	int r = sp_get_array(c, obj, path, "args", false, 6, &arr);
	if (r < 0 || !arr)
		return r;
	sp_join(ap, sizeof(ap), path, "args");
	rule->args = sp_calloc(c, ap, json_array_size(arr), sizeof(*rule->args));
	if (!rule->args)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		struct bh_spec_seccomp_arg *a = &rule->args[i];
		int64_t index = 0, value = 0, value2 = 0;
		char *op = NULL;
		sp_index(e, sizeof(e), ap, i);
		if (!json_is_object(v))
			return sp_fail(c, e, "expected an object");
		sp_check_keys(c, v, e, keys, NULL);
		if ((r = sp_get_int(c, v, e, "index", true, 0, 5, &index)) < 0 ||
		    (r = sp_get_int(c, v, e, "value", true, 0, INT64_MAX, &value)) < 0 ||
		    (r = sp_get_int(c, v, e, "valueTwo", false, 0, INT64_MAX, &value2)) < 0 ||
		    (r = sp_get_string(c, v, e, "op", true, &op)) < 0)
			return r;
		sp_join(fp, sizeof(fp), e, "op");
		r = -EINVAL;
		for (size_t k = 0; k < sizeof(sc_ops) / sizeof(sc_ops[0]); k++)
			if (strcmp(op, sc_ops[k].name) == 0) {
				a->op = sc_ops[k].op;
				r = 0;
			}
		if (r < 0)
			sp_fail(c, fp, "unknown seccomp operator \"%s\"", op);
		free(op);
		if (r < 0)
			return r;
		a->index = (unsigned)index;
		a->value = (uint64_t)value;
		a->value_two = (uint64_t)value2;
		rule->n_args = i + 1;
	}
	return 0;
}

static int sc_rules(struct sp_ctx *c, json_t *obj, const char *path,
		    struct bh_spec_seccomp *s)
{
	static const char *const keys[] = { "names", "action", "errnoRet", "args", NULL };
	static const char *const unsupported[] = { "comment", "includes", "excludes", NULL };
	char ap[SP_PATH_MAX], e[SP_PATH_MAX], fp[SP_PATH_MAX];
	json_t *arr, *v;
	size_t i;
	int r = sp_get_array(c, obj, path, "syscalls", false, SP_MAX_SYSCALLS, &arr);
	if (r < 0 || !arr)
		return r;
	sp_join(ap, sizeof(ap), path, "syscalls");
	s->rules = sp_calloc(c, ap, json_array_size(arr), sizeof(*s->rules));
	if (!s->rules)
		return -ENOMEM;
	s->n_rules = json_array_size(arr);
	json_array_foreach(arr, i, v) {
		struct bh_spec_seccomp_rule *rule = &s->rules[i];
		rule->errno_ret = BH_UNSET;
		sp_index(e, sizeof(e), ap, i);
		if (!json_is_object(v))
			return sp_fail(c, e, "expected an object");
		sp_check_keys(c, v, e, keys, unsupported);
		if ((r = sp_get_strv(c, v, e, "names", SP_MAX_SYSCALLS, &rule->names, &rule->n_names)) < 0 ||
		    (r = sc_action(c, v, e, "action", &rule->action)) < 0 ||
		    (r = sp_get_int(c, v, e, "errnoRet", false, 0, 4095, &rule->errno_ret)) < 0 ||
		    (r = sc_args(c, v, e, rule)) < 0)
			return r;
		sp_join(fp, sizeof(fp), e, "names");
		if (rule->n_names == 0)
			return sp_fail(c, fp, "must contain at least one syscall name");
		for (size_t k = 0; k < rule->n_names; k++)
			if (!rule->names[k][0]) {
				sp_index(e, sizeof(e), fp, k);
				return sp_fail(c, e, "must not be empty");
			}
	}
	return 0;
}

int sp_parse_seccomp(struct sp_ctx *c, json_t *obj, const char *path,
		     struct bh_spec_seccomp **out)
{
	static const char *const keys[] = { "defaultAction", "defaultErrnoRet",
		"architectures", "flags", "syscalls", NULL };
	static const char *const unsupported[] = { "listenerPath",
		"listenerMetadata", NULL };
	char fp[SP_PATH_MAX], e[SP_PATH_MAX];
	int r;
	struct bh_spec_seccomp *s = sp_calloc(c, path, 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->default_errno = BH_UNSET;
	sp_check_keys(c, obj, path, keys, unsupported);
	if ((r = sc_action(c, obj, path, "defaultAction", &s->default_action)) < 0 ||
	    (r = sp_get_int(c, obj, path, "defaultErrnoRet", false, 0, 4095, &s->default_errno)) < 0 ||
	    (r = sp_get_strv(c, obj, path, "architectures", 64, &s->architectures, &s->n_architectures)) < 0 ||
	    (r = sp_get_strv(c, obj, path, "flags", 16, &s->flags, &s->n_flags)) < 0 ||
	    (r = sc_rules(c, obj, path, s)) < 0)
		goto fail;
	sp_join(fp, sizeof(fp), path, "architectures");
	for (size_t i = 0; i < s->n_architectures; i++)
		if (!sc_arch_known(s->architectures[i])) {
			sp_index(e, sizeof(e), fp, i);
			r = sp_fail(c, e, "unknown architecture \"%s\"", s->architectures[i]);
			goto fail;
		}
	sp_join(fp, sizeof(fp), path, "flags");
	for (size_t i = 0; i < s->n_flags; i++) {
		bool ok = false;
		for (size_t k = 0; sc_flags[k]; k++)
			ok |= strcmp(s->flags[i], sc_flags[k]) == 0;
		if (!ok) {
			sp_index(e, sizeof(e), fp, i);
			r = sp_fail(c, e, "unknown seccomp flag \"%s\"", s->flags[i]);
			goto fail;
		}
	}
	/* A notify action needs a listener, which we do not implement. */
	bool notify = s->default_action == BH_SCMP_NOTIFY;
	for (size_t i = 0; i < s->n_rules; i++)
		notify |= s->rules[i].action == BH_SCMP_NOTIFY;
	if (notify) {
		r = sp_fail(c, path, "SCMP_ACT_NOTIFY is not supported");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	sp_seccomp_free(s);
	return r;
}

void sp_seccomp_free(struct bh_spec_seccomp *s)
{
	if (!s)
		return;
	sp_strv_free(s->architectures, s->n_architectures);
	sp_strv_free(s->flags, s->n_flags);
	for (size_t i = 0; s->rules && i < s->n_rules; i++) {
		sp_strv_free(s->rules[i].names, s->rules[i].n_names);
		free(s->rules[i].args);
	}
	free(s->rules);
	free(s);
}

int bh_spec_parse_seccomp(const char *json, size_t len,
			  struct bh_spec_seccomp **out, struct bh_error *err)
{
	struct sp_ctx c = { .file = "seccomp profile", .err = err };
	json_error_t jerr;
	*out = NULL;
	if (len > SP_MAX_FILE)
		return sp_fail(&c, NULL, "too large (%zu bytes, at most %u)", len, SP_MAX_FILE);
	json_t *obj = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		return sp_fail(&c, NULL, "invalid JSON at line %d column %d: %s",
			       jerr.line, jerr.column, jerr.text);
	int r = json_is_object(obj) ? sp_parse_seccomp(&c, obj, "", out)
				    : sp_fail(&c, NULL, "expected a JSON object at the top level");
	json_decref(obj);
	return r;
}

void bh_spec_seccomp_free(struct bh_spec_seccomp *s)
{
	sp_seccomp_free(s);
}
