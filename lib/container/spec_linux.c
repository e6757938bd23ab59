/* config.json "linux": namespaces, id mappings, device nodes, resources
 * (cgroup limits and the device allow-list), sysctl, masked/read-only
 * paths, rootfs propagation.  Seccomp lives in spec_seccomp.c. */
#include "container/spec_internal.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *name;
	int type;
} ns_types[] = {
	{ "pid", CLONE_NEWPID }, { "network", CLONE_NEWNET },
	{ "mount", CLONE_NEWNS }, { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS }, { "user", CLONE_NEWUSER },
	{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

static int lx_namespaces(struct sp_ctx *c, json_t *obj, const char *path,
			 struct bh_spec_linux *l)
{
	static const char *const keys[] = { "type", "path", NULL };
	char ap[SP_PATH_MAX], e[SP_PATH_MAX], fp[SP_PATH_MAX];
	json_t *arr, *v;
	size_t i;
	int r = sp_get_array(c, obj, path, "namespaces", false, 16, &arr);
	if (r < 0 || !arr)
		return r;
	sp_join(ap, sizeof(ap), path, "namespaces");
	l->namespaces = sp_calloc(c, ap, json_array_size(arr), sizeof(*l->namespaces));
	if (!l->namespaces)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		char *type = NULL;
		struct bh_spec_namespace *ns = &l->namespaces[l->n_namespaces];
		sp_index(e, sizeof(e), ap, i);
		if (!json_is_object(v))
			return sp_fail(c, e, "expected an object");
		sp_check_keys(c, v, e, keys, NULL);
		if ((r = sp_get_string(c, v, e, "type", true, &type)) < 0)
			return r;
		int t = 0;
		for (size_t k = 0; k < sizeof(ns_types) / sizeof(ns_types[0]); k++)
			if (strcmp(type, ns_types[k].name) == 0)
				t = ns_types[k].type;
		sp_join(fp, sizeof(fp), e, "type");
		if (!t)
			r = sp_fail(c, fp, "unknown namespace type \"%s\"", type);
		for (size_t k = 0; r == 0 && k < l->n_namespaces; k++)
			if (l->namespaces[k].type == t)
				r = sp_fail(c, fp, "duplicate namespace \"%s\"", type);
		free(type);
		if (r < 0)
			return r;
		ns->type = t;
		l->n_namespaces++;
		if ((r = sp_get_string(c, v, e, "path", false, &ns->path)) < 0)
			return r;
		if (ns->path && ns->path[0] != '/') {
			sp_join(fp, sizeof(fp), e, "path");
			return sp_fail(c, fp, "must be an absolute path, not \"%s\"", ns->path);
		}
	}
	return 0;
}

static int lx_idmaps(struct sp_ctx *c, json_t *obj, const char *path,
		     const char *key, struct bh_spec_idmap **out, size_t *n)
{
	static const char *const keys[] = { "containerID", "hostID", "size", NULL };
	char ap[SP_PATH_MAX], e[SP_PATH_MAX];
	json_t *arr, *v;
	size_t i;
	/* The kernel takes at most 340 extents per map. */
	int r = sp_get_array(c, obj, path, key, false, 340, &arr);
	if (r < 0 || !arr)
		return r;
	sp_join(ap, sizeof(ap), path, key);
	*out = sp_calloc(c, ap, json_array_size(arr), sizeof(**out));
	if (!*out)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		int64_t cid = 0, hid = 0, size = 0;
		sp_index(e, sizeof(e), ap, i);
		if (!json_is_object(v))
			return sp_fail(c, e, "expected an object");
		sp_check_keys(c, v, e, keys, NULL);
		if ((r = sp_get_int(c, v, e, "containerID", true, 0, UINT32_MAX - 1, &cid)) < 0 ||
		    (r = sp_get_int(c, v, e, "hostID", true, 0, UINT32_MAX - 1, &hid)) < 0 ||
		    (r = sp_get_int(c, v, e, "size", true, 1, UINT32_MAX, &size)) < 0)
			return r;
		if (cid + size > UINT32_MAX || hid + size > UINT32_MAX)
			return sp_fail(c, e, "range overflows 32-bit ids");
		(*out)[i].container_id = (uint32_t)cid;
		(*out)[i].host_id = (uint32_t)hid;
		(*out)[i].size = (uint32_t)size;
		*n = i + 1;
	}
	return 0;
}

static int lx_devices(struct sp_ctx *c, json_t *obj, const char *path,
		      struct bh_spec_linux *l)
{
	static const char *const keys[] = { "type", "path", "major", "minor",
		"fileMode", "uid", "gid", NULL };
	char ap[SP_PATH_MAX], e[SP_PATH_MAX], fp[SP_PATH_MAX];
	json_t *arr, *v;
	size_t i;
	int r = sp_get_array(c, obj, path, "devices", false, SP_MAX_LIST, &arr);
	if (r < 0 || !arr)
		return r;
	sp_join(ap, sizeof(ap), path, "devices");
	l->devices = sp_calloc(c, ap, json_array_size(arr), sizeof(*l->devices));
	if (!l->devices)
		return -ENOMEM;
	l->n_devices = json_array_size(arr);
	json_array_foreach(arr, i, v) {
		struct bh_spec_device *d = &l->devices[i];
		char *type = NULL;
		d->major = d->minor = d->file_mode = d->uid = d->gid = BH_UNSET;
		sp_index(e, sizeof(e), ap, i);
		if (!json_is_object(v))
			return sp_fail(c, e, "expected an object");
		sp_check_keys(c, v, e, keys, NULL);
		if ((r = sp_get_string(c, v, e, "type", true, &type)) < 0)
			return r;
		bool ok = strlen(type) == 1 && strchr("cbup", type[0]);
		d->type = type[0];
		free(type);
		sp_join(fp, sizeof(fp), e, "type");
		if (!ok)
			return sp_fail(c, fp, "expected one of \"c\", \"b\", \"u\", \"p\"");
		bool need = d->type != 'p';
		if ((r = sp_get_string(c, v, e, "path", true, &d->path)) < 0 ||
		    (r = sp_get_int(c, v, e, "major", need, 0, UINT32_MAX, &d->major)) < 0 ||
		    (r = sp_get_int(c, v, e, "minor", need, 0, UINT32_MAX, &d->minor)) < 0 ||
		    (r = sp_get_int(c, v, e, "fileMode", false, 0, 07777, &d->file_mode)) < 0 ||
		    (r = sp_get_int(c, v, e, "uid", false, 0, UINT32_MAX - 1, &d->uid)) < 0 ||
		    (r = sp_get_int(c, v, e, "gid", false, 0, UINT32_MAX - 1, &d->gid)) < 0)
			return r;
		sp_join(fp, sizeof(fp), e, "path");
		if (d->path[0] != '/')
			return sp_fail(c, fp, "must be an absolute path, not \"%s\"", d->path);
		if (sp_has_dotdot(d->path))
			return sp_fail(c, fp, "must not contain \"..\" (\"%s\")", d->path);
	}
	return 0;
}

static int lx_device_rules(struct sp_ctx *c, json_t *obj, const char *path,
			   struct bh_spec_resources *res)
{
	static const char *const keys[] = { "allow", "type", "major", "minor",
		"access", NULL };
	char ap[SP_PATH_MAX], e[SP_PATH_MAX], fp[SP_PATH_MAX];
	json_t *arr, *v;
	size_t i;
	int r = sp_get_array(c, obj, path, "devices", false, SP_MAX_LIST, &arr);
	if (r < 0 || !arr)
		return r;
	sp_join(ap, sizeof(ap), path, "devices");
	res->devices = sp_calloc(c, ap, json_array_size(arr), sizeof(*res->devices));
	if (!res->devices)
		return -ENOMEM;
	res->n_devices = json_array_size(arr);
	json_array_foreach(arr, i, v) {
		struct bh_spec_device_rule *d = &res->devices[i];
		char *type = NULL, *access = NULL;
		sp_index(e, sizeof(e), ap, i);
		if (!json_is_object(v))
			return sp_fail(c, e, "expected an object");
		sp_check_keys(c, v, e, keys, NULL);
		if (!json_object_get(v, "allow") || json_is_null(json_object_get(v, "allow"))) {
			sp_join(fp, sizeof(fp), e, "allow");
			return sp_fail(c, fp, "required field is missing");
		}
		d->major = d->minor = -1;
		if ((r = sp_get_bool(c, v, e, "allow", &d->allow)) < 0 ||
		    (r = sp_get_int(c, v, e, "major", false, -1, UINT32_MAX, &d->major)) < 0 ||
		    (r = sp_get_int(c, v, e, "minor", false, -1, UINT32_MAX, &d->minor)) < 0 ||
		    (r = sp_get_string(c, v, e, "type", false, &type)) < 0)
			return r;
		d->type = type ? type[0] : 'a';
		bool ok = !type || (strlen(type) == 1 && strchr("abc", type[0]));
		free(type);
		if (!ok) {
			sp_join(fp, sizeof(fp), e, "type");
			return sp_fail(c, fp, "expected one of \"a\", \"b\", \"c\"");
		}
		if ((r = sp_get_string(c, v, e, "access", false, &access)) < 0)
			return r;
		if (!access) {
			memcpy(d->access, "rwm", 4);
			continue;
		}
		ok = strlen(access) <= 3 && strspn(access, "rwm") == strlen(access);
		for (size_t k = 0; ok && access[k]; k++)
			ok = !strchr(access + k + 1, access[k]);
		if (ok)
			memcpy(d->access, access, strlen(access) + 1);
		free(access);
		if (!ok) {
			sp_join(fp, sizeof(fp), e, "access");
			return sp_fail(c, fp, "expected a combination of \"r\", \"w\", \"m\"");
		}
	}
	return 0;
}

static int lx_hugepages(struct sp_ctx *c, json_t *obj, const char *path,
			struct bh_spec_resources *res)
{
	static const char *const keys[] = { "pageSize", "limit", NULL };
	char ap[SP_PATH_MAX], e[SP_PATH_MAX];
	json_t *arr, *v;
	size_t i;
	int r = sp_get_array(c, obj, path, "hugepageLimits", false, 16, &arr);
	if (r < 0 || !arr)
		return r;
	sp_join(ap, sizeof(ap), path, "hugepageLimits");
	res->hugepages = sp_calloc(c, ap, json_array_size(arr), sizeof(*res->hugepages));
	if (!res->hugepages)
		return -ENOMEM;
	res->n_hugepages = json_array_size(arr);
	json_array_foreach(arr, i, v) {
		int64_t limit = 0;
		sp_index(e, sizeof(e), ap, i);
		if (!json_is_object(v))
			return sp_fail(c, e, "expected an object");
		sp_check_keys(c, v, e, keys, NULL);
		if ((r = sp_get_string(c, v, e, "pageSize", true, &res->hugepages[i].page_size)) < 0 ||
		    (r = sp_get_int(c, v, e, "limit", true, 0, INT64_MAX, &limit)) < 0)
			return r;
		res->hugepages[i].limit = (uint64_t)limit;
	}
	return 0;
}

static void lx_resources_init(struct bh_spec_resources *res)
{
	res->mem_limit = res->mem_reservation = res->mem_swap = BH_UNSET;
	res->mem_swappiness = BH_UNSET;
	res->cpu_shares = res->cpu_quota = res->cpu_period = res->cpu_idle = BH_UNSET;
	res->pids_limit = BH_UNSET;
	res->blkio_weight = BH_UNSET;
}

static int lx_resources(struct sp_ctx *c, json_t *obj, const char *path,
			struct bh_spec_resources *res)
{
	static const char *const keys[] = { "devices", "memory", "cpu", "pids",
		"blockIO", "hugepageLimits", "unified", NULL };
	static const char *const unsupported[] = { "network", "rdma", NULL };
	static const char *const mem_keys[] = { "limit", "reservation", "swap",
		"swappiness", "disableOOMKiller", NULL };
	static const char *const mem_unsupported[] = { "kernel", "kernelTCP",
		"useHierarchy", "checkBeforeUpdate", NULL };
	static const char *const cpu_keys[] = { "shares", "quota", "period",
		"cpus", "mems", "idle", NULL };
	static const char *const cpu_unsupported[] = { "burst",
		"realtimeRuntime", "realtimePeriod", NULL };
	static const char *const pids_keys[] = { "limit", NULL };
	static const char *const blkio_keys[] = { "weight", NULL };
	static const char *const blkio_unsupported[] = { "leafWeight",
		"weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice",
		"throttleReadIOPSDevice", "throttleWriteIOPSDevice", NULL };
	char rp[SP_PATH_MAX], sp[SP_PATH_MAX];
	json_t *o, *s;
	int r = sp_get_object(c, obj, path, "resources", false, &o);
	if (r < 0 || !o)
		return r;
	res->present = true;
	sp_join(rp, sizeof(rp), path, "resources");
	sp_check_keys(c, o, rp, keys, unsupported);
	if ((r = lx_device_rules(c, o, rp, res)) < 0 ||
	    (r = lx_hugepages(c, o, rp, res)) < 0 ||
	    (r = sp_get_kv(c, o, rp, "unified", &res->unified, &res->n_unified)) < 0)
		return r;

	if ((r = sp_get_object(c, o, rp, "memory", false, &s)) < 0)
		return r;
	sp_join(sp, sizeof(sp), rp, "memory");
	if (s) {
		sp_check_keys(c, s, sp, mem_keys, mem_unsupported);
		if ((r = sp_get_int(c, s, sp, "limit", false, -1, INT64_MAX, &res->mem_limit)) < 0 ||
		    (r = sp_get_int(c, s, sp, "reservation", false, -1, INT64_MAX, &res->mem_reservation)) < 0 ||
		    (r = sp_get_int(c, s, sp, "swap", false, -1, INT64_MAX, &res->mem_swap)) < 0 ||
		    (r = sp_get_int(c, s, sp, "swappiness", false, 0, 100, &res->mem_swappiness)) < 0 ||
		    (r = sp_get_bool(c, s, sp, "disableOOMKiller", &res->mem_disable_oom_killer)) < 0)
			return r;
	}
	if ((r = sp_get_object(c, o, rp, "cpu", false, &s)) < 0)
		return r;
	sp_join(sp, sizeof(sp), rp, "cpu");
	if (s) {
		sp_check_keys(c, s, sp, cpu_keys, cpu_unsupported);
		if ((r = sp_get_int(c, s, sp, "shares", false, 0, 262144, &res->cpu_shares)) < 0 ||
		    (r = sp_get_int(c, s, sp, "quota", false, -1, INT64_MAX, &res->cpu_quota)) < 0 ||
		    (r = sp_get_int(c, s, sp, "period", false, 0, 1000000, &res->cpu_period)) < 0 ||
		    (r = sp_get_int(c, s, sp, "idle", false, 0, 1, &res->cpu_idle)) < 0 ||
		    (r = sp_get_string(c, s, sp, "cpus", false, &res->cpu_cpus)) < 0 ||
		    (r = sp_get_string(c, s, sp, "mems", false, &res->cpu_mems)) < 0)
			return r;
	}
	if ((r = sp_get_object(c, o, rp, "pids", false, &s)) < 0)
		return r;
	sp_join(sp, sizeof(sp), rp, "pids");
	if (s) {
		sp_check_keys(c, s, sp, pids_keys, NULL);
		if ((r = sp_get_int(c, s, sp, "limit", true, -1, INT64_MAX, &res->pids_limit)) < 0)
			return r;
	}
	if ((r = sp_get_object(c, o, rp, "blockIO", false, &s)) < 0)
		return r;
	sp_join(sp, sizeof(sp), rp, "blockIO");
	if (s) {
		sp_check_keys(c, s, sp, blkio_keys, blkio_unsupported);
		if ((r = sp_get_int(c, s, sp, "weight", false, 10, 1000, &res->blkio_weight)) < 0)
			return r;
	}
	return 0;
}

static int lx_paths(struct sp_ctx *c, json_t *obj, const char *path,
		    const char *key, char ***v, size_t *n)
{
	char e[SP_PATH_MAX], ap[SP_PATH_MAX];
	int r = sp_get_strv(c, obj, path, key, SP_MAX_LIST, v, n);
	if (r < 0)
		return r;
	sp_join(ap, sizeof(ap), path, key);
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i][0] != '/') {
			sp_index(e, sizeof(e), ap, i);
			return sp_fail(c, e, "must be an absolute path, not \"%s\"", (*v)[i]);
		}
	return 0;
}

static const char *const linux_keys[] = { "namespaces", "uidMappings",
	"gidMappings", "devices", "cgroupsPath", "resources", "sysctl", "seccomp",
	"rootfsPropagation", "maskedPaths", "readonlyPaths", "mountLabel", NULL };
static const char *const linux_unsupported[] = { "intelRdt", "personality",
	"timeOffsets", "memoryPolicy", NULL };

int sp_parse_linux(struct sp_ctx *c, json_t *obj, const char *path,
		   struct bh_spec_linux *l)
{
	char *prop = NULL;
	json_t *sec;
	int r;

	lx_resources_init(&l->resources);
	if (!obj)
		return 0;
	sp_check_keys(c, obj, path, linux_keys, linux_unsupported);
	if ((r = lx_namespaces(c, obj, path, l)) < 0 ||
	    (r = lx_idmaps(c, obj, path, "uidMappings", &l->uid_mappings, &l->n_uid_mappings)) < 0 ||
	    (r = lx_idmaps(c, obj, path, "gidMappings", &l->gid_mappings, &l->n_gid_mappings)) < 0 ||
	    (r = lx_devices(c, obj, path, l)) < 0 ||
	    (r = sp_get_string(c, obj, path, "cgroupsPath", false, &l->cgroups_path)) < 0 ||
	    (r = lx_resources(c, obj, path, &l->resources)) < 0 ||
	    (r = sp_get_kv(c, obj, path, "sysctl", &l->sysctl, &l->n_sysctl)) < 0 ||
	    (r = sp_get_object(c, obj, path, "seccomp", false, &sec)) < 0 ||
	    (sec && (r = sp_parse_seccomp(c, sec, "linux.seccomp", &l->seccomp)) < 0) ||
	    (r = lx_paths(c, obj, path, "maskedPaths", &l->masked_paths, &l->n_masked_paths)) < 0 ||
	    (r = lx_paths(c, obj, path, "readonlyPaths", &l->readonly_paths, &l->n_readonly_paths)) < 0 ||
	    (r = sp_get_string(c, obj, path, "mountLabel", false, &l->mount_label)) < 0 ||
	    (r = sp_get_string(c, obj, path, "rootfsPropagation", false, &prop)) < 0)
		return r;
	if (prop) {
		l->rootfs_propagation = sp_propagation(prop);
		if (!l->rootfs_propagation) {
			char fp[SP_PATH_MAX];
			sp_join(fp, sizeof(fp), path, "rootfsPropagation");
			r = sp_fail(c, fp, "unknown propagation \"%s\"", prop);
		}
		free(prop);
	}
	return r;
}

void sp_linux_free(struct bh_spec_linux *l)
{
	for (size_t i = 0; l->namespaces && i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; l->devices && i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	struct bh_spec_resources *res = &l->resources;
	free(res->devices);
	free(res->cpu_cpus);
	free(res->cpu_mems);
	for (size_t i = 0; res->hugepages && i < res->n_hugepages; i++)
		free(res->hugepages[i].page_size);
	free(res->hugepages);
	sp_kv_free(res->unified, res->n_unified);
	sp_kv_free(l->sysctl, l->n_sysctl);
	sp_seccomp_free(l->seccomp);
	sp_strv_free(l->masked_paths, l->n_masked_paths);
	sp_strv_free(l->readonly_paths, l->n_readonly_paths);
	free(l->mount_label);
}
