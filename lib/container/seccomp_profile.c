/* The default seccomp profile: an allow-list stricter than Docker's
 * (docs/security-defaults.md).  Everything not listed fails with EPERM. */
#include "container/seccomp.h"

#include <sched.h>

/* Plain allows: what libc, shells, busybox, python and servers need. */
static const char *const allow_names[] = {
	"accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk",
	"capget", "capset", "chdir", "chmod", "chown", "chown32", "chroot",
	"clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
	"clock_gettime", "clock_gettime64", "clock_nanosleep",
	"clock_nanosleep_time64", "close", "close_range", "connect",
	"copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
	"epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait",
	"eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group",
	"faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
	"fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32",
	"fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
	"flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64",
	"fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64",
	"futex", "futex_time64", "futex_waitv", "futimesat", "get_mempolicy",
	"get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents",
	"getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
	"getgid32", "getgroups", "getgroups32", "getitimer", "getpeername",
	"getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
	"getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
	"getrusage", "getsid", "getsockname", "getsockopt", "gettid",
	"gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
	"inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel",
	"io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
	"io_setup", "io_submit", "ioctl", "ioprio_get", "ioprio_set", "ipc",
	"kill", "landlock_add_rule", "landlock_create_ruleset",
	"landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
	"linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr",
	"lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
	"membarrier", "memfd_create", "mincore", "mkdir", "mkdirat", "mknod",
	"mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
	"mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
	"mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
	"mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync",
	"munlock", "munlockall", "munmap", "nanosleep", "newfstatat", "_newselect",
	"open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal",
	"pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
	"ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
	"prlimit64", "pselect6", "pselect6_time64", "pwrite64", "pwritev",
	"pwritev2", "read", "readahead", "readlink", "readlinkat", "readv",
	"recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
	"removexattr", "rename", "renameat", "renameat2", "restart_syscall",
	"rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
	"rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
	"rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max",
	"sched_get_priority_min", "sched_getaffinity", "sched_getattr",
	"sched_getparam", "sched_getscheduler", "sched_rr_get_interval",
	"sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
	"sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
	"select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64",
	"send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
	"set_robust_list", "set_thread_area", "set_tid_address", "setfsgid",
	"setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
	"setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
	"setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32",
	"setreuid", "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid",
	"setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
	"sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn",
	"socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx",
	"symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo",
	"tee", "tgkill", "time", "timer_create", "timer_delete",
	"timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
	"timer_settime64", "timerfd_create", "timerfd_gettime",
	"timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
	"tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname",
	"unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes",
	"vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
	/* architecture-specific; unknown names are skipped per arch */
	"arch_prctl", "arm_fadvise64_64", "arm_sync_file_range",
	"sync_file_range2", "breakpoint", "cacheflush", "set_tls",
	"riscv_flush_icache",
};

/* Namespace-creating clone/unshare flags.  CLONE_NEWTIME (0x80) overlaps
 * the exit-signal byte of clone(2), so it is masked for unshare only. */
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
		  CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static json_t *profile_arg(unsigned index, uint64_t value, uint64_t two, const char *op)
{
	return json_pack("{s:i, s:I, s:I, s:s}", "index", (int)index,
			 "value", (json_int_t)value, "valueTwo", (json_int_t)two, "op", op);
}

static json_t *profile_rule1(const char *name, const char *action, json_t *args)
{
	json_t *r = json_pack("{s:[s], s:s}", "names", name, "action", action);
	if (r && args)
		json_object_set_new(r, "args", args);
	else
		json_decref(args);
	return r;
}

static json_t *profile_archs(void)
{
#if defined(__x86_64__)
	return json_pack("[sss]", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
#elif defined(__aarch64__)
	return json_pack("[ss]", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
#else
	return json_pack("[s]", "SCMP_ARCH_NATIVE");
#endif
}

json_t *bh_seccomp_default_profile(void)
{
	json_t *names = json_array();
	json_t *rules = json_array();
	json_t *p = json_object();
	if (!names || !rules || !p)
		goto fail;
	for (size_t i = 0; i < sizeof(allow_names) / sizeof(allow_names[0]); i++)
		json_array_append_new(names, json_string(allow_names[i]));
	json_array_append_new(rules, json_pack("{s:O, s:s}", "names", names,
					       "action", "SCMP_ACT_ALLOW"));
	/* clone only without namespace flags: no user namespaces from inside. */
	json_array_append_new(rules, profile_rule1("clone", "SCMP_ACT_ALLOW",
		json_pack("[o]", profile_arg(0, NS_FLAGS, 0, "SCMP_CMP_MASKED_EQ"))));
	json_array_append_new(rules, profile_rule1("unshare", "SCMP_ACT_ALLOW",
		json_pack("[o]", profile_arg(0, NS_FLAGS | CLONE_NEWTIME, 0,
					     "SCMP_CMP_MASKED_EQ"))));
	/* clone3 passes flags in memory that seccomp cannot read: ENOSYS makes
	 * glibc fall back to clone, which is filtered above. */
	json_t *c3 = profile_rule1("clone3", "SCMP_ACT_ERRNO", NULL);
	json_object_set_new(c3, "errnoRet", json_integer(ENOSYS));
	json_array_append_new(rules, c3);
	/* Every socket family but AF_VSOCK (40): the guest agent listens there.
	 * socketcall (x86 32-bit) is not allowed: its args are out of reach. */
	json_array_append_new(rules, profile_rule1("socket", "SCMP_ACT_ALLOW",
		json_pack("[o]", profile_arg(0, 40, 0, "SCMP_CMP_NE"))));
	/* personality: only the harmless values Docker allows. */
	static const uint64_t pers[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };
	for (size_t i = 0; i < sizeof(pers) / sizeof(pers[0]); i++)
		json_array_append_new(rules, profile_rule1("personality", "SCMP_ACT_ALLOW",
			json_pack("[o]", profile_arg(0, pers[i], 0, "SCMP_CMP_EQ"))));

	json_object_set_new(p, "defaultAction", json_string("SCMP_ACT_ERRNO"));
	json_object_set_new(p, "defaultErrnoRet", json_integer(EPERM));
	json_object_set_new(p, "architectures", profile_archs());
	json_object_set_new(p, "syscalls", rules);
	json_decref(names);
	return p;
fail:
	json_decref(names);
	json_decref(rules);
	json_decref(p);
	return NULL;
}
