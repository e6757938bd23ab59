/* PID 1 duties: the mounts a container engine needs, lo/eth0 up, power off. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <ftw.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

bool pid1_is_init(void)
{
	return getpid() == 1;
}

static int pid1_mount(const char *src, const char *dst, const char *type,
		      unsigned long flags, const char *data, struct bh_error *err)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, flags, data) < 0 && errno != EBUSY)
		return bh_error_set(err, errno, "mount %s on %s", type, dst);
	return 0;
}

/* Delegate every available controller to the children of the root cgroup,
 * so container cgroups get memory, pids, cpu, io and cpuset. */
static void pid1_cgroup_delegate(void)
{
	char buf[512];
	int fd = open("/sys/fs/cgroup/cgroup.controllers", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	int w = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
	if (w < 0)
		return;
	for (char *s = strtok(buf, " \n"); s; s = strtok(NULL, " \n")) {
		char ctl[64];
		int len = snprintf(ctl, sizeof(ctl), "+%s", s);
		if (len > 0 && write(w, ctl, (size_t)len) < 0)
			bh_log_warn("cgroup: enabling %s for containers: %s", s, strerror(errno));
	}
	close(w);
}

static void pid1_link_up(const char *ifname)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			bh_log_warn("net: %s up: %s", ifname, strerror(errno));
	}
	close(s);
}

/* Copy one entry of the initramfs into the new root (nftw callback). */
static const char *copy_dst = "/newroot";
static int copy_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char dst[4096];
	(void)ftw;
	if (!strcmp(path, "/"))
		return 0;
	snprintf(dst, sizeof(dst), "%s%s", copy_dst, path);
	if (type == FTW_D) {
		mkdir(dst, st->st_mode & 07777);
	} else if (type == FTW_SL) {
		char target[4096];
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (symlink(target, dst) < 0)
				bh_log_warn("switch root: symlink %s: %s", dst, strerror(errno));
		}
	} else if (S_ISREG(st->st_mode)) {
		int in = open(path, O_RDONLY | O_CLOEXEC);
		int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st->st_mode & 07777);
		char buf[65536];
		ssize_t n;
		while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				break;
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		mknod(dst, st->st_mode, st->st_rdev);
	}
	return 0;
}

/* The initramfs is the kernel's rootfs, and pivot_root(2) refuses to move
 * away from rootfs: containers could only be chroot'ed.  So, like
 * switch_root, copy the initramfs into a tmpfs, move that over /, chroot
 * into it and re-exec; after that every container gets a real pivot_root. */
void pid1_switch_root(char **argv)
{
	struct statfs sf;
	if (getenv("BULKHEAD_AGENT_SWITCHED") || statfs("/", &sf) < 0 ||
	    (sf.f_type != RAMFS_MAGIC && sf.f_type != TMPFS_MAGIC))
		return;
	mkdir("/newroot", 0755);
	if (mount("tmpfs", "/newroot", "tmpfs", 0, "mode=0755") < 0) {
		bh_log_warn("switch root: mount tmpfs: %s (containers fall back to the initramfs root)",
			    strerror(errno));
		return;
	}
	if (nftw("/", copy_entry, 16, FTW_PHYS | FTW_MOUNT) < 0 ||
	    chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 ||
	    chroot(".") < 0 || chdir("/") < 0) {
		bh_log_error("switch root: %s", strerror(errno));
		return;
	}
	setenv("BULKHEAD_AGENT_SWITCHED", "1", 1);
	execv("/init", argv);
	bh_log_error("switch root: exec /init: %s", strerror(errno));
}

/* With a stock kernel the initramfs carries the modules our devices need
 * (images/initramfs.sh --stock): /modules/load-order, dependencies first.
 * Loaded before the agent looks for its vsock and virtio-serial port. */
static void pid1_load_modules(void)
{
	char line[256], path[300];
	FILE *f = fopen("/modules/load-order", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || strchr(line, '/'))
			continue;
		snprintf(path, sizeof(path), "/modules/%s", line);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) < 0) {
			if (errno != EEXIST)
				bh_log_warn("module %s: %s", line, strerror(errno));
		}
		if (fd >= 0)
			close(fd);
	}
	fclose(f);
}

int pid1_setup(struct bh_error *err)
{
	int r;

	if ((r = pid1_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err)) < 0 ||
	    (r = pid1_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err)) < 0 ||
	    (r = pid1_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", err)) < 0 ||
	    (r = pid1_mount("cgroup2", "/sys/fs/cgroup", "cgroup2",
			    MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate", err)) < 0 ||
	    (r = pid1_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", err)) < 0 ||
	    (r = pid1_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", err)) < 0)
		return r;
	pid1_load_modules();
	mkdir("/dev/pts", 0755);
	mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666");
	mkdir("/dev/shm", 01777);
	mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777");
	/* The engine bind-mounts the host's /dev/null etc.; the root must not
	 * propagate container mounts back. */
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	pid1_cgroup_delegate();
	pid1_link_up("lo");
	pid1_link_up("eth0");
	mkdir("/run/bulkhead-agent", 0700);
	mkdir(agent_bundles, 0700);
	return 0;
}

bool pid1_cmdline_has(const char *word)
{
	char cmd[4096] = "";
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return false;
	cmd[n] = '\0';
	size_t wl = strlen(word);
	for (char *p = strstr(cmd, word); p; p = strstr(p + 1, word))
		if ((p == cmd || p[-1] == ' ') && (p[wl] == ' ' || p[wl] == '\n' || p[wl] == '\0' || p[wl] == '='))
			return true;
	return false;
}

/* How the VM ends: with reboot=t (bulkhead-vmm, QEMU -no-reboot) a reboot is
 * the clean exit; a power-off without ACPI only halts the CPU. */
void pid1_poweroff(void)
{
	char cmd[4096] = "";
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
		if (n > 0)
			cmd[n] = '\0';
		close(fd);
	}
	sync();
	if (strstr(cmd, "bulkhead.halt=poweroff"))
		reboot(RB_POWER_OFF);
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
