/* cgroup v1 resource files. */
#define BH_CGROUP_INTERNAL
#include "container/cgroup.h"

#include <stdio.h>
#include <string.h>

#include "util/log.h"

/* A new v1 cpuset starts with empty cpus/mems and refuses tasks: copy the
 * parent's into every level of path that is still empty. */
int bh_cg_v1_prepare_cpuset(const char *mount, const char *path, struct bh_error *err)
{
	char dir[4096], parent[4096];
	snprintf(parent, sizeof(parent), "%s", mount);
	size_t ml = strlen(mount);
	memcpy(dir, mount, ml + 1);
	for (const char *c = path; *c; ) {
		const char *next = strchr(c + 1, '/');
		size_t l = next ? (size_t)(next - c) : strlen(c);
		if (ml + l >= sizeof(dir))
			return bh_error_setx(err, ENAMETOOLONG, "cgroup: cpuset path too long");
		memcpy(dir + ml, c, l);
		ml += l;
		dir[ml] = '\0';
		c += l;
		static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
		for (size_t i = 0; i < 2; i++) {
			char cur[4096], up[4096];
			int r = bh_cg_read(dir, files[i], cur, sizeof(cur), err);
			if (r)
				return r;
			if (cur[0])
				continue;
			if ((r = bh_cg_read(parent, files[i], up, sizeof(up), err)) ||
			    (r = bh_cg_write(dir, files[i], up, err)))
				return r;
		}
		memcpy(parent, dir, ml + 1);
	}
	return 0;
}

static int v1_write_limit(const char *dir, const char *file, int64_t v, struct bh_error *err)
{
	return bh_cg_writef(dir, file, err, "%lld", (long long)(v < 0 ? -1 : v));
}

int bh_cg_v1_memory(const char *dir, const struct bh_spec_resources *res, struct bh_error *err)
{
	int r;
	int64_t limit = res->mem_limit, swap = res->mem_swap;
	/* runc: unlimited memory and no swap given means unlimited swap too. */
	if (limit == -1 && (swap == BH_UNSET || swap == 0))
		swap = -1;
	bool have_memsw = bh_cg_has(dir, "memory.memsw.limit_in_bytes");
	if (swap != BH_UNSET && swap != 0 && !have_memsw) {
		if (swap != -1)
			bh_log_warn("cgroup: %s: no swap accounting (memory.memsw.*), swap limit ignored", dir);
		swap = BH_UNSET;
	}
	if (swap == 0)
		swap = BH_UNSET;
	if (limit != BH_UNSET && swap != BH_UNSET) {
		/* memsw must stay >= limit at every step: raise memsw first when
		 * it grows (or goes unlimited), else lower the limit first. */
		uint64_t cur = 0;
		if ((r = bh_cg_read_u64(dir, "memory.memsw.limit_in_bytes", &cur, err)))
			return r;
		bool swap_first = swap == -1 || (uint64_t)swap > cur;
		if (swap_first) {
			if ((r = v1_write_limit(dir, "memory.memsw.limit_in_bytes", swap, err)) ||
			    (r = v1_write_limit(dir, "memory.limit_in_bytes", limit, err)))
				return r;
		} else {
			if ((r = v1_write_limit(dir, "memory.limit_in_bytes", limit, err)) ||
			    (r = v1_write_limit(dir, "memory.memsw.limit_in_bytes", swap, err)))
				return r;
		}
	} else if (limit != BH_UNSET) {
		if ((r = v1_write_limit(dir, "memory.limit_in_bytes", limit, err)))
			return r;
	} else if (swap != BH_UNSET) {
		if ((r = v1_write_limit(dir, "memory.memsw.limit_in_bytes", swap, err)))
			return r;
	}
	if (res->mem_reservation != BH_UNSET &&
	    (r = v1_write_limit(dir, "memory.soft_limit_in_bytes", res->mem_reservation, err)))
		return r;
	if (res->mem_swappiness != BH_UNSET && res->mem_swappiness != -1) {
		if (res->mem_swappiness < 0 || res->mem_swappiness > 100)
			return bh_error_setx(err, EINVAL, "cgroup: %s/memory.swappiness: %lld out of range 0-100",
					     dir, (long long)res->mem_swappiness);
		if ((r = bh_cg_writef(dir, "memory.swappiness", err, "%lld",
				      (long long)res->mem_swappiness)))
			return r;
	}
	if (res->mem_disable_oom_killer &&
	    (r = bh_cg_write(dir, "memory.oom_control", "1", err)))
		return r;
	return 0;
}

int bh_cg_v1_cpu(const char *dir, const struct bh_spec_resources *res, struct bh_error *err)
{
	int r;
	if (res->cpu_shares != BH_UNSET && res->cpu_shares &&
	    (r = bh_cg_writef(dir, "cpu.shares", err, "%lld", (long long)res->cpu_shares)))
		return r;
	bool period = res->cpu_period != BH_UNSET && res->cpu_period;
	bool quota = res->cpu_quota != BH_UNSET && res->cpu_quota;
	if (period) {
		r = bh_cg_writef(dir, "cpu.cfs_period_us", err, "%lld", (long long)res->cpu_period);
		/* A shorter period can conflict with the current quota: quota first. */
		if (r == -EINVAL && quota) {
			if ((r = bh_cg_writef(dir, "cpu.cfs_quota_us", err, "%lld",
					      (long long)res->cpu_quota)))
				return r;
			quota = false;
			r = bh_cg_writef(dir, "cpu.cfs_period_us", err, "%lld", (long long)res->cpu_period);
		}
		if (r)
			return r;
	}
	if (quota && (r = bh_cg_writef(dir, "cpu.cfs_quota_us", err, "%lld",
				       (long long)(res->cpu_quota < 0 ? -1 : res->cpu_quota))))
		return r;
	if (res->cpu_idle != BH_UNSET &&
	    (r = bh_cg_writef(dir, "cpu.idle", err, "%lld", (long long)res->cpu_idle)))
		return r;
	return 0;
}

static void v1_rule_text(const struct bh_spec_device_rule *d, char *buf, size_t size)
{
	char maj[24], min[24];
	if (d->major < 0)
		snprintf(maj, sizeof(maj), "*");
	else
		snprintf(maj, sizeof(maj), "%lld", (long long)d->major);
	if (d->minor < 0)
		snprintf(min, sizeof(min), "*");
	else
		snprintf(min, sizeof(min), "%lld", (long long)d->minor);
	snprintf(buf, size, "%c %s:%s %s", d->type ? d->type : 'a', maj, min,
		 d->access[0] ? d->access : "rwm");
}

int bh_cg_v1_devices(const char *dir, const struct bh_spec_device_rule *rules, size_t n,
		     struct bh_error *err)
{
	int r = bh_cg_write(dir, "devices.deny", "a", err);
	for (size_t i = 0; !r && i < n; i++) {
		char buf[96];
		if (!strchr("abc", rules[i].type) || !rules[i].type)
			return bh_error_setx(err, EINVAL, "cgroup: device rule %zu: bad type '%c'",
					     i, rules[i].type);
		v1_rule_text(&rules[i], buf, sizeof(buf));
		r = bh_cg_write(dir, rules[i].allow ? "devices.allow" : "devices.deny", buf, err);
	}
	return r;
}

int bh_cg_v1_blkio(const char *dir, const struct bh_spec_resources *res, struct bh_error *err)
{
	const char *file = bh_cg_has(dir, "blkio.weight") ? "blkio.weight" :
			   bh_cg_has(dir, "blkio.bfq.weight") ? "blkio.bfq.weight" : NULL;
	if (!file) {
		bh_log_warn("cgroup: %s: no blkio.weight (no CFQ/BFQ scheduler), weight ignored", dir);
		return 0;
	}
	return bh_cg_writef(dir, file, err, "%lld", (long long)res->blkio_weight);
}

int bh_cg_v1_hugetlb(const char *dir, const struct bh_spec_resources *res, struct bh_error *err)
{
	for (size_t i = 0; i < res->n_hugepages; i++) {
		const char *ps = res->hugepages[i].page_size;
		if (!ps || !ps[0] || strchr(ps, '/'))
			return bh_error_setx(err, EINVAL, "cgroup: hugepage limit %zu: bad page size", i);
		char file[128];
		snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", ps);
		int r = bh_cg_writef(dir, file, err, "%llu",
				     (unsigned long long)res->hugepages[i].limit);
		if (r)
			return r;
	}
	return 0;
}
