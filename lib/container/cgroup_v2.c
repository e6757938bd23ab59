/* cgroup v2 (unified) resource files and the v1 -> v2 value conversions. */
#define BH_CGROUP_INTERNAL
#include "container/cgroup.h"

#include <stdio.h>
#include <string.h>

#include "util/log.h"

uint64_t bh_cgroup_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	/* crun: [2, 262144] maps linearly onto [1, 10000]. */
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t bh_cgroup_blkio_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + ((weight - 10) * 9999) / 990;
}

int bh_cgroup_swap_to_v2(int64_t mem_limit, int64_t mem_swap, int64_t *out,
			 struct bh_error *err)
{
	int64_t limit = mem_limit == BH_UNSET ? 0 : mem_limit;
	int64_t swap = mem_swap == BH_UNSET ? 0 : mem_swap;
	/* Unlimited memory, swap not given: both unlimited (as on v1). */
	if (limit == -1 && swap == 0) {
		*out = -1;
		return 0;
	}
	if (swap == -1) {
		*out = -1;
		return 0;
	}
	if (swap == 0) {
		*out = BH_UNSET;
		return 0;
	}
	if (limit == 0 || limit == -1)
		return bh_error_setx(err, EINVAL,
				     "cgroup: memory.swap %lld: a swap limit needs a memory limit",
				     (long long)swap);
	if (limit < 0 || swap < 0)
		return bh_error_setx(err, EINVAL, "cgroup: invalid memory %lld / swap %lld",
				     (long long)limit, (long long)swap);
	if (swap < limit)
		return bh_error_setx(err, EINVAL,
				     "cgroup: memory.swap %lld is below memory.limit %lld "
				     "(OCI swap is memory+swap)", (long long)swap, (long long)limit);
	*out = swap - limit;
	return 0;
}

uint32_t bh_cg_v2_available(const char *mount)
{
	char buf[512];
	uint32_t m = 0;
	if (bh_cg_read(mount, "cgroup.controllers", buf, sizeof(buf), NULL))
		return 0;
	char *save = NULL;
	for (char *c = strtok_r(buf, " \n", &save); c; c = strtok_r(NULL, " \n", &save))
		m |= bh_cg_ctrl_from_name(c);
	return m;
}

/* Delegate ctrls down to path: "+ctrl" into cgroup.subtree_control of the
 * root and of every ancestor of the leaf. */
int bh_cg_v2_enable(const char *mount, const char *path, uint32_t *ctrls_io, struct bh_error *err)
{
	uint32_t ctrls = *ctrls_io;
	char dir[4096];
	size_t ml = strlen(mount);
	if (ml + strlen(path) >= sizeof(dir))
		return bh_error_setx(err, ENAMETOOLONG, "cgroup: path too long");
	memcpy(dir, mount, ml + 1);
	const char *c = path;
	for (;;) {
		char cur[512];
		int r = bh_cg_read(dir, "cgroup.subtree_control", cur, sizeof(cur), err);
		if (r)
			return r;
		for (uint32_t bit = 1; bit && bit <= ctrls; bit <<= 1) {
			if (!(ctrls & bit))
				continue;
			const char *name = bh_cg_ctrl_name(bit);
			char want[32];
			snprintf(want, sizeof(want), "%s", name);
			/* word match in the space-separated list */
			bool on = false;
			size_t wl = strlen(want);
			for (const char *p = cur; (p = strstr(p, want)); p += wl)
				if ((p == cur || p[-1] == ' ') && (p[wl] == ' ' || p[wl] == '\0'))
					on = true;
			/* A controller that cannot be delegated (e.g. cpu with
			 * realtime tasks around) is dropped; asking for its
			 * limits then fails with "no controller". */
			struct bh_error e2;
			if (!on && bh_cg_writef(dir, "cgroup.subtree_control", &e2, "+%s", name)) {
				bh_log_warn("%s", e2.msg);
				ctrls &= ~bit;
			}
		}
		const char *next = strchr(c + 1, '/');
		if (!next)
			break;          /* dir is now the leaf's parent */
		size_t l = (size_t)(next - c);
		memcpy(dir + ml, c, l);
		ml += l;
		dir[ml] = '\0';
		c = next;
	}
	*ctrls_io = ctrls;
	return 0;
}

static int v2_write_max(const char *dir, const char *file, int64_t v, struct bh_error *err)
{
	return v < 0 ? bh_cg_write(dir, file, "max", err)
		     : bh_cg_writef(dir, file, err, "%lld", (long long)v);
}

int bh_cg_v2_memory(const char *dir, const struct bh_spec_resources *res, struct bh_error *err)
{
	int r;
	int64_t swap;
	if ((r = bh_cgroup_swap_to_v2(res->mem_limit, res->mem_swap, &swap, err)))
		return r;
	/* Lower swap before memory so a shrinking pair never overshoots. */
	if (res->mem_limit != BH_UNSET && (r = v2_write_max(dir, "memory.max", res->mem_limit, err)))
		return r;
	if (swap != BH_UNSET) {
		if (bh_cg_has(dir, "memory.swap.max")) {
			if ((r = v2_write_max(dir, "memory.swap.max", swap, err)))
				return r;
		} else if (swap != -1) {
			bh_log_warn("cgroup: %s: no memory.swap.max (swap accounting off), swap limit ignored",
				    dir);
		}
	}
	if (res->mem_reservation != BH_UNSET &&
	    (r = v2_write_max(dir, "memory.low", res->mem_reservation, err)))
		return r;
	if (res->mem_swappiness != BH_UNSET && res->mem_swappiness != -1)
		bh_log_warn("cgroup: memory.swappiness is not supported on cgroup v2, ignored");
	if (res->mem_disable_oom_killer)
		bh_log_warn("cgroup: disableOOMKiller is not supported on cgroup v2, ignored");
	return 0;
}

int bh_cg_v2_cpu(const char *dir, const struct bh_spec_resources *res, struct bh_error *err)
{
	int r;
	if (res->cpu_shares != BH_UNSET && res->cpu_shares &&
	    (r = bh_cg_writef(dir, "cpu.weight", err, "%llu",
			      (unsigned long long)bh_cgroup_shares_to_weight((uint64_t)res->cpu_shares))))
		return r;
	bool quota = res->cpu_quota != BH_UNSET && res->cpu_quota;
	bool period = res->cpu_period != BH_UNSET && res->cpu_period;
	if (quota || period) {
		char q[32];
		long long per = period ? (long long)res->cpu_period : 100000;
		if (quota && res->cpu_quota > 0)
			snprintf(q, sizeof(q), "%lld", (long long)res->cpu_quota);
		else
			snprintf(q, sizeof(q), "max");
		if ((r = bh_cg_writef(dir, "cpu.max", err, "%s %lld", q, per)))
			return r;
	}
	if (res->cpu_idle != BH_UNSET &&
	    (r = bh_cg_writef(dir, "cpu.idle", err, "%lld", (long long)res->cpu_idle)))
		return r;
	return 0;
}

int bh_cg_v2_io(const char *dir, const struct bh_spec_resources *res, struct bh_error *err)
{
	/* BFQ takes the v1 range as is; io.weight wants [1, 10000]. */
	if (bh_cg_has(dir, "io.bfq.weight"))
		return bh_cg_writef(dir, "io.bfq.weight", err, "%lld", (long long)res->blkio_weight);
	return bh_cg_writef(dir, "io.weight", err, "default %llu",
			    (unsigned long long)bh_cgroup_blkio_to_io_weight((uint64_t)res->blkio_weight));
}

int bh_cg_v2_hugetlb(const char *dir, const struct bh_spec_resources *res, struct bh_error *err)
{
	for (size_t i = 0; i < res->n_hugepages; i++) {
		const char *ps = res->hugepages[i].page_size;
		if (!ps || !ps[0] || strchr(ps, '/'))
			return bh_error_setx(err, EINVAL, "cgroup: hugepage limit %zu: bad page size", i);
		char file[128];
		snprintf(file, sizeof(file), "hugetlb.%s.max", ps);
		int r = bh_cg_writef(dir, file, err, "%llu", (unsigned long long)res->hugepages[i].limit);
		if (r)
			return r;
	}
	return 0;
}

int bh_cg_v2_unified(const char *dir, const struct bh_spec_resources *res, uint32_t allowed,
		     struct bh_error *err)
{
	for (size_t i = 0; i < res->n_unified; i++) {
		const char *k = res->unified[i].key, *v = res->unified[i].value;
		const char *dot = k ? strchr(k, '.') : NULL;
		if (!k || !v || !dot || dot == k || strchr(k, '/') || k[0] == '.')
			return bh_error_setx(err, EINVAL, "cgroup: unified key %s: not a cgroup file name",
					     k ? k : "(null)");
		char ctrl[32];
		size_t cl = (size_t)(dot - k);
		snprintf(ctrl, sizeof(ctrl), "%.*s", (int)(cl < sizeof(ctrl) ? cl : sizeof(ctrl) - 1), k);
		uint32_t bit = bh_cg_ctrl_from_name(ctrl);
		/* Of the core files only limits: cgroup.procs & co would let a
		 * config move host processes into the container's cgroup. */
		if (strcmp(ctrl, "cgroup") == 0 && strcmp(k, "cgroup.max.descendants") != 0 &&
		    strcmp(k, "cgroup.max.depth") != 0)
			return bh_error_setx(err, EPERM, "cgroup: unified key %s: not allowed", k);
		if (strcmp(ctrl, "cgroup") != 0 && !(bit & allowed))
			return bh_error_setx(err, ENOTSUP,
					     "cgroup: unified key %s: controller %s is not driven through cgroup v2 here",
					     k, ctrl);
		int r = bh_cg_write(dir, k, v, err);
		if (r)
			return r;
	}
	return 0;
}
