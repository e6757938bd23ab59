/* Capabilities: names, and the sets a forked child really ends up with
 * (read back from /proc/self/status), including after a uid change. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "container/caps.h"

#define BIT(c) (UINT64_C(1) << (c))

static void test_names(void **state)
{
	(void)state;
	struct bh_error err = { 0 };
	int c = -1;
	assert_int_equal(bh_caps_from_name("CAP_CHOWN", &c, &err), 0);
	assert_int_equal(c, 0);
	assert_int_equal(bh_caps_from_name("cap_sys_admin", &c, &err), 0);
	assert_int_equal(c, 21);
	assert_int_equal(bh_caps_from_name("CAP_CHECKPOINT_RESTORE", &c, &err), 0);
	assert_int_equal(c, 40);
	assert_int_equal(bh_caps_from_name("CAP_FLY", &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "CAP_FLY"));
	assert_string_equal(bh_caps_to_name(24), "CAP_SYS_RESOURCE");
	assert_string_equal(bh_caps_to_name(31), "CAP_SETFCAP");
	assert_null(bh_caps_to_name(64));
	assert_null(bh_caps_to_name(-1));
	for (int i = 0; i <= 40; i++) {
		assert_int_equal(bh_caps_from_name(bh_caps_to_name(i), &c, &err), 0);
		assert_int_equal(c, i);
	}
	int last = -1;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &last), 1);
	fclose(f);
	assert_int_equal(bh_caps_last_cap(), last);
	assert_int_equal(__builtin_popcountll(bh_caps_default_set), 11);
	static const char *const want[] = { "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
		"CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID",
		"CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT" };
	for (size_t i = 0; i < 11; i++) {
		assert_int_equal(bh_caps_from_name(want[i], &c, &err), 0);
		assert_true(bh_caps_default_set & BIT(c));
	}
	assert_false(bh_caps_default_set & BIT(CAP_NET_RAW));
	assert_false(bh_caps_default_set & BIT(CAP_MKNOD));
	assert_false(bh_caps_default_set & BIT(CAP_AUDIT_WRITE));
}

static uint64_t status_caps(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long v = UINT64_MAX;
	size_t kl = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':')
			sscanf(line + kl + 1, "%llx", &v);
	if (f)
		fclose(f);
	return v;
}

static int run_child(int (*fn)(void))
{
	fflush(NULL);
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0)
		_exit(fn());
	int st;
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int chk_default_root(void)
{
	struct bh_error err = { 0 };
	uint64_t avail = ~bh_caps_unavailable(bh_caps_default_set);
	if (bh_caps_drop_bounding(bh_caps_default_set, &err))
		return 1;
	struct bh_spec_caps c = { .present = true, .bounding = bh_caps_default_set,
		.effective = bh_caps_default_set, .permitted = bh_caps_default_set,
		.inheritable = bh_caps_default_set, .ambient = 0 };
	if (bh_caps_apply(&c, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	uint64_t want = bh_caps_default_set & avail;
	if (status_caps("CapBnd") != (bh_caps_default_set & status_caps("CapBnd")) ||
	    (status_caps("CapBnd") & want) != want)
		return 3;
	if (status_caps("CapEff") != want || status_caps("CapPrm") != want ||
	    status_caps("CapInh") != want || status_caps("CapAmb") != 0)
		return 4;
	/* the attack: what CAP_SYS_ADMIN would allow is gone for good */
	if (mount("none", "/tmp", "tmpfs", 0, NULL) == 0 || errno != EPERM)
		return 5;
	if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0)
		return 6;
	cap_t cur = cap_get_proc();
	cap_value_t v = CAP_SYS_ADMIN;
	cap_set_flag(cur, CAP_PERMITTED, 1, &v, CAP_SET);
	cap_set_flag(cur, CAP_EFFECTIVE, 1, &v, CAP_SET);
	int r = cap_set_proc(cur);
	cap_free(cur);
	if (r == 0 || errno != EPERM)
		return 7;
	return 0;
}

static void test_apply_default(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(run_child(chk_default_root), 0);
}

static int chk_nonroot_ambient(void)
{
	struct bh_error err = { 0 };
	if (bh_caps_drop_bounding(bh_caps_default_set, &err))
		return 1;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return 2;
	if (setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
		return 3;
	if (status_caps("CapEff") != 0)     /* setuid cleared effective */
		return 4;
	uint64_t nbs = BIT(CAP_NET_BIND_SERVICE);
	struct bh_spec_caps c = { .present = true, .effective = nbs | BIT(CAP_KILL),
		.permitted = nbs | BIT(CAP_KILL), .inheritable = nbs, .ambient = nbs };
	if (bh_caps_apply(&c, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 5;
	}
	if (status_caps("CapEff") != (nbs | BIT(CAP_KILL)) || status_caps("CapAmb") != nbs ||
	    status_caps("CapInh") != nbs)
		return 6;
	/* ambient survives execve for a non-root user; KILL (not ambient) does not */
	int pfd[2];
	if (pipe(pfd) < 0)
		return 7;
	pid_t p = fork();
	if (p == 0) {
		dup2(pfd[1], 1);
		execl("/bin/grep", "grep", "^CapEff", "/proc/self/status", (char *)NULL);
		_exit(99);
	}
	close(pfd[1]);
	char buf[128] = "";
	ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
	waitpid(p, NULL, 0);
	if (n <= 0)
		return 8;
	buf[n] = '\0';
	unsigned long long eff = 0;
	if (sscanf(buf, "CapEff:\t%llx", &eff) != 1 || eff != nbs)
		return 9;
	return 0;
}

static void test_apply_nonroot_ambient(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(run_child(chk_nonroot_ambient), 0);
}

/* A cap the runtime does not hold is skipped with a warning, never granted
 * and never an opaque EPERM. */
static int chk_missing(void)
{
	struct bh_error err = { 0 };
	/* make sure SYS_RESOURCE is missing, as on hosts whose bounding set lacks it */
	cap_t cur = cap_get_proc();
	cap_value_t v = CAP_SYS_RESOURCE;
	cap_set_flag(cur, CAP_PERMITTED, 1, &v, CAP_CLEAR);
	cap_set_flag(cur, CAP_EFFECTIVE, 1, &v, CAP_CLEAR);
	cap_set_flag(cur, CAP_INHERITABLE, 1, &v, CAP_CLEAR);
	if (cap_set_proc(cur) < 0)
		return 1;
	cap_free(cur);
	uint64_t want = BIT(CAP_CHOWN) | BIT(CAP_SYS_RESOURCE);
	if (bh_caps_unavailable(want) != BIT(CAP_SYS_RESOURCE))
		return 2;
	struct bh_spec_caps c = { .present = true, .effective = want, .permitted = want,
				  .inheritable = 0, .ambient = 0 };
	if (bh_caps_apply(&c, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 3;
	}
	if (status_caps("CapEff") != BIT(CAP_CHOWN) || status_caps("CapPrm") != BIT(CAP_CHOWN))
		return 4;
	return 0;
}

static void test_missing_cap_skipped(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(run_child(chk_missing), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_apply_default),
		cmocka_unit_test(test_apply_nonroot_ambient),
		cmocka_unit_test(test_missing_cap_skipped),
	};
	return cmocka_run_group_tests_name("caps", tests, NULL, NULL);
}
