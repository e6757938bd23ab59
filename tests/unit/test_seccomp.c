/* Seccomp: filters built from spec structs are loaded in forked children
 * and attacked: denied calls fail with the errno, allowed ones work, KILL
 * kills, and the default profile stops the escapes while shells, libc
 * programs and python keep working. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "container/seccomp.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* ---- a small JSON -> struct converter, independent of the spec parser ---- */

static void sc_free(struct bh_spec_seccomp *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->n_rules; i++) {
		for (size_t j = 0; j < sc->rules[i].n_names; j++)
			free(sc->rules[i].names[j]);
		free(sc->rules[i].names);
		free(sc->rules[i].args);
	}
	free(sc->rules);
	for (size_t i = 0; i < sc->n_architectures; i++)
		free(sc->architectures[i]);
	free(sc->architectures);
	free(sc);
}

static struct bh_spec_seccomp *sc_from_json(json_t *p)
{
	struct bh_error err = { 0 };
	struct bh_spec_seccomp *sc = calloc(1, sizeof(*sc));
	assert_int_equal(bh_seccomp_action_from_name(json_string_value(json_object_get(p, "defaultAction")),
						     &sc->default_action, &err), 0);
	json_t *e = json_object_get(p, "defaultErrnoRet");
	sc->default_errno = e ? json_integer_value(e) : BH_UNSET;
	json_t *arches = json_object_get(p, "architectures");
	sc->n_architectures = json_array_size(arches);
	sc->architectures = calloc(sc->n_architectures + 1, sizeof(char *));
	for (size_t i = 0; i < sc->n_architectures; i++)
		sc->architectures[i] = strdup(json_string_value(json_array_get(arches, i)));
	json_t *rules = json_object_get(p, "syscalls");
	sc->n_rules = json_array_size(rules);
	sc->rules = calloc(sc->n_rules, sizeof(*sc->rules));
	for (size_t i = 0; i < sc->n_rules; i++) {
		json_t *r = json_array_get(rules, i);
		struct bh_spec_seccomp_rule *o = &sc->rules[i];
		json_t *names = json_object_get(r, "names");
		o->n_names = json_array_size(names);
		o->names = calloc(o->n_names + 1, sizeof(char *));
		for (size_t j = 0; j < o->n_names; j++)
			o->names[j] = strdup(json_string_value(json_array_get(names, j)));
		assert_int_equal(bh_seccomp_action_from_name(json_string_value(json_object_get(r, "action")),
							     &o->action, &err), 0);
		e = json_object_get(r, "errnoRet");
		o->errno_ret = e ? json_integer_value(e) : BH_UNSET;
		json_t *args = json_object_get(r, "args");
		o->n_args = json_array_size(args);
		o->args = calloc(o->n_args + 1, sizeof(*o->args));
		for (size_t j = 0; j < o->n_args; j++) {
			json_t *a = json_array_get(args, j);
			o->args[j].index = (unsigned)json_integer_value(json_object_get(a, "index"));
			o->args[j].value = (uint64_t)json_integer_value(json_object_get(a, "value"));
			o->args[j].value_two = (uint64_t)json_integer_value(json_object_get(a, "valueTwo"));
			assert_int_equal(bh_seccomp_op_from_name(json_string_value(json_object_get(a, "op")),
								 &o->args[j].op, &err), 0);
		}
	}
	return sc;
}

/* ---- helpers ---- */

/* Run fn in a child after loading sc; returns the raw wait status. */
static int in_child(const struct bh_spec_seccomp *sc, int (*fn)(void))
{
	fflush(NULL);
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		struct bh_error err = { 0 };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(120);
		if (bh_seccomp_load(sc, &err) < 0) {
			fprintf(stderr, "load: %s\n", err.msg);
			_exit(121);
		}
		_exit(fn());
	}
	int st;
	assert_int_equal(waitpid(p, &st, 0), p);
	return st;
}

static void assert_exit0(int st)
{
	if (!WIFEXITED(st))
		fail_msg("child died of signal %d", WTERMSIG(st));
	if (WEXITSTATUS(st) != 0)
		fail_msg("child check %d failed", WEXITSTATUS(st));
}

static char *names1[2];
static struct bh_spec_seccomp_rule rule1;
static struct bh_spec_seccomp sc1;

/* A filter: default allow, one rule on one syscall. */
static struct bh_spec_seccomp *one_rule(const char *name, enum bh_seccomp_action a, int64_t eret,
					struct bh_spec_seccomp_arg *args, size_t nargs)
{
	names1[0] = (char *)name;
	names1[1] = NULL;
	rule1 = (struct bh_spec_seccomp_rule){ .names = names1, .n_names = 1, .action = a,
					       .errno_ret = eret, .args = args, .n_args = nargs };
	sc1 = (struct bh_spec_seccomp){ .default_action = BH_SCMP_ALLOW, .default_errno = BH_UNSET,
					.rules = &rule1, .n_rules = 1 };
	return &sc1;
}

/* ---- plain rules ---- */

static int chk_errno(void)
{
	errno = 0;
	if (syscall(SYS_getppid) != -1 || errno != EDOM)
		return 1;
	if (getpid() <= 0)          /* other calls still work */
		return 2;
	return 0;
}

static void test_errno_and_allow(void **state)
{
	(void)state;
	assert_exit0(in_child(one_rule("getppid", BH_SCMP_ERRNO, EDOM, NULL, 0), chk_errno));
}

static int chk_args(void)
{
	errno = 0;
	if (getpriority(PRIO_PGRP, 0) != -1 || errno != EACCES)
		return 1;
	errno = 0;
	if (getpriority(PRIO_USER, 0) != -1 || errno != EACCES)
		return 2;
	errno = 0;
	if (getpriority(PRIO_PROCESS, 0) == -1 && errno)
		return 3;
	return 0;
}

static void test_arg_rules(void **state)
{
	(void)state;
	/* two conditions on one index are OR'ed */
	struct bh_spec_seccomp_arg a[] = { { 0, PRIO_PGRP, 0, BH_SCMP_OP_EQ },
					   { 0, PRIO_USER, 0, BH_SCMP_OP_EQ } };
	assert_exit0(in_child(one_rule("getpriority", BH_SCMP_ERRNO, EACCES, a, 2), chk_args));
}

static int chk_masked(void)
{
	errno = 0;
	if (syscall(SYS_umask, 0077) != -1 || errno != EPERM)   /* default errno: EPERM */
		return 1;
	if (syscall(SYS_umask, 0022) == -1)
		return 2;
	return 0;
}

static void test_masked_eq(void **state)
{
	(void)state;
	/* deny any umask with all of 0070 set */
	struct bh_spec_seccomp_arg a[] = { { 0, 0070, 0070, BH_SCMP_OP_MASKED_EQ } };
	assert_exit0(in_child(one_rule("umask", BH_SCMP_ERRNO, BH_UNSET, a, 1), chk_masked));
}

static int do_getppid(void)
{
	syscall(SYS_getppid);
	return 0;
}

static void test_kill(void **state)
{
	(void)state;
	int st = in_child(one_rule("getppid", BH_SCMP_KILL_THREAD, BH_UNSET, NULL, 0), do_getppid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	st = in_child(one_rule("getppid", BH_SCMP_KILL_PROCESS, BH_UNSET, NULL, 0), do_getppid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	/* LOG lets the call through */
	assert_exit0(in_child(one_rule("getppid", BH_SCMP_LOG, BH_UNSET, NULL, 0), do_getppid));
}

static void test_bad_input(void **state)
{
	(void)state;
	struct bh_error err = { 0 };
	struct bh_spec_seccomp *sc = one_rule("getppid", BH_SCMP_NOTIFY, BH_UNSET, NULL, 0);
	assert_int_equal(bh_seccomp_export(sc, -1, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "SCMP_ACT_NOTIFY"));

	char *arch[] = { "SCMP_ARCH_PDP11", NULL };
	sc = one_rule("getppid", BH_SCMP_ERRNO, BH_UNSET, NULL, 0);
	sc->architectures = arch;
	sc->n_architectures = 1;
	assert_int_equal(bh_seccomp_export(sc, -1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "SCMP_ARCH_PDP11"));

	char *flags[] = { "SECCOMP_FILTER_FLAG_BOGUS", NULL };
	sc = one_rule("getppid", BH_SCMP_ERRNO, BH_UNSET, NULL, 0);
	sc->flags = flags;
	sc->n_flags = 1;
	assert_int_equal(bh_seccomp_export(sc, -1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "SECCOMP_FILTER_FLAG_BOGUS"));

	enum bh_seccomp_action a;
	assert_int_equal(bh_seccomp_action_from_name("SCMP_ACT_EXPLODE", &a, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "SCMP_ACT_EXPLODE"));

	struct bh_spec_seccomp_arg bad_idx[] = { { 6, 0, 0, BH_SCMP_OP_EQ } };
	sc = one_rule("getppid", BH_SCMP_ERRNO, BH_UNSET, bad_idx, 1);
	assert_int_equal(bh_seccomp_export(sc, -1, &err), -EINVAL);
}

static int chk_unknown_skipped(void)
{
	return syscall(SYS_getppid) > 0 ? 0 : 1;
}

static void test_unknown_syscall_and_flags(void **state)
{
	(void)state;
	/* a name unknown here is skipped, like runc; flags and arches accepted */
	char *flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC", NULL };
	char *arch[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL };
	struct bh_spec_seccomp *sc = one_rule("no_such_syscall_xyz", BH_SCMP_ERRNO, BH_UNSET, NULL, 0);
	sc->flags = flags;
	sc->n_flags = 2;
#if defined(__x86_64__)
	sc->architectures = arch;
	sc->n_architectures = 3;
#else
	(void)arch;
#endif
	assert_exit0(in_child(sc, chk_unknown_skipped));
}

static void test_export(void **state)
{
	(void)state;
	char path[] = "/tmp/bhtest-bpf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	json_t *p = bh_seccomp_default_profile();
	struct bh_spec_seccomp *sc = sc_from_json(p);
	struct bh_error err = { 0 };
	if (bh_seccomp_export(sc, fd, &err))
		fail_msg("%s", err.msg);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	print_message("# default profile: %zu rules, %lld bytes of BPF (%lld insns)\n",
		      sc->n_rules, (long long)st.st_size, (long long)st.st_size / 8);
	assert_true(st.st_size > 8 * 100);
	assert_int_equal(st.st_size % 8, 0);
	close(fd);
	sc_free(sc);
	json_decref(p);
}

/* ---- the default profile ---- */

#define EXPECT_ERRNO(n, call, e) do { errno = 0; long r_ = (long)(call); \
	if (r_ != -1 || errno != (e)) { \
		fprintf(stderr, "check %d: %s: ret %ld errno %d, want errno %d\n", n, #call, r_, errno, e); \
		return n; } } while (0)

static int chk_profile_denies(void)
{
	EXPECT_ERRNO(1, mount("none", "/tmp", "tmpfs", 0, NULL), EPERM);
	EXPECT_ERRNO(2, syscall(SYS_ptrace, 0 /* TRACEME */, 0, 0, 0), EPERM);
	EXPECT_ERRNO(3, syscall(SYS_bpf, 0, NULL, 0), EPERM);
	EXPECT_ERRNO(4, syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
	EXPECT_ERRNO(5, syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM);
	EXPECT_ERRNO(6, unshare(CLONE_NEWUSER), EPERM);
	EXPECT_ERRNO(7, socket(AF_VSOCK, SOCK_STREAM, 0), EPERM);
	EXPECT_ERRNO(8, syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), EPERM);
	EXPECT_ERRNO(9, syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0), EPERM);
	struct clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	EXPECT_ERRNO(10, syscall(SYS_clone3, &ca, sizeof(ca)), ENOSYS);
	EXPECT_ERRNO(11, syscall(SYS_io_uring_setup, 1, NULL), EPERM);
	EXPECT_ERRNO(12, syscall(SYS_userfaultfd, 0), EPERM);
	EXPECT_ERRNO(13, syscall(SYS_add_key, "user", "x", "y", 1, 0), EPERM);
	EXPECT_ERRNO(14, syscall(SYS_setns, 0, 0), EPERM);
	EXPECT_ERRNO(15, syscall(SYS_umount2, "/", 0), EPERM);
	EXPECT_ERRNO(16, syscall(SYS_pivot_root, "/", "/"), EPERM);
	EXPECT_ERRNO(17, syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
	EXPECT_ERRNO(18, syscall(SYS_init_module, NULL, 0, ""), EPERM);
	EXPECT_ERRNO(19, syscall(SYS_open_by_handle_at, -1, NULL, 0), EPERM);
	EXPECT_ERRNO(20, syscall(SYS_personality, 0x0040000 /* READ_IMPLIES_EXEC */), EPERM);
	EXPECT_ERRNO(21, syscall(SYS_syslog, 3, NULL, 0), EPERM);
	EXPECT_ERRNO(22, syscall(SYS_process_vm_readv, getppid(), NULL, 0, NULL, 0, 0), EPERM);
	EXPECT_ERRNO(23, syscall(SYS_reboot, 0, 0, 0, NULL), EPERM);
	EXPECT_ERRNO(24, syscall(SYS_unshare, CLONE_NEWNS), EPERM);
	return 0;
}

static int chk_profile_allows(void)
{
	/* fork + exec + wait */
	pid_t p = fork();
	if (p < 0)
		return 30;
	if (p == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(99);
	}
	int st;
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 31;
	/* files */
	char path[] = "/tmp/bhtest-sc-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 32;
	if (write(fd, "abc", 3) != 3 || lseek(fd, 0, SEEK_SET) != 0)
		return 33;
	char b[4];
	if (read(fd, b, 3) != 3 || memcmp(b, "abc", 3))
		return 34;
	close(fd);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 35;
	close(fd);
	unlink(path);
	/* sockets other than vsock */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return 36;
	close(s);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (s < 0)
		return 37;
	close(s);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 38;
	close(sv[0]);
	close(sv[1]);
	/* harmless unshare and personality queries */
	if (unshare(CLONE_FILES) < 0)
		return 39;
	if (syscall(SYS_personality, 0xffffffff) < 0)
		return 40;
	return 0;
}

static int run_prog(const char *const argv[])
{
	pid_t p = fork();
	if (p < 0)
		return 50;
	if (p == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 1);
		execv(argv[0], (char *const *)argv);
		_exit(98);
	}
	int st;
	if (waitpid(p, &st, 0) != p)
		return 51;
	if (WIFSIGNALED(st))
		return 52;
	return WEXITSTATUS(st);
}

static int chk_profile_programs(void)
{
	static const char *const sh[] = { "/bin/sh", "-c",
		"x=$(echo hi | tr a-z A-Z); [ \"$x\" = HI ] && ls / >/dev/null && "
		"cat /etc/passwd | wc -l >/dev/null && mkdir -p /tmp/bhtest-sc-d.$$ && "
		"rmdir /tmp/bhtest-sc-d.$$ && sleep 0.01", NULL };
	if (run_prog(sh) != 0)
		return 60;
	static const char *const bb[] = { "/bin/busybox", "sh", "-c",
		"busybox ls / >/dev/null && busybox ps >/dev/null && busybox date >/dev/null", NULL };
	if (access(bb[0], X_OK) == 0 && run_prog(bb) != 0)
		return 61;
	static const char *const py[] = { "/usr/bin/python3", "-c",
		"import os, socket, subprocess, threading, tempfile, json\n"
		"t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
		"assert subprocess.run(['true']).returncode == 0\n"
		"s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.close()\n"
		"with tempfile.TemporaryFile() as f: f.write(b'x')\n"
		"try:\n  socket.socket(40, socket.SOCK_STREAM)\n  raise SystemExit(5)\n"
		"except PermissionError: pass\n", NULL };
	if (access(py[0], X_OK) == 0 && run_prog(py) != 0)
		return 62;
	return 0;
}

static void test_default_profile(void **state)
{
	(void)state;
	json_t *p = bh_seccomp_default_profile();
	assert_non_null(p);
	assert_string_equal(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(p, "defaultErrnoRet")), EPERM);
	struct bh_spec_seccomp *sc = sc_from_json(p);
	assert_exit0(in_child(sc, chk_profile_denies));
	assert_exit0(in_child(sc, chk_profile_allows));
	assert_exit0(in_child(sc, chk_profile_programs));
	sc_free(sc);
	json_decref(p);
}

/* The same profile through the real config.json parser. */
static void test_default_profile_via_spec(void **state)
{
	(void)state;
	json_t *cfg = json_pack("{s:s, s:{s:s}, s:{s:[s], s:s}, s:{s:o}}", "ociVersion", "1.0.2",
				"root", "path", "/tmp", "process", "args", "sh", "cwd", "/",
				"linux", "seccomp", bh_seccomp_default_profile());
	assert_non_null(cfg);
	char *txt = json_dumps(cfg, 0);
	struct bh_spec *spec = NULL;
	struct bh_error err = { 0 };
	if (bh_spec_parse(txt, strlen(txt), NULL, &spec, &err))
		fail_msg("bh_spec_parse: %s", err.msg);
	assert_non_null(spec->linux.seccomp);
	assert_int_equal(spec->linux.seccomp->default_action, BH_SCMP_ERRNO);
	assert_exit0(in_child(spec->linux.seccomp, chk_profile_denies));
	assert_exit0(in_child(spec->linux.seccomp, chk_profile_allows));
	bh_spec_free(spec);
	free(txt);
	json_decref(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_and_allow),
		cmocka_unit_test(test_arg_rules),
		cmocka_unit_test(test_masked_eq),
		cmocka_unit_test(test_kill),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_unknown_syscall_and_flags),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_default_profile),
		cmocka_unit_test(test_default_profile_via_spec),
	};
	return cmocka_run_group_tests_name("seccomp", tests, NULL, NULL);
}
