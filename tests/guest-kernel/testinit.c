/* Test /init for guest-kernel boot tests (tests/suites/60-guest-kernel).
 * Runs as PID 1 in a QEMU guest, checks what containers in the guest need
 * (namespaces, cgroup v2 controllers, seccomp, overlay of the image disks,
 * vsock, veth/bridge, nftables), prints one line per check on the console:
 *   TAP ok - <what>      TAP not ok - <what>: <why>
 * then "TAP done <n>" and reboots, which QEMU (-no-reboot) turns into exit.
 * With a stock kernel, /modules/load-order names modules to load first.
 * Kernel command line knobs (read from /proc/cmdline):
 *   bh.disks=N   expect N virtio disks: vda squashfs, vdb ext4 (default 2)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks.h"

static int n_checks;

void tap(int ok, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("TAP %s - %s\n", ok ? "ok" : "not ok", buf);
	fflush(stdout);
	n_checks++;
}

int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	e = n < 0 ? -errno : 0;
	close(fd);
	return e;
}

int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return 0;
}

/* Runs fn in a child so that unshare/seccomp do not stick to PID 1;
 * returns the child's exit status (0 = pass) or -1. */
int run_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void load_modules(void)
{
	char name[256], path[300];
	FILE *f = fopen("/modules/load-order", "re");
	int n = 0, bad = 0;

	if (!f)
		return;
	while (fgets(name, sizeof(name), f)) {
		name[strcspn(name, "\n")] = 0;
		if (!name[0])
			continue;
		snprintf(path, sizeof(path), "/modules/%s", name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) < 0) {
			if (errno != EEXIST) {
				printf("# module %s: %s\n", name, strerror(errno));
				bad++;
			}
		}
		if (fd >= 0)
			close(fd);
		n++;
	}
	fclose(f);
	tap(bad == 0, "load %d modules from /modules/load-order%s", n, bad ? " (some failed)" : "");
}

static void mount_basics(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	/* devtmpfs may be auto-mounted already (DEVTMPFS_MOUNT). */
	mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL);
	/* An archive built without root has no /dev/console node, so the
	 * kernel could not give us stdio: take the console from devtmpfs. */
	if (fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
}

static int cmdline_int(const char *key, int dflt)
{
	char buf[2048];
	const char *p;

	if (read_file("/proc/cmdline", buf, sizeof(buf)) < 0)
		return dflt;
	p = strstr(buf, key);
	if (!p)
		return dflt;
	return atoi(p + strlen(key));
}

int main(void)
{
	struct utsname u;

	setvbuf(stdout, NULL, _IOLBF, 0);
	mount_basics();
	uname(&u);
	printf("# testinit: kernel %s %s\n", u.release, u.version);
	load_modules();
	check_namespaces();
	check_cgroup2();
	check_seccomp();
	check_overlay(cmdline_int("bh.disks=", 2));
	check_vsock();
	check_net();
	check_devices();
	printf("TAP done %d\n", n_checks);
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	/* Only reached if reboot failed; PID 1 must not exit. */
	for (;;)
		pause();
}
