/* bulkhead-vmm's per-thread seccomp filters (vmm/seccomp.c), loaded for
 * real: a forked child builds the filters, installs one thread kind's and
 * makes one system call. What the filter allows comes back as the call's
 * errno (EBADF on the fake fds used here); what it refuses kills the child
 * with SIGSYS. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/seccomp.h"

/* Fake fds: nothing is open there, so an allowed ioctl fails with EBADF. */
#define VM_FD 900
static const int vcpu_fds[] = { 901, 902 };

struct call {
	long nr, a[6];
};

/* -signal when the child was killed, else the call's errno (0: success). */
static int run(enum vmm_seccomp_mode mode, bool devices, enum vmm_thread_kind kind, unsigned vcpu,
	       struct call c)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		struct vmm_seccomp_params p = { .mode = mode, .vm_fd = VM_FD, .vcpu_fds = vcpu_fds,
						.nvcpus = 2, .vcpu_devices = devices };
		struct vmm_seccomp *s = NULL;
		struct bh_error err = { 0 };
		if (vmm_seccomp_build(&p, &s, &err) < 0 || vmm_seccomp_install(s, kind, vcpu) < 0)
			_exit(250);
		long r = syscall(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], c.a[5]);
		/* Not _exit(): a sanitizer's exit hook (LSan) would make calls
		 * of its own that the filter refuses. */
		syscall(SYS_exit_group, r < 0 ? (errno & 0xff) : 0);
		_exit(99);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
}

#define CALL(n, ...) ((struct call){ .nr = (n), .a = { __VA_ARGS__ } })
#define KILLED (-SIGSYS)

static void test_vcpu_kvm_ioctls(void **state)
{
	(void)state;
	/* Its own fd: KVM_RUN, KVM_GET_MP_STATE, KVM_GET_REGS pass. */
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_VCPU, 1, CALL(SYS_ioctl, 902, KVM_RUN)), EBADF);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_VCPU, 1,
			     CALL(SYS_ioctl, 902, KVM_GET_MP_STATE, 0)), EBADF);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_VCPU, 1,
			     CALL(SYS_ioctl, 902, KVM_GET_REGS, 0)), EBADF);
	/* The interrupt line on the VM fd passes. */
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_VCPU, 1,
			     CALL(SYS_ioctl, VM_FD, KVM_IRQ_LINE, 0)), EBADF);
	/* Another vCPU's fd, state-changing ioctls, other VM ioctls: killed. */
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_VCPU, 1, CALL(SYS_ioctl, 901, KVM_RUN)), KILLED);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_VCPU, 1,
			     CALL(SYS_ioctl, 902, KVM_SET_REGS, 0)), KILLED);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_VCPU, 1,
			     CALL(SYS_ioctl, VM_FD, KVM_SET_USER_MEMORY_REGION, 0)), KILLED);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_VCPU, 1,
			     CALL(SYS_ioctl, VM_FD, KVM_CREATE_VCPU, 5)), KILLED);
}

static void test_vcpu_escape_syscalls(void **state)
{
	(void)state;
	static const char path[] = "/etc/passwd";
	static const char *const argv[] = { "/bin/sh", NULL };
	struct call denied[] = {
		CALL(SYS_openat, AT_FDCWD, (long)path, O_RDONLY),
		CALL(SYS_execve, (long)argv[0], (long)argv, 0),
		CALL(SYS_socket, AF_UNIX, SOCK_STREAM, 0),
		CALL(SYS_socket, AF_INET, SOCK_STREAM, 0),
		CALL(SYS_connect, 3, 0, 0),
		CALL(SYS_preadv, 900, 0, 0, 0),
		CALL(SYS_kill, 1, 0),
		CALL(SYS_tgkill, 1, 1, SIGKILL),          /* another process */
		CALL(SYS_ptrace, 16 /* ATTACH */, 1),
		CALL(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1),
		CALL(SYS_mprotect, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC),
		CALL(SYS_clone, SIGCHLD, 0, 0, 0),
		CALL(SYS_unshare, 0),
		CALL(SYS_unlink, (long)"/nonexistent-bulkhead"),
	};
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		int r = run(VMM_SECCOMP_KILL, false, VMM_THREAD_VCPU, 1, denied[i]);
		if (r != KILLED)
			fail_msg("vCPU filter: syscall %ld returned errno %d, want SIGSYS", denied[i].nr, r);
	}
	/* Non-executable memory is fine. */
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_VCPU, 1,
			     CALL(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1)), 0);
}

static void test_vcpu_with_mmio_notify(void **state)
{
	(void)state;
	/* Queues notified by MMIO exits: the vCPU does device I/O itself. */
	assert_int_equal(run(VMM_SECCOMP_KILL, true, VMM_THREAD_VCPU, 1, CALL(SYS_preadv, 900, 0, 0, 0)), EBADF);
	assert_int_equal(run(VMM_SECCOMP_KILL, true, VMM_THREAD_VCPU, 1, CALL(SYS_fdatasync, 900)), EBADF);
	assert_int_equal(run(VMM_SECCOMP_KILL, true, VMM_THREAD_VCPU, 1,
			     CALL(SYS_socket, AF_INET, SOCK_STREAM, 0)), KILLED);
	assert_int_equal(run(VMM_SECCOMP_KILL, true, VMM_THREAD_VCPU, 1,
			     CALL(SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY)), KILLED);
}

static void test_loop(void **state)
{
	(void)state;
	int r = run(VMM_SECCOMP_KILL, false, VMM_THREAD_LOOP, 0, CALL(SYS_socket, AF_UNIX, SOCK_STREAM, 0));
	assert_int_equal(r, 0);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_LOOP, 0, CALL(SYS_accept4, 900, 0, 0, 0)), EBADF);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_LOOP, 0, CALL(SYS_preadv, 900, 0, 0, 0)), EBADF);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_LOOP, 0,
			     CALL(SYS_socket, AF_INET, SOCK_STREAM, 0)), KILLED);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_LOOP, 0,
			     CALL(SYS_socket, AF_NETLINK, SOCK_RAW, 0)), KILLED);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_LOOP, 0, CALL(SYS_ioctl, 902, KVM_RUN)), KILLED);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_LOOP, 0,
			     CALL(SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY)), KILLED);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_LOOP, 0, CALL(SYS_bind, 900, 0, 0)), KILLED);
}

static void test_main(void **state)
{
	(void)state;
	/* vCPU 0's fd, then the teardown: removing the socket files. */
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_MAIN, 0, CALL(SYS_ioctl, 901, KVM_RUN)), EBADF);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_MAIN, 0,
			     CALL(SYS_unlink, (long)"/nonexistent-bulkhead")), ENOENT);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_MAIN, 0, CALL(SYS_ioctl, 902, KVM_RUN)), KILLED);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_MAIN, 0,
			     CALL(SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY)), KILLED);
	assert_int_equal(run(VMM_SECCOMP_KILL, false, VMM_THREAD_MAIN, 0,
			     CALL(SYS_socket, AF_UNIX, SOCK_STREAM, 0)), KILLED);
}

static void test_log_mode_allows(void **state)
{
	(void)state;
	/* --seccomp log: the same lists, but a stray call is logged, not fatal. */
	assert_int_equal(run(VMM_SECCOMP_LOG, false, VMM_THREAD_VCPU, 1,
			     CALL(SYS_openat, AT_FDCWD, (long)"/nonexistent-bulkhead", O_RDONLY)), ENOENT);
	assert_int_equal(run(VMM_SECCOMP_LOG, false, VMM_THREAD_VCPU, 1, CALL(SYS_ioctl, 901, KVM_RUN)), EBADF);
}

static void test_off_builds_nothing(void **state)
{
	(void)state;
	struct vmm_seccomp_params p = { .mode = VMM_SECCOMP_OFF, .vm_fd = VM_FD, .vcpu_fds = vcpu_fds,
					.nvcpus = 2 };
	struct vmm_seccomp *s = (struct vmm_seccomp *)1;
	struct bh_error err = { 0 };
	assert_int_equal(vmm_seccomp_build(&p, &s, &err), 0);
	assert_null(s);
	assert_int_equal(vmm_seccomp_install(NULL, VMM_THREAD_VCPU, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu_kvm_ioctls),
		cmocka_unit_test(test_vcpu_escape_syscalls),
		cmocka_unit_test(test_vcpu_with_mmio_notify),
		cmocka_unit_test(test_loop),
		cmocka_unit_test(test_main),
		cmocka_unit_test(test_log_mode_allows),
		cmocka_unit_test(test_off_builds_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
