/* Namespaces, cgroup v2 and seccomp: the kernel features every container uses. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "checks.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int do_unshare(void *arg)
{
	return unshare(*(int *)arg) == 0 ? 0 : 1;
}

void check_namespaces(void)
{
	static const struct { int flag; const char *name; } ns[] = {
		{ CLONE_NEWNS, "mnt" },     { CLONE_NEWUTS, "uts" },
		{ CLONE_NEWIPC, "ipc" },    { CLONE_NEWPID, "pid" },
		{ CLONE_NEWNET, "net" },    { CLONE_NEWUSER, "user" },
		{ CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
	};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		int flag = ns[i].flag;
		tap(run_child(do_unshare, &flag) == 0, "unshare %s namespace", ns[i].name);
	}
}

static int in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
			return 1;
		p += n;
	}
	return 0;
}

void check_cgroup2(void)
{
	static const char *const want[] = { "cpuset", "cpu", "io", "memory", "pids", "hugetlb" };
	char ctl[256], buf[64], missing[128] = "";
	int e;

	mkdir("/sys/fs/cgroup", 0755);
	e = mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	tap(e == 0, "mount cgroup2%s%s", e ? ": " : "", e ? strerror(errno) : "");
	if (e)
		return;
	if (read_file("/sys/fs/cgroup/cgroup.controllers", ctl, sizeof(ctl)) < 0)
		ctl[0] = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!in_list(ctl, want[i])) {
			strcat(missing, " ");
			strcat(missing, want[i]);
		}
	tap(!missing[0], "cgroup.controllers has cpuset cpu io memory pids hugetlb (got \"%s\")%s%s",
	    ctl, missing[0] ? "; missing:" : "", missing);

	/* Delegate, make a child group, limit it and move a process into it. */
	e = write_file("/sys/fs/cgroup/cgroup.subtree_control", "+cpuset +cpu +io +memory +pids");
	tap(e == 0, "enable controllers in cgroup.subtree_control%s%s", e ? ": " : "", e ? strerror(-e) : "");
	e = mkdir("/sys/fs/cgroup/t", 0755) ? -errno : 0;
	if (!e)
		e = write_file("/sys/fs/cgroup/t/memory.max", "33554432");
	if (!e)
		e = write_file("/sys/fs/cgroup/t/pids.max", "16");
	if (!e)
		e = write_file("/sys/fs/cgroup/t/cpu.max", "50000 100000");
	if (!e)
		e = write_file("/sys/fs/cgroup/t/cgroup.procs", "0");
	if (!e)
		e = read_file("/sys/fs/cgroup/t/memory.max", buf, sizeof(buf));
	tap(e == 0 && strcmp(buf, "33554432") == 0,
	    "child cgroup with memory.max, pids.max, cpu.max and a member%s%s", e ? ": " : "",
	    e ? strerror(-e) : "");
	/* Leave the group so that it can be removed. */
	write_file("/sys/fs/cgroup/cgroup.procs", "0");
	rmdir("/sys/fs/cgroup/t");
}

static int seccomp_child(void *arg)
{
	(void)arg;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (syscall(SYS_getpid) <= 0)
		return 2;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 3;
	errno = 0;
	return (syscall(SYS_getpid) == -1 && errno == EPERM) ? 0 : 1;
}

void check_seccomp(void)
{
	int rc = run_child(seccomp_child, NULL);

	tap(rc == 0, "seccomp filter makes getpid fail with EPERM (child status %d)", rc);
}
