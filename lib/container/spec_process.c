/* config.json "process" (and the standalone object of exec --process):
 * args, env, cwd, user, capabilities, rlimits, noNewPrivileges... */
#include "container/spec_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "util/log.h"

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

static int proc_rlimits(struct sp_ctx *c, json_t *obj, const char *path,
			struct bh_spec_process *p)
{
	static const char *const keys[] = { "type", "soft", "hard", NULL };
	char ap[SP_PATH_MAX], e[SP_PATH_MAX];
	json_t *arr, *v;
	size_t i;
	int r = sp_get_array(c, obj, path, "rlimits", false, 64, &arr);
	if (r < 0 || !arr)
		return r;
	sp_join(ap, sizeof(ap), path, "rlimits");
	p->rlimits = sp_calloc(c, ap, json_array_size(arr), sizeof(*p->rlimits));
	if (!p->rlimits)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		char *type = NULL;
		int64_t soft = 0, hard = 0;
		sp_index(e, sizeof(e), ap, i);
		if (!json_is_object(v))
			return sp_fail(c, e, "expected an object");
		sp_check_keys(c, v, e, keys, NULL);
		if ((r = sp_get_string(c, v, e, "type", true, &type)) < 0)
			return r;
		int res = -1;
		for (size_t k = 0; k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
			if (strcmp(type, rlimit_names[k].name) == 0)
				res = rlimit_names[k].resource;
		if (res < 0) {
			r = sp_fail(c, e, "unknown rlimit type \"%s\"", type);
			free(type);
			return r;
		}
		for (size_t k = 0; k < p->n_rlimits; k++)
			if (p->rlimits[k].resource == res) {
				r = sp_fail(c, e, "duplicate rlimit type \"%s\"", type);
				free(type);
				return r;
			}
		free(type);
		if ((r = sp_get_int(c, v, e, "soft", true, 0, INT64_MAX, &soft)) < 0 ||
		    (r = sp_get_int(c, v, e, "hard", true, 0, INT64_MAX, &hard)) < 0)
			return r;
		if (soft > hard)
			return sp_fail(c, e, "soft limit %lld is above hard limit %lld",
				       (long long)soft, (long long)hard);
		p->rlimits[p->n_rlimits].resource = res;
		p->rlimits[p->n_rlimits].soft = (uint64_t)soft;
		p->rlimits[p->n_rlimits].hard = (uint64_t)hard;
		p->n_rlimits++;
	}
	return 0;
}

/* "CAP_SYS_ADMIN" -> bit.  Only the exact upper-case OCI spelling:
 * libcap would also take "12" or "cap_chown,cap_kill". */
static int proc_cap_value(struct sp_ctx *c, const char *path, const char *name,
			  uint64_t *mask)
{
	cap_value_t v;
	size_t len = strlen(name);
	bool ok = len > 4 && len < 64 && strncmp(name, "CAP_", 4) == 0;
	for (size_t i = 4; ok && i < len; i++)
		ok = (name[i] >= 'A' && name[i] <= 'Z') || name[i] == '_' ||
		     (name[i] >= '0' && name[i] <= '9');
	if (!ok || cap_from_name(name, &v) != 0 || v < 0 || v > 63)
		return sp_fail(c, path, "unknown capability \"%s\"", name);
	*mask |= 1ULL << v;
	return 0;
}

static int proc_caps(struct sp_ctx *c, json_t *obj, const char *path,
		     struct bh_spec_caps *caps)
{
	static const char *const keys[] = { "bounding", "effective",
		"inheritable", "permitted", "ambient", NULL };
	uint64_t *masks[] = { &caps->bounding, &caps->effective,
		&caps->inheritable, &caps->permitted, &caps->ambient };
	char cp[SP_PATH_MAX], sp[SP_PATH_MAX], e[SP_PATH_MAX];
	json_t *o, *arr, *v;
	size_t i;
	int r = sp_get_object(c, obj, path, "capabilities", false, &o);
	if (r < 0 || !o)
		return r;
	sp_join(cp, sizeof(cp), path, "capabilities");
	caps->present = true;
	sp_check_keys(c, o, cp, keys, NULL);
	for (size_t k = 0; keys[k]; k++) {
		if ((r = sp_get_array(c, o, cp, keys[k], false, 256, &arr)) < 0)
			return r;
		if (!arr)
			continue;
		sp_join(sp, sizeof(sp), cp, keys[k]);
		json_array_foreach(arr, i, v) {
			sp_index(e, sizeof(e), sp, i);
			if (!json_is_string(v))
				return sp_fail(c, e, "expected a string");
			if ((r = proc_cap_value(c, e, json_string_value(v), masks[k])) < 0)
				return r;
		}
	}
	return 0;
}

static int proc_user(struct sp_ctx *c, json_t *obj, const char *path,
		     struct bh_spec_user *u)
{
	static const char *const keys[] = { "uid", "gid", "umask", "additionalGids", NULL };
	static const char *const unsupported[] = { "username", NULL };
	char up[SP_PATH_MAX], ap[SP_PATH_MAX], e[SP_PATH_MAX];
	json_t *o, *arr, *v;
	int64_t uid = 0, gid = 0;
	size_t i;
	int r = sp_get_object(c, obj, path, "user", false, &o);
	if (r < 0 || !o)
		return r;
	sp_join(up, sizeof(up), path, "user");
	sp_check_keys(c, o, up, keys, unsupported);
	/* (uid_t)-1 means "unchanged" to setresuid: never a valid id. */
	if ((r = sp_get_int(c, o, up, "uid", true, 0, UINT32_MAX - 1, &uid)) < 0 ||
	    (r = sp_get_int(c, o, up, "gid", true, 0, UINT32_MAX - 1, &gid)) < 0 ||
	    (r = sp_get_int(c, o, up, "umask", false, 0, 0777, &u->umask)) < 0 ||
	    (r = sp_get_array(c, o, up, "additionalGids", false, 65536, &arr)) < 0)
		return r;
	u->uid = (uid_t)uid;
	u->gid = (gid_t)gid;
	if (!arr)
		return 0;
	sp_join(ap, sizeof(ap), up, "additionalGids");
	u->additional_gids = sp_calloc(c, ap, json_array_size(arr), sizeof(gid_t));
	if (!u->additional_gids)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		int64_t g;
		sp_index(e, sizeof(e), ap, i);
		if ((r = sp_int_value(c, v, e, 0, UINT32_MAX - 1, &g)) < 0)
			return r;
		u->additional_gids[u->n_additional_gids++] = (gid_t)g;
	}
	return 0;
}

static int proc_console(struct sp_ctx *c, json_t *obj, const char *path,
			struct bh_spec_process *p)
{
	static const char *const keys[] = { "height", "width", NULL };
	char cp[SP_PATH_MAX];
	json_t *o;
	int64_t h = 0, w = 0;
	int r = sp_get_object(c, obj, path, "consoleSize", false, &o);
	if (r < 0 || !o)
		return r;
	sp_join(cp, sizeof(cp), path, "consoleSize");
	sp_check_keys(c, o, cp, keys, NULL);
	if ((r = sp_get_int(c, o, cp, "height", true, 0, UINT16_MAX, &h)) < 0 ||
	    (r = sp_get_int(c, o, cp, "width", true, 0, UINT16_MAX, &w)) < 0)
		return r;
	p->console_height = (unsigned)h;
	p->console_width = (unsigned)w;
	return 0;
}

static int proc_check(struct sp_ctx *c, const char *path, struct bh_spec_process *p)
{
	char e[SP_PATH_MAX], ap[SP_PATH_MAX];
	sp_join(ap, sizeof(ap), path, "args");
	if (p->n_args == 0)
		return sp_fail(c, ap, "must contain at least one element");
	if (!p->args[0][0]) {
		sp_index(e, sizeof(e), ap, 0);
		return sp_fail(c, e, "must not be empty");
	}
	sp_join(ap, sizeof(ap), path, "cwd");
	if (p->cwd[0] != '/')
		return sp_fail(c, ap, "must be an absolute path, not \"%s\"", p->cwd);
	sp_join(ap, sizeof(ap), path, "env");
	for (size_t i = 0; i < p->n_env; i++) {
		const char *eq = strchr(p->env[i], '=');
		if (!eq || eq == p->env[i]) {
			sp_index(e, sizeof(e), ap, i);
			return sp_fail(c, e, "expected KEY=VALUE, not \"%s\"", p->env[i]);
		}
	}
	return 0;
}

static const char *const proc_keys[] = { "terminal", "consoleSize", "args",
	"env", "cwd", "user", "capabilities", "rlimits", "noNewPrivileges",
	"oomScoreAdj", "apparmorProfile", "selinuxLabel", NULL };
static const char *const proc_unsupported[] = { "commandLine", "ioPriority",
	"scheduler", "execCPUAffinity", NULL };

int sp_parse_process(struct sp_ctx *c, json_t *obj, const char *path,
		     struct bh_spec_process **out)
{
	struct bh_spec_process *p = sp_calloc(c, path, 1, sizeof(*p));
	int r;
	if (!p)
		return -ENOMEM;
	p->user.umask = BH_UNSET;
	p->oom_score_adj = BH_UNSET;
	sp_check_keys(c, obj, path, proc_keys, proc_unsupported);
	if ((r = sp_get_bool(c, obj, path, "terminal", &p->terminal)) < 0 ||
	    (r = proc_console(c, obj, path, p)) < 0 ||
	    (r = sp_get_strv(c, obj, path, "args", SP_MAX_ARGS, &p->args, &p->n_args)) < 0 ||
	    (r = sp_get_strv(c, obj, path, "env", SP_MAX_ENV, &p->env, &p->n_env)) < 0 ||
	    (r = sp_get_string(c, obj, path, "cwd", true, &p->cwd)) < 0 ||
	    (r = proc_user(c, obj, path, &p->user)) < 0 ||
	    (r = proc_caps(c, obj, path, &p->caps)) < 0 ||
	    (r = proc_rlimits(c, obj, path, p)) < 0 ||
	    (r = sp_get_bool(c, obj, path, "noNewPrivileges", &p->no_new_privileges)) < 0 ||
	    (r = sp_get_int(c, obj, path, "oomScoreAdj", false, -1000, 1000, &p->oom_score_adj)) < 0 ||
	    (r = sp_get_string(c, obj, path, "apparmorProfile", false, &p->apparmor_profile)) < 0 ||
	    (r = sp_get_string(c, obj, path, "selinuxLabel", false, &p->selinux_label)) < 0)
		goto fail;
	if (!p->args) {
		char ap[SP_PATH_MAX];
		sp_join(ap, sizeof(ap), path, "args");
		r = sp_fail(c, ap, "required field is missing");
		goto fail;
	}
	if (!p->env && !(p->env = sp_calloc(c, path, 1, sizeof(char *)))) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = proc_check(c, path, p)) < 0)
		goto fail;
	if (p->apparmor_profile && *p->apparmor_profile) {
		char ap[SP_PATH_MAX];
		sp_join(ap, sizeof(ap), path, "apparmorProfile");
		sp_warn(c, ap, "AppArmor is not supported; profile \"%s\" ignored",
			p->apparmor_profile);
	}
	*out = p;
	return 0;
fail:
	bh_spec_process_free(p);
	return r;
}

void bh_spec_process_free(struct bh_spec_process *p)
{
	if (!p)
		return;
	sp_strv_free(p->args, p->n_args);
	sp_strv_free(p->env, p->n_env);
	free(p->cwd);
	free(p->user.additional_gids);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	free(p);
}
