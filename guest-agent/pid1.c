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
#include <sys/stat.h>
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
