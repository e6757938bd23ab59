/* Cgroups on the real host (as root): limits land in the files, processes
 * enter/freeze/die, OOM and pids limits bite, and nothing is left behind. */
#define BH_CGROUP_INTERNAL
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "container/cgroup.h"

static char idbuf[64];

static const char *test_id(const char *what)
{
	snprintf(idbuf, sizeof(idbuf), "bhtest-%s-%d", what, (int)getpid());
	return idbuf;
}

static void res_init(struct bh_spec_resources *r)
{
	memset(r, 0, sizeof(*r));
	r->present = true;
	r->mem_limit = r->mem_reservation = r->mem_swap = r->mem_swappiness = BH_UNSET;
	r->cpu_shares = r->cpu_quota = r->cpu_period = r->cpu_idle = BH_UNSET;
	r->pids_limit = r->blkio_weight = BH_UNSET;
}

static int need_root(void)
{
	if (geteuid() != 0) {
		print_message("# skip: needs root\n");
		return -1;
	}
	return 0;
}

static void read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

static void assert_file(const char *dir, const char *file, const char *want)
{
	char p[4096], got[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	read_file(p, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", p, got, want);
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static bool swap_accounting(const struct bh_cgroup *cg)
{
	const char *m = bh_cg_v1_dir(cg, BH_CG_MEMORY);
	return m && bh_cg_has(m, "memory.memsw.limit_in_bytes");
}

/* Every dir of cg must be gone (or present). */
static void assert_dirs(const struct bh_cgroup *cg, bool present)
{
	for (size_t i = 0; i < cg->n_v1; i++)
		if (exists(cg->v1[i].dir) != present)
			fail_msg("%s: %s", cg->v1[i].dir, present ? "missing" : "left behind");
	if (cg->v2_dir && exists(cg->v2_dir) != present)
		fail_msg("%s: %s", cg->v2_dir, present ? "missing" : "left behind");
}

static void test_detect(void **state)
{
	(void)state;
	enum bh_cgroup_layout l;
	struct bh_error err = { 0 };
	assert_int_equal(bh_cgroup_detect(&l, &err), 0);
	struct statfs sf;
	enum bh_cgroup_layout want;
	if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
		want = BH_CGROUP_V2;
	else if (statfs("/sys/fs/cgroup/unified", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
		want = BH_CGROUP_HYBRID;
	else
		want = BH_CGROUP_V1;
	assert_int_equal(l, want);
}

static void test_paths(void **state)
{
	(void)state;
	if (need_root())
		skip();
	struct bh_error err = { 0 };
	struct bh_cgroup *cg = NULL;
	assert_int_equal(bh_cgroup_create("../etc", "x", NULL, &cg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "\"..\""));
	assert_int_equal(bh_cgroup_create("system.slice:bh:x", "x", NULL, &cg, &err), -EINVAL);
	assert_int_equal(bh_cgroup_create("/", "x", NULL, &cg, &err), -EINVAL);
	assert_int_equal(bh_cgroup_create(NULL, "a/b", NULL, &cg, &err), -EINVAL);

	char rel[128];
	snprintf(rel, sizeof(rel), "%s/sub", test_id("rel"));
	assert_int_equal(bh_cgroup_create(rel, "x", NULL, &cg, &err), 0);
	char want[160];
	snprintf(want, sizeof(want), "/bulkhead/%s", rel);
	assert_string_equal(bh_cgroup_path(cg), want);
	assert_dirs(cg, true);
	assert_int_equal(bh_cgroup_destroy(cg, &err), 0);
	assert_dirs(cg, false);
	bh_cgroup_free(cg);
	/* the parent we made for it is ours to remove too */
	snprintf(want, sizeof(want), "/bulkhead/%s", test_id("rel"));
	assert_int_equal(bh_cgroup_open(want, &cg, &err), 0);
	assert_int_equal(bh_cgroup_destroy(cg, &err), 0);
	bh_cgroup_free(cg);
}

static void test_create_limits(void **state)
{
	(void)state;
	if (need_root())
		skip();
	struct bh_error err = { 0 };
	struct bh_spec_resources r;
	res_init(&r);
	r.mem_limit = 64 << 20;
	r.mem_reservation = 32 << 20;
	r.mem_swap = 128 << 20;
	r.mem_swappiness = 10;
	r.pids_limit = 50;
	r.cpu_shares = 512;
	r.cpu_quota = 50000;
	r.cpu_period = 100000;
	r.cpu_cpus = "0";
	r.cpu_mems = "0";
	r.mem_disable_oom_killer = true;
	r.blkio_weight = 500;
	struct bh_spec_device_rule dev[] = { { true, 'c', 10, 200, "rw" } }; /* tun */
	r.devices = dev;
	r.n_devices = 1;
	struct bh_cgroup *cg = NULL;
	int rc = bh_cgroup_create(NULL, test_id("limits"), &r, &cg, &err);
	if (rc)
		fail_msg("create: %s", err.msg);
	char want[128];
	snprintf(want, sizeof(want), "/bulkhead/%s", idbuf);
	assert_string_equal(bh_cgroup_path(cg), want);
	assert_dirs(cg, true);
	if (bh_cgroup_layout(cg) == BH_CGROUP_V2) {
		const char *d = cg->v2_dir;
		assert_file(d, "memory.max", "67108864");
		assert_file(d, "memory.low", "33554432");
		if (bh_cg_has(d, "memory.swap.max"))
			assert_file(d, "memory.swap.max", "67108864");
		assert_file(d, "pids.max", "50");
		assert_file(d, "cpu.weight", "20");
		assert_file(d, "cpu.max", "50000 100000");
		assert_file(d, "cpuset.cpus", "0");
		assert_true(cg->dev_prog_fd >= 0);
	} else {
		const char *m = bh_cg_v1_dir(cg, BH_CG_MEMORY);
		assert_file(m, "memory.limit_in_bytes", "67108864");
		assert_file(m, "memory.soft_limit_in_bytes", "33554432");
		assert_file(m, "memory.swappiness", "10");
		if (swap_accounting(cg))
			assert_file(m, "memory.memsw.limit_in_bytes", "134217728");
		char oc[512], p0[4096];
		snprintf(p0, sizeof(p0), "%s/memory.oom_control", m);
		read_file(p0, oc, sizeof(oc));
		assert_non_null(strstr(oc, "oom_kill_disable 1"));
		const char *b = bh_cg_v1_dir(cg, BH_CG_BLKIO);
		if (b && bh_cg_has(b, "blkio.weight"))
			assert_file(b, "blkio.weight", "500");
		else if (b && bh_cg_has(b, "blkio.bfq.weight"))
			assert_file(b, "blkio.bfq.weight", "500");
		assert_file(bh_cg_v1_dir(cg, BH_CG_PIDS), "pids.max", "50");
		assert_file(bh_cg_v1_dir(cg, BH_CG_CPU), "cpu.shares", "512");
		assert_file(bh_cg_v1_dir(cg, BH_CG_CPU), "cpu.cfs_quota_us", "50000");
		assert_file(bh_cg_v1_dir(cg, BH_CG_CPU), "cpu.cfs_period_us", "100000");
		assert_file(bh_cg_v1_dir(cg, BH_CG_CPUSET), "cpuset.cpus", "0");
		/* deny-all first, then the spec rule, then the defaults */
		char list[4096], p[4096];
		snprintf(p, sizeof(p), "%s/devices.list", bh_cg_v1_dir(cg, BH_CG_DEVICES));
		read_file(p, list, sizeof(list));
		assert_null(strstr(list, "a *:* rwm"));
		assert_non_null(strstr(list, "c 10:200 rw"));
		assert_non_null(strstr(list, "c 1:3 rwm"));
		assert_non_null(strstr(list, "c 136:* rwm"));
		assert_null(strstr(list, "c 1:1 "));  /* /dev/mem */
	}
	assert_int_equal(bh_cgroup_destroy(cg, &err), 0);
	assert_dirs(cg, false);
	assert_int_equal(bh_cgroup_destroy(cg, &err), 0);  /* idempotent */
	bh_cgroup_free(cg);
}

static void test_update_and_open(void **state)
{
	(void)state;
	if (need_root())
		skip();
	struct bh_error err = { 0 };
	struct bh_spec_resources r;
	res_init(&r);
	r.pids_limit = 10;
	struct bh_cgroup *cg = NULL, *cg2 = NULL;
	if (bh_cgroup_create(NULL, test_id("upd"), &r, &cg, &err))
		fail_msg("create: %s", err.msg);
	assert_int_equal(bh_cgroup_open(bh_cgroup_path(cg), &cg2, &err), 0);
	r.pids_limit = 20;
	if (bh_cgroup_update(cg2, &r, &err))
		fail_msg("update: %s", err.msg);
	const char *d = bh_cgroup_layout(cg) == BH_CGROUP_V2 ? cg->v2_dir : bh_cg_v1_dir(cg, BH_CG_PIDS);
	assert_file(d, "pids.max", "20");
	r.pids_limit = -1;
	assert_int_equal(bh_cgroup_update(cg2, &r, &err), 0);
	assert_file(d, "pids.max", "max");
	assert_int_equal(bh_cgroup_destroy(cg2, &err), 0);
	assert_dirs(cg, false);
	bh_cgroup_free(cg2);
	bh_cgroup_free(cg);
	assert_int_equal(bh_cgroup_open("/bulkhead/bhtest-none-0", &cg2, &err), -ENOENT);
}

static void test_bad_values(void **state)
{
	(void)state;
	if (need_root())
		skip();
	struct bh_error err = { 0 };
	struct bh_spec_resources r;
	res_init(&r);
	r.cpu_cpus = "9999";
	struct bh_cgroup *cg = NULL;
	assert_true(bh_cgroup_create(NULL, test_id("bad"), &r, &cg, &err) < 0);
	print_message("# error: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "cgroup: write 9999 to /"));
	assert_non_null(strstr(err.msg, "/bulkhead/bhtest-bad-"));
	assert_non_null(strstr(err.msg, "/cpuset.cpus: "));
	/* nothing left behind */
	char p[256];
	enum bh_cgroup_layout l;
	assert_int_equal(bh_cgroup_detect(&l, &err), 0);
	snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/bulkhead/%s",
		 l == BH_CGROUP_V2 ? "." : "cpuset", idbuf);
	assert_false(exists(p));
	snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/bulkhead/%s",
		 l == BH_CGROUP_V2 ? "." : "memory", idbuf);
	assert_false(exists(p));

	/* swap below memory: the kernel (v1) or our conversion (v2) refuses */
	res_init(&r);
	r.mem_limit = 64 << 20;
	r.mem_swap = 1 << 20;
	int rc = bh_cgroup_create(NULL, test_id("bad2"), &r, &cg, &err);
	if (rc == 0) {
		bh_cgroup_destroy(cg, NULL);
		bh_cgroup_free(cg);
		skip();  /* no swap accounting: swap limit ignored with a warning */
	}
	print_message("# error: %s\n", err.msg);
	assert_true(strstr(err.msg, "memory.memsw.limit_in_bytes: Invalid argument") ||
		    strstr(err.msg, "memory.swap"));

	res_init(&r);
	r.mem_swappiness = 200;
	assert_true(bh_cgroup_create(NULL, test_id("bad3"), &r, &cg, &err) < 0);
	assert_non_null(strstr(err.msg, "swappiness"));
}

/* A child that counts in shared memory until killed. */
struct shared { volatile unsigned long counter; volatile int go; volatile int result; };

static pid_t spawn_counter(struct shared *sh)
{
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		for (;;)
			sh->counter++;
	}
	return p;
}

static void test_enter_freeze_kill(void **state)
{
	(void)state;
	if (need_root())
		skip();
	struct bh_error err = { 0 };
	struct bh_cgroup *cg = NULL;
	if (bh_cgroup_create(NULL, test_id("life"), NULL, &cg, &err))
		fail_msg("create: %s", err.msg);
	struct shared *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	pid_t child = spawn_counter(sh);
	if (bh_cgroup_enter(cg, child, &err))
		fail_msg("enter: %s", err.msg);

	/* the child shows the path in /proc/PID/cgroup */
	char p[64], cgf[4096];
	snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)child);
	read_file(p, cgf, sizeof(cgf));
	assert_non_null(strstr(cgf, bh_cgroup_path(cg)));
	if (bh_cgroup_layout(cg) == BH_CGROUP_HYBRID) {
		char line[256];
		snprintf(line, sizeof(line), "0::%s", bh_cgroup_path(cg));
		assert_non_null(strstr(cgf, line));   /* placed in the unified tree too */
	}

	pid_t *pids;
	size_t n;
	assert_int_equal(bh_cgroup_pids(cg, &pids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], child);
	free(pids);

	bool frozen = true;
	assert_int_equal(bh_cgroup_is_frozen(cg, &frozen, &err), 0);
	assert_false(frozen);
	if (bh_cgroup_freeze(cg, true, &err))
		fail_msg("freeze: %s", err.msg);
	assert_int_equal(bh_cgroup_is_frozen(cg, &frozen, &err), 0);
	assert_true(frozen);
	unsigned long a = sh->counter;
	usleep(100000);
	assert_int_equal(sh->counter, a);         /* it really stopped */
	assert_int_equal(bh_cgroup_freeze(cg, false, &err), 0);
	assert_int_equal(bh_cgroup_is_frozen(cg, &frozen, &err), 0);
	assert_false(frozen);
	usleep(100000);
	assert_true(sh->counter != a);            /* and runs again */

	assert_int_equal(bh_cgroup_kill(cg, SIGTERM, &err), 0);
	int st;
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);

	/* destroy kills what is left, even a frozen process */
	child = spawn_counter(sh);
	assert_int_equal(bh_cgroup_enter(cg, child, &err), 0);
	assert_int_equal(bh_cgroup_freeze(cg, true, &err), 0);
	if (bh_cgroup_destroy(cg, &err))
		fail_msg("destroy: %s", err.msg);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_dirs(cg, false);
	bh_cgroup_free(cg);
	munmap(sh, 4096);
}

static void test_stats(void **state)
{
	(void)state;
	if (need_root())
		skip();
	struct bh_error err = { 0 };
	struct bh_spec_resources r;
	res_init(&r);
	r.mem_limit = 256 << 20;
	r.pids_limit = 30;
	struct bh_cgroup *cg = NULL;
	if (bh_cgroup_create(NULL, test_id("stats"), &r, &cg, &err))
		fail_msg("create: %s", err.msg);
	int go[2], done[2];
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	pid_t child = fork();
	if (child == 0) {
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		size_t sz = 16 << 20;
		volatile char *m = mmap(NULL, sz, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(1);
		for (size_t i = 0; i < sz; i += 4096)
			m[i] = 1;
		volatile unsigned long x = 0;
		for (unsigned long i = 0; i < 50000000UL; i++)
			x += i;
		if (x == 1)
			_exit(2);
		if (write(done[1], "y", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(bh_cgroup_enter(cg, child, &err), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	char c;
	assert_int_equal(read(done[0], &c, 1), 1);
	struct bh_cgroup_stats st;
	if (bh_cgroup_stats(cg, &st, &err))
		fail_msg("stats: %s", err.msg);
	print_message("# usage %llu limit %llu max %llu pids %llu/%llu cpu %llu ns\n",
		      (unsigned long long)st.mem_usage, (unsigned long long)st.mem_limit,
		      (unsigned long long)st.mem_max_usage, (unsigned long long)st.pids_current,
		      (unsigned long long)st.pids_limit, (unsigned long long)st.cpu_usage_ns);
	assert_true(st.mem_usage >= (16u << 20));
	assert_true(st.mem_max_usage >= st.mem_usage || st.mem_max_usage == 0);
	assert_int_equal(st.mem_limit, 256u << 20);
	assert_int_equal(st.pids_current, 1);
	assert_int_equal(st.pids_limit, 30);
	assert_true(st.cpu_usage_ns > 1000000);
	assert_int_equal(st.oom_kills, 0);
	assert_int_equal(bh_cgroup_destroy(cg, &err), 0);
	int ws;
	assert_int_equal(waitpid(child, &ws, 0), child);
	bh_cgroup_free(cg);
	close(go[0]); close(go[1]); close(done[0]); close(done[1]);
}

static bool has_swap(void)
{
	char buf[4096];
	FILE *f = fopen("/proc/swaps", "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *nl = strchr(buf, '\n');
	return nl && nl[1];
}

static void test_oom(void **state)
{
	(void)state;
	if (need_root())
		skip();
	struct bh_error err = { 0 };
	struct bh_spec_resources r;
	res_init(&r);
	r.mem_limit = 16 << 20;
	struct bh_cgroup *cg = NULL;
	if (bh_cgroup_create(NULL, test_id("oom"), &r, &cg, &err))
		fail_msg("create: %s", err.msg);
	if (has_swap() && !swap_accounting(cg) && bh_cgroup_layout(cg) != BH_CGROUP_V2) {
		bh_cgroup_destroy(cg, NULL);
		bh_cgroup_free(cg);
		print_message("# skip: swap on and no memsw accounting: the child would swap\n");
		skip();
	}
	if (swap_accounting(cg)) {
		r.mem_swap = r.mem_limit;   /* no swap either */
		assert_int_equal(bh_cgroup_update(cg, &r, &err), 0);
	}
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t child = fork();
	if (child == 0) {
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		for (int i = 0; i < 256; i++) {
			volatile char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED)
				_exit(3);
			for (size_t k = 0; k < (1 << 20); k += 4096)
				m[k] = (char)i;
		}
		_exit(0);   /* 256 MiB in a 16 MiB cgroup: should not get here */
	}
	assert_int_equal(bh_cgroup_enter(cg, child, &err), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	int st;
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	struct bh_cgroup_stats s;
	assert_int_equal(bh_cgroup_stats(cg, &s, &err), 0);
	print_message("# oom_kills %llu oom_events %llu max_usage %llu\n",
		      (unsigned long long)s.oom_kills, (unsigned long long)s.oom_events,
		      (unsigned long long)s.mem_max_usage);
	assert_true(s.oom_kills >= 1);
	assert_int_equal(bh_cgroup_destroy(cg, &err), 0);
	bh_cgroup_free(cg);
	close(go[0]); close(go[1]);
}

static void test_pids_limit(void **state)
{
	(void)state;
	if (need_root())
		skip();
	struct bh_error err = { 0 };
	struct bh_spec_resources r;
	res_init(&r);
	r.pids_limit = 4;
	struct bh_cgroup *cg = NULL;
	if (bh_cgroup_create(NULL, test_id("pids"), &r, &cg, &err))
		fail_msg("create: %s", err.msg);
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t child = fork();
	if (child == 0) {
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(100);
		int made = 0;
		for (int i = 0; i < 20; i++) {
			pid_t p = fork();
			if (p == 0) {
				pause();
				_exit(0);
			}
			if (p < 0)
				_exit(errno == EAGAIN ? made : 101);
			made++;
		}
		_exit(102);  /* 20 forks under pids.max=4 */
	}
	assert_int_equal(bh_cgroup_enter(cg, child, &err), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	int st;
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	/* itself plus 3 children reach the limit of 4 */
	assert_int_equal(WEXITSTATUS(st), 3);
	assert_int_equal(bh_cgroup_destroy(cg, &err), 0);   /* kills the 3 orphans */
	assert_dirs(cg, false);
	bh_cgroup_free(cg);
	close(go[0]); close(go[1]);
}

/* On a hybrid host hugetlb exists only in the unified tree: it must be
 * delegated and written there. */
static void test_hybrid_v2_controller(void **state)
{
	(void)state;
	if (need_root())
		skip();
	struct bh_error err = { 0 };
	struct bh_cgroup *cg = NULL;
	if (bh_cgroup_create(NULL, test_id("probe"), NULL, &cg, &err))
		fail_msg("create: %s", err.msg);
	bool usable = bh_cgroup_layout(cg) == BH_CGROUP_HYBRID && (cg->v2_ctrls & BH_CG_HUGETLB) &&
		      exists("/sys/kernel/mm/hugepages/hugepages-2048kB");
	bh_cgroup_destroy(cg, NULL);
	bh_cgroup_free(cg);
	if (!usable) {
		print_message("# skip: not a hybrid host with hugetlb on the unified tree and 2MB pages\n");
		skip();
	}
	struct bh_spec_resources r;
	res_init(&r);
	struct bh_spec_hugepage hp = { "2MB", 4 << 20 };
	r.hugepages = &hp;
	r.n_hugepages = 1;
	struct bh_kv kv = { "hugetlb.2MB.rsvd.max", "8388608" };
	r.unified = &kv;
	r.n_unified = 1;
	if (bh_cgroup_create(NULL, test_id("hyb"), &r, &cg, &err))
		fail_msg("create: %s", err.msg);
	assert_file(cg->v2_dir, "hugetlb.2MB.max", "4194304");
	if (bh_cg_has(cg->v2_dir, "hugetlb.2MB.rsvd.max"))
		assert_file(cg->v2_dir, "hugetlb.2MB.rsvd.max", "8388608");
	/* memory is a v1 controller here: unified memory.* is refused */
	struct bh_kv bad = { "memory.high", "1G" };
	r.unified = &bad;
	r.n_hugepages = 0;
	assert_int_equal(bh_cgroup_update(cg, &r, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "memory.high"));
	struct bh_kv procs = { "cgroup.procs", "1" };
	r.unified = &procs;
	assert_int_equal(bh_cgroup_update(cg, &r, &err), -EPERM);
	assert_int_equal(bh_cgroup_destroy(cg, &err), 0);
	assert_dirs(cg, false);
	bh_cgroup_free(cg);
}

/* A failed assertion skips a test's own cleanup: remove what it left. */
static int teardown_all(void **state)
{
	(void)state;
	static const char *const what[] = { "rel", "limits", "upd", "bad", "bad2", "bad3", "life",
					    "stats", "oom", "pids", "probe", "hyb" };
	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		char p[128];
		snprintf(p, sizeof(p), "/bulkhead/%s", test_id(what[i]));
		struct bh_cgroup *cg;
		if (bh_cgroup_open(p, &cg, NULL) == 0) {
			bh_cgroup_destroy(cg, NULL);
			bh_cgroup_free(cg);
		}
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_create_limits),
		cmocka_unit_test(test_update_and_open),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_enter_freeze_kill),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_pids_limit),
		cmocka_unit_test(test_hybrid_v2_controller),
	};
	return cmocka_run_group_tests_name("cgroup", tests, NULL, teardown_all);
}
