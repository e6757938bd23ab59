/* cgroup v2 logic that this hybrid host cannot exercise through a v2
 * controller: value conversions, the files the v2 writers produce (in a
 * scratch dir), and the device eBPF program, which is loaded through the
 * verifier and then enforced for real on the unified tree. */
#define BH_CGROUP_INTERNAL
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "container/cgroup.h"

static void test_shares_to_weight(void **state)
{
	(void)state;
	assert_int_equal(bh_cgroup_shares_to_weight(2), 1);
	assert_int_equal(bh_cgroup_shares_to_weight(262144), 10000);
	assert_int_equal(bh_cgroup_shares_to_weight(1024), 39);   /* crun: default shares -> 39 */
	assert_int_equal(bh_cgroup_shares_to_weight(512), 20);
	assert_int_equal(bh_cgroup_shares_to_weight(1), 1);       /* clamped */
	assert_int_equal(bh_cgroup_shares_to_weight(0), 0);       /* unset */
	assert_int_equal(bh_cgroup_blkio_to_io_weight(10), 1);
	assert_int_equal(bh_cgroup_blkio_to_io_weight(1000), 10000);
	assert_int_equal(bh_cgroup_blkio_to_io_weight(500), 4950);
}

static void test_swap_conversion(void **state)
{
	(void)state;
	struct bh_error err = { 0 };
	int64_t out;
	const int64_t M = 1 << 20;
	assert_int_equal(bh_cgroup_swap_to_v2(64 * M, 128 * M, &out, &err), 0);
	assert_int_equal(out, 64 * M);                    /* memory+swap -> swap */
	assert_int_equal(bh_cgroup_swap_to_v2(64 * M, 64 * M, &out, &err), 0);
	assert_int_equal(out, 0);                         /* no swap at all */
	assert_int_equal(bh_cgroup_swap_to_v2(64 * M, -1, &out, &err), 0);
	assert_int_equal(out, -1);
	assert_int_equal(bh_cgroup_swap_to_v2(-1, BH_UNSET, &out, &err), 0);
	assert_int_equal(out, -1);                        /* unlimited both */
	assert_int_equal(bh_cgroup_swap_to_v2(64 * M, BH_UNSET, &out, &err), 0);
	assert_int_equal(out, BH_UNSET);                  /* leave swap alone */
	assert_int_equal(bh_cgroup_swap_to_v2(BH_UNSET, 128 * M, &out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "needs a memory limit"));
	assert_int_equal(bh_cgroup_swap_to_v2(128 * M, 64 * M, &out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "below memory.limit"));
}

static void res_init(struct bh_spec_resources *r)
{
	memset(r, 0, sizeof(*r));
	r->present = true;
	r->mem_limit = r->mem_reservation = r->mem_swap = r->mem_swappiness = BH_UNSET;
	r->cpu_shares = r->cpu_quota = r->cpu_period = r->cpu_idle = BH_UNSET;
	r->pids_limit = r->blkio_weight = BH_UNSET;
}

static void touch(const char *dir, const char *f)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, f);
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
}

static void assert_file(const char *dir, const char *f, const char *want)
{
	char p[512], got[256];
	struct bh_error err = { 0 };
	snprintf(p, sizeof(p), "%s/%s", dir, f);
	assert_int_equal(bh_cg_read(dir, f, got, sizeof(got), &err), 0);
	if (strcmp(got, want))
		fail_msg("%s: got \"%s\", want \"%s\"", p, got, want);
}

/* The v2 writers against plain files: what would land in a v2 cgroup. */
static void test_v2_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/bhtest-v2files-XXXXXX";
	assert_non_null(mkdtemp(dir));
	static const char *const files[] = { "memory.max", "memory.swap.max", "memory.low",
		"cpu.weight", "cpu.max", "io.weight", "hugetlb.2MB.max", "memory.high" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		touch(dir, files[i]);
	struct bh_error err = { 0 };
	struct bh_spec_resources r;
	res_init(&r);
	r.mem_limit = 64 << 20;
	r.mem_swap = 96 << 20;
	r.mem_reservation = 16 << 20;
	r.cpu_shares = 1024;
	r.cpu_quota = 25000;
	r.blkio_weight = 500;
	struct bh_spec_hugepage hp = { "2MB", 2 << 20 };
	r.hugepages = &hp;
	r.n_hugepages = 1;
	struct bh_kv kv = { "memory.high", "1G" };
	r.unified = &kv;
	r.n_unified = 1;
	assert_int_equal(bh_cg_v2_memory(dir, &r, &err), 0);
	assert_int_equal(bh_cg_v2_cpu(dir, &r, &err), 0);
	assert_int_equal(bh_cg_v2_io(dir, &r, &err), 0);
	assert_int_equal(bh_cg_v2_hugetlb(dir, &r, &err), 0);
	assert_int_equal(bh_cg_v2_unified(dir, &r, UINT32_MAX, &err), 0);
	assert_file(dir, "memory.max", "67108864");
	assert_file(dir, "memory.swap.max", "33554432");
	assert_file(dir, "memory.low", "16777216");
	assert_file(dir, "cpu.weight", "39");
	assert_file(dir, "cpu.max", "25000 100000");  /* default period */
	assert_file(dir, "io.weight", "default 4950");
	assert_file(dir, "hugetlb.2MB.max", "2097152");
	assert_file(dir, "memory.high", "1G");
	/* path tricks in unified keys are refused */
	struct bh_kv bad[] = { { "../../etc/passwd", "x" }, { "cgroup.procs", "1" },
			       { "memory", "1" } };
	for (size_t i = 0; i < 3; i++) {
		r.unified = &bad[i];
		assert_true(bh_cg_v2_unified(dir, &r, UINT32_MAX, &err) < 0);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_bpf_verifier(void **state)
{
	(void)state;
	size_t nd;
	const struct bh_spec_device_rule *d = bh_cgroup_default_devices(&nd);
	struct bh_spec_device_rule rules[32];
	memcpy(rules, d, nd * sizeof(*d));
	size_t n = nd;
	rules[n++] = (struct bh_spec_device_rule){ false, 'a', -1, -1, "rwm" };
	rules[n++] = (struct bh_spec_device_rule){ true, 'b', 8, -1, "r" };
	rules[n++] = (struct bh_spec_device_rule){ true, 'c', -1, 5, "wm" };
	rules[n++] = (struct bh_spec_device_rule){ false, 'c', 1, 3, "m" };
	struct bpf_insn *insns;
	size_t ni;
	struct bh_error err = { 0 };
	assert_int_equal(bh_cgroup_bpf_device_prog(rules, n, &insns, &ni, &err), 0);
	char log[65536];
	int fd = bh_cgroup_bpf_load(insns, ni, log, sizeof(log), &err);
	free(insns);
	if (fd < 0 && (err.code == EPERM || err.code == ENOSYS)) {
		print_message("# skip: bpf(BPF_PROG_LOAD) not permitted here: %s\n", err.msg);
		skip();
	}
	if (fd < 0)
		fail_msg("verifier rejected the program: %s\n%s", err.msg, log);
	print_message("# device program: %zu rules -> %zu insns, accepted by the verifier\n", n, ni);
	close(fd);
	/* empty list: deny everything, still a valid program */
	assert_int_equal(bh_cgroup_bpf_device_prog(NULL, 0, &insns, &ni, &err), 0);
	assert_int_equal(ni, 8);
	fd = bh_cgroup_bpf_load(insns, ni, NULL, 0, &err);
	assert_true(fd >= 0);
	close(fd);
	free(insns);
	rules[0].type = 'x';
	assert_int_equal(bh_cgroup_bpf_device_prog(rules, 1, &insns, &ni, &err), -EINVAL);
}

static const char *v2_root(void)
{
	static const char *const cands[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	struct statfs sf;
	for (size_t i = 0; i < 2; i++)
		if (statfs(cands[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
			return cands[i];
	return NULL;
}

/* Child in dir: result bits say which opens worked. */
static int probe_in(const char *dir, const char *devdir)
{
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		char c, path[512];
		if (read(go[0], &c, 1) != 1)
			_exit(255);
		int res = 0;
		snprintf(path, sizeof(path), "%s/null", devdir);
		int fd = open(path, O_RDWR);
		if (fd >= 0) { res |= 1; close(fd); } else if (errno != EPERM) res |= 64;
		snprintf(path, sizeof(path), "%s/kmsg", devdir);
		fd = open(path, O_RDONLY);
		if (fd >= 0) { res |= 2; close(fd); } else if (errno != EPERM) res |= 64;
		snprintf(path, sizeof(path), "%s/newnull", devdir);
		if (mknod(path, S_IFCHR | 0600, makedev(1, 3)) == 0) { res |= 4; unlink(path); }
		snprintf(path, sizeof(path), "%s/newsda", devdir);
		if (mknod(path, S_IFBLK | 0600, makedev(8, 0)) == 0) { res |= 8; unlink(path); }
		_exit(res);
	}
	struct bh_error err = { 0 };
	if (bh_cg_writef(dir, "cgroup.procs", &err, "%d", (int)p))
		fail_msg("%s", err.msg);
	assert_int_equal(write(go[1], "g", 1), 1);
	int st;
	assert_int_equal(waitpid(p, &st, 0), p);
	close(go[0]);
	close(go[1]);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static unsigned attached(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	uint32_t ids[16];
	union bpf_attr q;
	memset(&q, 0, sizeof(q));
	q.query.target_fd = (uint32_t)dfd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t)(uintptr_t)ids;
	q.query.prog_cnt = 16;
	assert_int_equal(syscall(__NR_bpf, BPF_PROG_QUERY, &q, sizeof(q)), 0);
	close(dfd);
	return q.query.prog_cnt;
}

/* The attack: open a device outside the allow list from inside the cgroup. */
static void test_bpf_enforced(void **state)
{
	(void)state;
	const char *root = v2_root();
	if (geteuid() != 0 || !root) {
		print_message("# skip: needs root and a cgroup2 mount\n");
		skip();
	}
	char dir[512], devdir[] = "/tmp/bhtest-dev-XXXXXX";
	snprintf(dir, sizeof(dir), "%s/bhtest-bpf-%d", root, (int)getpid());
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_non_null(mkdtemp(devdir));
	char p[512];
	snprintf(p, sizeof(p), "%s/null", devdir);
	assert_int_equal(mknod(p, S_IFCHR | 0600, makedev(1, 3)), 0);
	snprintf(p, sizeof(p), "%s/kmsg", devdir);
	assert_int_equal(mknod(p, S_IFCHR | 0600, makedev(1, 11)), 0);

	/* before: no policy, everything opens */
	assert_int_equal(probe_in(dir, devdir), 1 | 2 | 4 | 8);

	size_t nd;
	const struct bh_spec_device_rule *d = bh_cgroup_default_devices(&nd);
	struct bh_error err = { 0 };
	int fd = bh_cgroup_bpf_devices_apply(dir, d, nd, &err);
	if (fd < 0)
		fail_msg("%s", err.msg);
	close(fd);
	/* default policy: null works (open and mknod), kmsg and block devs don't */
	assert_int_equal(probe_in(dir, devdir), 1 | 4);
	assert_int_equal(attached(dir), 1);

	/* update: allow kmsg read, the old program is replaced, not stacked */
	struct bh_spec_device_rule more[16];
	memcpy(more, d, nd * sizeof(*d));
	more[nd] = (struct bh_spec_device_rule){ true, 'c', 1, 11, "r" };
	fd = bh_cgroup_bpf_devices_apply(dir, more, nd + 1, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(probe_in(dir, devdir), 1 | 2 | 4);
	assert_int_equal(attached(dir), 1);

	/* last match wins: a later deny of null overrides the allow */
	more[nd + 1] = (struct bh_spec_device_rule){ false, 'c', 1, 3, "rw" };
	fd = bh_cgroup_bpf_devices_apply(dir, more, nd + 2, &err);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(probe_in(dir, devdir), 2 | 4);  /* mknod (m) still allowed */

	assert_int_equal(rmdir(dir), 0);
	snprintf(p, sizeof(p), "%s/null", devdir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/kmsg", devdir);
	unlink(p);
	rmdir(devdir);
}

/* A private cgroup2 mount is the same single hierarchy: it only helps when
 * its root offers the controllers we want to test through v2. */
static void test_private_v2_controllers(void **state)
{
	(void)state;
	const char *root = v2_root();
	uint32_t have = root ? bh_cg_v2_available(root) : 0;
	if (!(have & BH_CG_MEMORY) || !(have & BH_CG_PIDS)) {
		print_message("# skip: the cgroup2 hierarchy offers no memory/pids controllers here "
			      "(v1 holds them); v2 limits are covered by the guest suites\n");
		skip();
	}
	if (geteuid() != 0)
		skip();
	char rel[64], dir[512];
	snprintf(rel, sizeof(rel), "/bhtest-v2ctl-%d", (int)getpid());
	snprintf(dir, sizeof(dir), "%s%s", root, rel);
	assert_int_equal(mkdir(dir, 0755), 0);
	struct bh_error err = { 0 };
	uint32_t want = BH_CG_MEMORY | BH_CG_PIDS;
	if (bh_cg_v2_enable(root, rel, &want, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(want, BH_CG_MEMORY | BH_CG_PIDS);
	struct bh_spec_resources r;
	res_init(&r);
	r.mem_limit = 64 << 20;
	r.mem_swap = 64 << 20;
	assert_int_equal(bh_cg_v2_memory(dir, &r, &err), 0);
	assert_file(dir, "memory.max", "67108864");
	if (bh_cg_has(dir, "memory.swap.max"))
		assert_file(dir, "memory.swap.max", "0");
	assert_int_equal(bh_cg_write(dir, "pids.max", "7", &err), 0);
	assert_file(dir, "pids.max", "7");
	assert_int_equal(rmdir(dir), 0);
}

/* ---- the pure-v2 code paths, for real ----
 * In a private mount namespace the v1 mounts are detached and the cgroup2
 * hierarchy is mounted at /sys/fs/cgroup, so the engine sees a pure v2
 * host.  The controllers stay bound to v1 (only hugetlb is on v2 here), but
 * everything v2 does without a controller is real: delegation, cgroup.procs,
 * cgroup.freeze, cgroup.kill, the device eBPF program and rmdir. */
#define CHK(n, cond) do { if (!(cond)) { fprintf(stderr, "pure-v2 check %d failed: %s (%s)\n", \
	n, #cond, err.msg); return n; } } while (0)

static int pure_v2_body(void)
{
	struct bh_error err = { 0 };
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    umount2("/sys/fs/cgroup", MNT_DETACH) < 0 ||
	    mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) < 0)
		return 100;
	enum bh_cgroup_layout l;
	CHK(1, bh_cgroup_detect(&l, &err) == 0 && l == BH_CGROUP_V2);

	char id[64];
	snprintf(id, sizeof(id), "bhtest-purev2-%d", (int)getpid());
	struct bh_cgroup *cg = NULL;
	CHK(2, bh_cgroup_create(NULL, id, NULL, &cg, &err) == 0);
	CHK(3, cg->n_v1 == 0 && cg->v2_dir && access(cg->v2_dir, F_OK) == 0);
	CHK(4, cg->dev_prog_fd >= 0);   /* device policy as an eBPF program */

	volatile unsigned long *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHK(5, counter != MAP_FAILED);
	pid_t kid = fork();
	if (kid == 0) {
		for (;;)
			(*counter)++;
	}
	CHK(6, bh_cgroup_enter(cg, kid, &err) == 0);
	pid_t *pids;
	size_t n;
	CHK(7, bh_cgroup_pids(cg, &pids, &n, &err) == 0 && n == 1 && pids[0] == kid);
	free(pids);
	bool frozen = true;
	CHK(8, bh_cgroup_freeze(cg, true, &err) == 0);
	CHK(9, bh_cgroup_is_frozen(cg, &frozen, &err) == 0 && frozen);
	unsigned long a = *counter;
	usleep(100000);
	CHK(10, *counter == a);
	CHK(11, bh_cgroup_freeze(cg, false, &err) == 0);
	CHK(12, bh_cgroup_is_frozen(cg, &frozen, &err) == 0 && !frozen);
	usleep(50000);
	CHK(13, *counter != a);
	CHK(14, bh_cgroup_kill(cg, SIGKILL, &err) == 0);   /* cgroup.kill */
	int st;
	CHK(15, waitpid(kid, &st, 0) == kid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	struct bh_cgroup_stats stats;
	CHK(16, bh_cgroup_stats(cg, &stats, &err) == 0);

	/* limits of controllers v2 does not have here: a clear error, no dir left */
	struct bh_spec_resources r;
	res_init(&r);
	r.pids_limit = 5;
	struct bh_cgroup *cg2 = NULL;
	char id2[80];
	snprintf(id2, sizeof(id2), "%s-b", id);
	CHK(17, bh_cgroup_create(NULL, id2, &r, &cg2, &err) == -ENOTSUP);
	CHK(18, strstr(err.msg, "pids") != NULL);
	char p[256];
	snprintf(p, sizeof(p), "/sys/fs/cgroup/bulkhead/%s", id2);
	CHK(19, access(p, F_OK) < 0);

	if (bh_cg_v2_available("/sys/fs/cgroup") & BH_CG_HUGETLB &&
	    access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) == 0) {
		res_init(&r);
		struct bh_spec_hugepage hp = { "2MB", 2 << 20 };
		r.hugepages = &hp;
		r.n_hugepages = 1;
		CHK(20, bh_cgroup_update(cg, &r, &err) == 0);
		char v[64];
		CHK(21, bh_cg_read(cg->v2_dir, "hugetlb.2MB.max", v, sizeof(v), &err) == 0 &&
			strcmp(v, "2097152") == 0);
	}
	CHK(22, bh_cgroup_destroy(cg, &err) == 0);
	CHK(23, access(cg->v2_dir, F_OK) < 0);
	bh_cgroup_free(cg);
	return 0;
}

static void test_pure_v2_layout(void **state)
{
	(void)state;
	if (geteuid() != 0 || !v2_root()) {
		print_message("# skip: needs root and a cgroup2 hierarchy\n");
		skip();
	}
	fflush(NULL);
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		if (unshare(CLONE_NEWNS) < 0)
			_exit(101);
		_exit(pure_v2_body());
	}
	int st;
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 100 || WEXITSTATUS(st) == 101) {
		print_message("# skip: cannot remount cgroups in a private mount namespace\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shares_to_weight),
		cmocka_unit_test(test_swap_conversion),
		cmocka_unit_test(test_v2_files),
		cmocka_unit_test(test_bpf_verifier),
		cmocka_unit_test(test_bpf_enforced),
		cmocka_unit_test(test_private_v2_controllers),
		cmocka_unit_test(test_pure_v2_layout),
	};
	return cmocka_run_group_tests_name("cgroup_v2", tests, NULL, NULL);
}
