/* attack: tries one container escape or abuse by direct syscall.
 *   attack NAME [ARG]
 * Exit 0: BLOCKED with one of the errnos that attack expects (printed as
 * "BLOCKED <name>: <ERRNO>").  Exit 1: the attack SUCCEEDED (details printed).
 * Exit 2: it failed, but not in the expected way (errno printed), or usage.
 * Built static so it runs inside the busybox rootfs.  Every attack is chosen so
 * that success does no harm to the host (e.g. files are opened, not written;
 * reboot gets an invalid command). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <linux/keyctl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static const char *name;

static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EROFS: return "EROFS";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case EAGAIN: return "EAGAIN";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case ENODEV: return "ENODEV";
	case EBUSY: return "EBUSY";
	case ENOMEM: return "ENOMEM";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ESRCH: return "ESRCH";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case EIO: return "EIO";
	default: return "E?";
	}
}

static int succeeded(const char *fmt, ...)
{
	va_list ap;
	printf("SUCCEEDED %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 1;
}

/* Judge a failed call: errno e must be one of the expected list (0-ended). */
static int judge(const char *what, int e, ...)
{
	va_list ap;
	int want, ok = 0;
	va_start(ap, e);
	while ((want = va_arg(ap, int)) != 0)
		if (want == e)
			ok = 1;
	va_end(ap);
	printf("%s %s: %s: %s (%s)\n", ok ? "BLOCKED" : "UNEXPECTED", name, what,
	       errname(e), strerror(e));
	return ok ? 0 : 2;
}

static int do_mount(void)
{
	if (mount("tmpfs", "/mnt", "tmpfs", 0, "size=1m") == 0) {
		umount2("/mnt", MNT_DETACH);
		return succeeded("mounted tmpfs on /mnt");
	}
	return judge("mount tmpfs", errno, EPERM, 0);
}

/* PATH is a masked /proc file (kcore where the kernel has one). */
static int do_mount_masked(const char *path)
{
	if (mount("/etc/passwd", path, NULL, MS_BIND, NULL) == 0) {
		umount2(path, MNT_DETACH);
		return succeeded("bind-mounted over %s", path);
	}
	return judge("bind mount over masked path", errno, EPERM, 0);
}

static int do_umount_masked(const char *path)
{
	if (umount2(path, MNT_DETACH) == 0)
		return succeeded("unmounted the mask on %s", path);
	/* EINVAL would mean "not a mount point": the mask is missing. */
	return judge("umount masked path", errno, EPERM, 0);
}

/* Open for writing only: a successful open proves the hole without using it. */
static int do_open_write(const char *path)
{
	int fd = open(path, O_WRONLY);
	if (fd >= 0) {
		close(fd);
		return succeeded("opened %s for writing", path);
	}
	char what[256];
	snprintf(what, sizeof(what), "open %s O_WRONLY", path);
	return judge(what, errno, EROFS, EACCES, EPERM, 0);
}

static int do_read_masked(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return judge("open masked path", errno, EPERM, EACCES, 0);
	ssize_t n = read(fd, buf, sizeof(buf));
	int e = errno;
	close(fd);
	if (n == 0) {
		printf("BLOCKED %s: %s reads as empty (masked)\n", name, path);
		return 0;
	}
	if (n < 0)
		return judge("read masked path", e, EPERM, EACCES, EIO, 0);
	return succeeded("read %zd bytes of %s", n, path);
}

static int do_mknod_block(void)
{
	if (mknod("/tmp/attack-sda", S_IFBLK | 0600, makedev(8, 0)) == 0) {
		int fd = open("/tmp/attack-sda", O_RDONLY);
		int e = errno;
		unlink("/tmp/attack-sda");
		if (fd >= 0) {
			close(fd);
			return succeeded("created and opened block device 8:0");
		}
		return succeeded("created block device 8:0 (open then failed: %s)",
				 errname(e));
	}
	return judge("mknod b 8 0", errno, EPERM, 0);
}

static int do_devmem(void)
{
	int fd = open("/dev/mem", O_RDONLY);
	if (fd >= 0) {
		close(fd);
		return succeeded("opened /dev/mem");
	}
	if (errno != ENOENT)
		return judge("open /dev/mem", errno, ENOENT, 0);
	printf("absent: /dev/mem does not exist\n");
	if (mknod("/dev/mem", S_IFCHR | 0600, makedev(1, 1)) == 0) {
		fd = open("/dev/mem", O_RDONLY);
		int e = errno;
		unlink("/dev/mem");
		if (fd >= 0) {
			close(fd);
			return succeeded("created and opened /dev/mem");
		}
		return succeeded("created /dev/mem (open then failed: %s)", errname(e));
	}
	return judge("mknod /dev/mem c 1 1", errno, EPERM, 0);
}

/* ENOSYS is accepted only when told the host kernel has no module support
 * (ARG "nomodules"): then no runtime can make loading possible. */
static int do_module(const char *arg)
{
	int nomod = arg && !strcmp(arg, "nomodules");
	/* Empty image: with the capability this fails later with ENOEXEC/EINVAL. */
	if (syscall(SYS_init_module, "", 0, "") == 0)
		return succeeded("init_module returned 0");
	int e1 = errno;
	int rc = judge("init_module", e1, EPERM, nomod ? ENOSYS : EPERM, 0);
	int fd = open("/bin/busybox", O_RDONLY);
	if (fd >= 0) {
		if (syscall(SYS_finit_module, fd, "", 0) == 0)
			return succeeded("finit_module returned 0");
		int e2 = errno;
		close(fd);
		int rc2 = judge("finit_module", e2, EPERM, nomod ? ENOSYS : EPERM, 0);
		if (rc2 > rc)
			rc = rc2;
	}
	return rc;
}

static int do_reboot(void)
{
	/* An invalid command: if the capability check passes the kernel says
	 * EINVAL and does nothing, so success is detectable and harmless. */
	if (syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, 0x0badc0de, NULL) == 0)
		return succeeded("reboot returned 0");
	if (errno == EINVAL)
		return succeeded("reboot passed the CAP_SYS_BOOT check (EINVAL for a bogus command)");
	return judge("reboot", errno, EPERM, 0);
}

static int do_ptrace(const char *arg)
{
	pid_t pid = arg ? atoi(arg) : 1;
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0) {
		waitpid(pid, NULL, __WALL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		return succeeded("attached to pid %d", pid);
	}
	return judge("ptrace attach", errno, EPERM, 0);
}

static int do_traceme(void)
{
	pid_t c = fork();
	if (c < 0)
		return judge("fork", errno, 0);
	if (c == 0) {
		/* Child: TRACEME makes the parent our tracer, then exec something. */
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
			_exit(100 + (errno == EPERM ? 0 : 1));
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return succeeded("PTRACE_TRACEME accepted");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 100)
		return judge("PTRACE_TRACEME", EPERM, EPERM, 0);
	printf("UNEXPECTED %s: child status 0x%x\n", name, st);
	return 2;
}

static int do_userns_mount(void)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		return judge("unshare(CLONE_NEWUSER|CLONE_NEWNS)", errno, EPERM, 0);
	if (mount("tmpfs", "/mnt", "tmpfs", 0, "size=1m") == 0)
		return succeeded("unshare(CLONE_NEWUSER) then mounted tmpfs on /mnt");
	return succeeded("unshare(CLONE_NEWUSER|CLONE_NEWNS) allowed (mount then failed: %s)",
			 errname(errno));
}

static int do_unshare_user(void)
{
	if (unshare(CLONE_NEWUSER) != 0)
		return judge("unshare(CLONE_NEWUSER)", errno, EPERM, 0);
	return succeeded("unshare(CLONE_NEWUSER) allowed");
}

static int do_setns(void)
{
	/* /proc/1 is the container's own init; the host's is not visible.  Joining
	 * any namespace needs CAP_SYS_ADMIN and setns is denied by seccomp. */
	static const char *const ns[] = { "net", "mnt", "pid", "uts", "ipc", "user", "cgroup" };
	int rc = 0, tried = 0;
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/1/ns/%s", ns[i]);
		int fd = open(p, O_RDONLY);
		if (fd < 0)
			continue;
		tried++;
		if (setns(fd, 0) == 0) {
			close(fd);
			return succeeded("setns(%s) allowed", p);
		}
		int e = errno;
		close(fd);
		char what[96];
		snprintf(what, sizeof(what), "setns %s", p);
		/* Joining one's own user namespace is EINVAL before any check. */
		int r = judge(what, e, EPERM, strcmp(ns[i], "user") ? EPERM : EINVAL, 0);
		if (r > rc)
			rc = r;
	}
	if (!tried) {
		printf("UNEXPECTED %s: no /proc/1/ns entries could be opened\n", name);
		return 2;
	}
	return rc;
}

static int do_bpf(void)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	int fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
	if (fd >= 0) {
		close(fd);
		return succeeded("bpf(BPF_MAP_CREATE) returned fd %d", fd);
	}
	return judge("bpf(BPF_MAP_CREATE)", errno, EPERM, 0);
}

static int do_perf(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	int fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd >= 0) {
		close(fd);
		return succeeded("perf_event_open returned fd %d", fd);
	}
	return judge("perf_event_open", errno, EPERM, 0);
}

static int do_keyctl(void)
{
	long r = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "attack");
	if (r >= 0)
		return succeeded("keyctl(JOIN_SESSION_KEYRING) gave key %ld", r);
	int rc = judge("keyctl", errno, EPERM, 0);
	r = syscall(SYS_add_key, "user", "attack", "x", 1, KEY_SPEC_PROCESS_KEYRING);
	if (r >= 0)
		return succeeded("add_key gave key %ld", r);
	int rc2 = judge("add_key", errno, EPERM, 0);
	return rc2 > rc ? rc2 : rc;
}

static int do_vsock(void)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (fd >= 0) {
		close(fd);
		return succeeded("socket(AF_VSOCK) returned fd %d", fd);
	}
	/* EAFNOSUPPORT would only mean the kernel lacks vsock, not a denial. */
	return judge("socket(AF_VSOCK)", errno, EPERM, 0);
}

static int do_raw(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd >= 0) {
		close(fd);
		return succeeded("socket(AF_INET, SOCK_RAW) returned fd %d", fd);
	}
	return judge("socket(AF_INET, SOCK_RAW)", errno, EPERM, 0);
}

/* Fork until fork fails; the pids limit must stop us with EAGAIN.  ARG is a
 * safety cap so a missing limit cannot hurt the host. */
static int do_forkbomb(const char *arg)
{
	int cap = arg ? atoi(arg) : 2000, n = 0, e = 0;
	pid_t *kids = calloc(cap, sizeof(*kids));
	if (!kids)
		return 2;
	for (; n < cap; n++) {
		pid_t c = fork();
		if (c < 0) {
			e = errno;
			break;
		}
		if (c == 0) {
			pause();
			_exit(0);
		}
		kids[n] = c;
	}
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	free(kids);
	printf("forked %d children\n", n);
	if (!e)
		return succeeded("forked %d children without hitting a limit", n);
	return judge("fork", e, EAGAIN, 0);
}

/* Touch memory in 1 MiB steps up to ARG MiB (default 1024); a memory limit
 * below that must get us OOM-killed (exit by SIGKILL) before we finish. */
static int do_memhog(const char *arg)
{
	long mb = arg ? atol(arg) : 1024;
	setvbuf(stdout, NULL, _IONBF, 0);
	for (long i = 0; i < mb; i++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return judge("mmap", errno, ENOMEM, 0);
		memset(p, 0x5a, 1 << 20);
		if (i % 16 == 0)
			printf("touched %ld MiB\n", i);
	}
	return succeeded("touched %ld MiB without being killed", mb);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: attack NAME [ARG]\n");
		return 2;
	}
	name = argv[1];
	const char *arg = argc > 2 ? argv[2] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(name, "mount")) return do_mount();
	if (!strcmp(name, "mount-masked")) return do_mount_masked(arg ? arg : "/proc/kcore");
	if (!strcmp(name, "umount-masked")) return do_umount_masked(arg ? arg : "/proc/kcore");
	if (!strcmp(name, "sysrq")) return do_open_write("/proc/sysrq-trigger");
	if (!strcmp(name, "proc-sys")) return do_open_write(arg ? arg : "/proc/sys/kernel/core_pattern");
	if (!strcmp(name, "read-masked")) return do_read_masked(arg ? arg : "/proc/kcore");
	if (!strcmp(name, "mknod-block")) return do_mknod_block();
	if (!strcmp(name, "devmem")) return do_devmem();
	if (!strcmp(name, "module")) return do_module(arg);
	if (!strcmp(name, "reboot")) return do_reboot();
	if (!strcmp(name, "ptrace")) return do_ptrace(arg);
	if (!strcmp(name, "traceme")) return do_traceme();
	if (!strcmp(name, "userns-mount")) return do_userns_mount();
	if (!strcmp(name, "unshare-user")) return do_unshare_user();
	if (!strcmp(name, "setns")) return do_setns();
	if (!strcmp(name, "bpf")) return do_bpf();
	if (!strcmp(name, "perf")) return do_perf();
	if (!strcmp(name, "keyctl")) return do_keyctl();
	if (!strcmp(name, "vsock")) return do_vsock();
	if (!strcmp(name, "raw-socket")) return do_raw();
	if (!strcmp(name, "forkbomb")) return do_forkbomb(arg);
	if (!strcmp(name, "memhog")) return do_memhog(arg);
	fprintf(stderr, "attack: unknown attack %s\n", name);
	return 2;
}
