/* Cgroup operations on a live container: freeze, list, signal, stats, and
 * teardown across every hierarchy. */
#define BH_CGROUP_INTERNAL
#include "container/cgroup.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

static void ms_sleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static bool cg_pure_v2(const struct bh_cgroup *cg)
{
	return cg->layout == BH_CGROUP_V2;
}

int bh_cgroup_is_frozen(struct bh_cgroup *cg, bool *frozen, struct bh_error *err)
{
	const char *d = bh_cg_v1_dir(cg, BH_CG_FREEZER);
	if (d) {
		char st[32];
		int r = bh_cg_read(d, "freezer.state", st, sizeof(st), err);
		if (!r)
			*frozen = strcmp(st, "FROZEN") == 0;
		return r;
	}
	if (cg->v2_dir && bh_cg_has(cg->v2_dir, "cgroup.freeze")) {
		uint64_t v = 0;
		int r = bh_cg_read_keyed(cg->v2_dir, "cgroup.events", "frozen", &v, err);
		if (r == -ENOENT)
			return bh_error_setx(err, EIO, "cgroup: %s/cgroup.events: no \"frozen\" key",
					     cg->v2_dir);
		if (!r)
			*frozen = v == 1;
		return r;
	}
	return bh_error_setx(err, ENOTSUP, "cgroup %s: no freezer available", cg->path);
}

int bh_cgroup_freeze(struct bh_cgroup *cg, bool frozen, struct bh_error *err)
{
	const char *d = bh_cg_v1_dir(cg, BH_CG_FREEZER);
	const char *want = frozen ? "FROZEN" : "THAWED";
	int r;
	if (d)
		r = bh_cg_write(d, "freezer.state", want, err);
	else if (cg->v2_dir && bh_cg_has(cg->v2_dir, "cgroup.freeze"))
		r = bh_cg_write(cg->v2_dir, "cgroup.freeze", frozen ? "1" : "0", err);
	else
		return bh_error_setx(err, ENOTSUP, "cgroup %s: no freezer available", cg->path);
	if (r)
		return r;
	/* Freezing is asynchronous (FREEZING / frozen 0): wait, bounded. */
	for (int i = 0; i < 1000; i++) {
		bool now;
		if ((r = bh_cgroup_is_frozen(cg, &now, err)))
			return r;
		if (now == frozen)
			return 0;
		if (d && frozen)
			(void)bh_cg_write(d, "freezer.state", "FROZEN", NULL); /* retry, as runc does */
		ms_sleep(i < 10 ? 1 : 10);
	}
	if (frozen)
		(void)bh_cgroup_freeze(cg, false, NULL);
	return bh_error_setx(err, EBUSY, "cgroup %s: still not %s after 10s", cg->path,
			     frozen ? "frozen" : "thawed");
}

static int pids_push(pid_t **v, size_t *n, size_t *cap, pid_t p)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		pid_t *nv = realloc(*v, nc * sizeof(**v));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = p;
	return 0;
}

static int pids_walk(const char *dir, pid_t **v, size_t *n, size_t *cap, int depth,
		     struct bh_error *err)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	_cleanup_fclose_ FILE *f = fopen(p, "re");
	if (!f)
		return errno == ENOENT ? 0 : bh_error_set(err, errno, "cgroup: read %s", p);
	int pid;
	while (fscanf(f, "%d", &pid) == 1)
		if (pids_push(v, n, cap, pid) < 0)
			return bh_error_set(err, ENOMEM, "cgroup: pids");
	if (depth > 32)
		return 0;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		int r = pids_walk(p, v, n, cap, depth + 1, err);
		if (r)
			return r;
	}
	return 0;
}

/* The dir whose process list is authoritative. */
static const char *cg_procs_dir(const struct bh_cgroup *cg)
{
	static const uint32_t pref[] = { BH_CG_PIDS, BH_CG_FREEZER, BH_CG_MEMORY, BH_CG_DEVICES,
					 BH_CG_CPU };
	if (cg_pure_v2(cg))
		return cg->v2_dir;
	for (size_t i = 0; i < sizeof(pref) / sizeof(pref[0]); i++) {
		const char *d = bh_cg_v1_dir(cg, pref[i]);
		if (d)
			return d;
	}
	return cg->n_v1 ? cg->v1[0].dir : cg->v2_dir;
}

int bh_cgroup_pids(struct bh_cgroup *cg, pid_t **pids, size_t *n, struct bh_error *err)
{
	size_t cap = 0;
	*pids = NULL;
	*n = 0;
	const char *d = cg_procs_dir(cg);
	int r = d ? pids_walk(d, pids, n, &cap, 0, err) : 0;
	if (r) {
		free(*pids);
		*pids = NULL;
		*n = 0;
	}
	return r;
}

static int cg_signal_all(struct bh_cgroup *cg, int sig, size_t *count, struct bh_error *err)
{
	pid_t *p;
	size_t n;
	int r = bh_cgroup_pids(cg, &p, &n, err);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (kill(p[i], sig) < 0 && errno != ESRCH) {
			r = bh_error_set(err, errno, "cgroup %s: kill(%d, %d)", cg->path, (int)p[i], sig);
			break;
		}
	}
	free(p);
	if (count)
		*count = n;
	return r;
}

int bh_cgroup_kill(struct bh_cgroup *cg, int sig, struct bh_error *err)
{
	/* cgroup.kill is atomic against forks; otherwise loop until no new
	 * process shows up. */
	if (sig == SIGKILL && cg_pure_v2(cg) && bh_cg_has(cg->v2_dir, "cgroup.kill"))
		return bh_cg_write(cg->v2_dir, "cgroup.kill", "1", err);
	if (sig != SIGKILL)
		return cg_signal_all(cg, sig, NULL, err);
	for (int i = 0; i < 10; i++) {
		size_t n;
		int r = cg_signal_all(cg, SIGKILL, &n, err);
		if (r || n == 0)
			return r;
		ms_sleep(1);
	}
	return 0;
}

static int rmdir_tree(const char *dir, int depth, struct bh_error *err)
{
	if (depth < 32) {
		_cleanup_closedir_ DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_type != DT_DIR || e->d_name[0] == '.')
				continue;
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			int r = rmdir_tree(p, depth + 1, err);
			if (r)
				return r;
		}
	}
	for (int i = 0; i < 100; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		ms_sleep(10);   /* exiting tasks may linger a moment */
	}
	return bh_error_set(err, errno, "cgroup: rmdir %s", dir);
}

int bh_cgroup_destroy(struct bh_cgroup *cg, struct bh_error *err)
{
	int r = 0;
	const char *d = cg_procs_dir(cg);
	if (d && access(d, F_OK) == 0) {
		r = bh_cgroup_kill(cg, SIGKILL, err);
		/* v1 frozen tasks do not die until thawed. */
		bool frozen = false;
		if (!bh_cgroup_is_frozen(cg, &frozen, NULL) && frozen)
			(void)bh_cgroup_freeze(cg, false, NULL);
		for (int i = 0; !r && i < 500; i++) {
			pid_t *p;
			size_t n;
			if (bh_cgroup_pids(cg, &p, &n, NULL))
				break;
			free(p);
			if (n == 0)
				break;
			if (i % 10 == 9)
				(void)bh_cgroup_kill(cg, SIGKILL, NULL);
			if (i == 499)
				r = bh_error_setx(err, EBUSY, "cgroup %s: %zu processes still alive after 5s",
						  cg->path, n);
			ms_sleep(10);
		}
	}
	/* Remove everywhere even after an error: leave as little as we can. */
	struct bh_error e2;
	for (size_t i = 0; i < cg->n_v1; i++)
		if (rmdir_tree(cg->v1[i].dir, 0, &e2) && !r)
			r = bh_error_setx(err, e2.code, "%s", e2.msg);
	if (cg->v2_dir && rmdir_tree(cg->v2_dir, 0, &e2) && !r)
		r = bh_error_setx(err, e2.code, "%s", e2.msg);
	if (cg->dev_prog_fd >= 0) {
		close(cg->dev_prog_fd);
		cg->dev_prog_fd = -1;
	}
	return r;
}

int bh_cgroup_stats(struct bh_cgroup *cg, struct bh_cgroup_stats *st, struct bh_error *err)
{
	memset(st, 0, sizeof(*st));
	int r;
	const char *d = bh_cg_v1_dir(cg, BH_CG_MEMORY);
	if (d) {
		if ((r = bh_cg_read_u64(d, "memory.usage_in_bytes", &st->mem_usage, err)) ||
		    (r = bh_cg_read_u64(d, "memory.limit_in_bytes", &st->mem_limit, err)) ||
		    (r = bh_cg_read_u64(d, "memory.max_usage_in_bytes", &st->mem_max_usage, err)))
			return r;
		r = bh_cg_read_keyed(d, "memory.oom_control", "oom_kill", &st->oom_kills, err);
		if (r && r != -ENOENT)
			return r;
		/* v1 counts no OOM events apart from kills. */
		st->oom_events = st->oom_kills;
	} else if (cg->v2_dir && (cg->v2_ctrls & BH_CG_MEMORY)) {
		d = cg->v2_dir;
		if ((r = bh_cg_read_u64(d, "memory.current", &st->mem_usage, err)) ||
		    (r = bh_cg_read_u64(d, "memory.max", &st->mem_limit, err)))
			return r;
		if (bh_cg_has(d, "memory.peak") &&
		    (r = bh_cg_read_u64(d, "memory.peak", &st->mem_max_usage, err)))
			return r;
		r = bh_cg_read_keyed(d, "memory.events", "oom_kill", &st->oom_kills, err);
		if (r && r != -ENOENT)
			return r;
		r = bh_cg_read_keyed(d, "memory.events", "oom", &st->oom_events, err);
		if (r && r != -ENOENT)
			return r;
	}
	bool v2;
	d = bh_cg_v1_dir(cg, BH_CG_PIDS);
	v2 = !d && cg->v2_dir && (cg->v2_ctrls & BH_CG_PIDS);
	if (v2)
		d = cg->v2_dir;
	if (d && ((r = bh_cg_read_u64(d, "pids.current", &st->pids_current, err)) ||
		  (r = bh_cg_read_u64(d, "pids.max", &st->pids_limit, err))))
		return r;
	if ((d = bh_cg_v1_dir(cg, BH_CG_CPUACCT))) {
		if ((r = bh_cg_read_u64(d, "cpuacct.usage", &st->cpu_usage_ns, err)))
			return r;
	} else if (cg->v2_dir && bh_cg_has(cg->v2_dir, "cpu.stat")) {
		uint64_t us = 0;
		r = bh_cg_read_keyed(cg->v2_dir, "cpu.stat", "usage_usec", &us, err);
		if (r && r != -ENOENT)
			return r;
		st->cpu_usage_ns = us * 1000;
	}
	return 0;
}
