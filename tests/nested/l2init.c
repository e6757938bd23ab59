/* l2init: static /init of the nested harness's L2 Linux guest, booted by
 * bulkhead-vmm inside the L1. Each check prints one TAP line on the console
 * (renumbered by the harness):
 *   init reached + uptime, mounts, modules (stock kernel only), virtio-blk
 *   (ext4 disk vda with a known token, raw disk vdb written for the L1 to
 *   read back), vsock guest->host (CID 2 port 5000, echo) and host->guest
 *   (listener on port 1024), virtio-console (/dev/hvc0), then powers off
 *   (RB_POWER_OFF: no ACPI, so the vCPU halts with IF=0 and bulkhead-vmm
 *   exits 0), or with l2.end=reboot reboot(RB_AUTOBOOT) (with reboot=t a
 *   KVM_EXIT_SHUTDOWN, VMM exit status 2).
 * Command line: l2.token=T (expected content of vda:/known.txt), and
 * l2.novirtio=REASON to skip the virtio checks with that reason. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int n, failures;
static char cmdline[4096];

static void tap(int ok, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("%s %d - l2: %s\n", ok ? "ok" : "not ok", ++n, msg);
	fflush(stdout);
	if (!ok)
		failures++;
}

static void skip(const char *what, const char *why)
{
	printf("ok %d - l2: %s # skip %s\n", ++n, what, why);
	fflush(stdout);
}

static double uptime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Value of "key=" on the kernel command line, copied to out ("" if absent). */
static void cmdline_arg(const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);
	out[0] = 0;
	for (char *p = cmdline; p && *p; p = strchr(p, ' ')) {
		while (*p == ' ')
			p++;
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(p + kl + 1, " \n"), p + kl + 1);
			return;
		}
	}
}

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, len - 1);
	close(fd);
	buf[r > 0 ? r : 0] = 0;
	return r;
}

static void load_modules(void)
{
	FILE *f = fopen("/modules/load-order", "re");
	if (!f)
		return;
	char name[256], path[300], bad[512] = "";
	int count = 0;
	while (fscanf(f, "%255s", name) == 1) {
		snprintf(path, sizeof(path), "/modules/%s", name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0)
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), " %s(%s)",
				 name, strerror(errno));
		else
			count++;
		if (fd >= 0)
			close(fd);
	}
	fclose(f);
	tap(bad[0] == 0, "%d modules loaded%s%s", count, bad[0] ? ", failed:" : "", bad);
}

/* Reads one '\n'-terminated line with a deadline; returns its length or -1. */
static int read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t got = 0;
	while (got < len - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		ssize_t r = read(fd, buf + got, 1);
		if (r <= 0)
			return -1;
		if (buf[got++] == '\n')
			break;
	}
	buf[got] = 0;
	return (int)got;
}

static void check_vsock(void)
{
	/* Listen first so that the L1's host-initiated connect can succeed as
	 * soon as the device is up. */
	int ls = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_vm la = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = 1024 };
	int lok = ls >= 0 && bind(ls, (struct sockaddr *)&la, sizeof(la)) == 0 &&
		  listen(ls, 1) == 0;
	tap(lok, "vsock listen on port 1024%s%s", lok ? "" : ": ", lok ? "" : strerror(errno));
	unsigned cid = 0;
	int vfd = open("/dev/vsock", O_RDONLY | O_CLOEXEC);
	if (vfd >= 0) {
		if (ioctl(vfd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) != 0)
			cid = 0;
		close(vfd);
	}
	if (cid < 3 || cid == VMADDR_CID_ANY) {
		/* No transport: the connect/accept checks below would only time out. */
		tap(0, "vsock local CID is %u (no virtio-vsock device?)", cid);
		if (ls >= 0)
			close(ls);
		return;
	}
	tap(1, "vsock local CID is %u", cid);

	/* Guest-initiated: CID 2 port 5000 reaches "<uds>_5000" in the L1. */
	char msg[128], want[160], got[256] = "";
	snprintf(msg, sizeof(msg), "ping-from-l2 %.6f\n", uptime());
	snprintf(want, sizeof(want), "echo: %s", msg);
	int s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_vm ca = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST,
				  .svm_port = 5000 };
	struct timeval tv = { .tv_sec = 10 };
	if (s >= 0)
		setsockopt(s, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv, sizeof(tv));
	const char *err = "";
	if (s < 0 || connect(s, (struct sockaddr *)&ca, sizeof(ca)) != 0)
		err = strerror(errno);
	else if (write(s, msg, strlen(msg)) != (ssize_t)strlen(msg))
		err = "short write";
	else if (read_line(s, got, sizeof(got), 10000) < 0)
		err = "no reply within 10 s";
	else if (strcmp(got, want) != 0)
		err = "wrong reply";
	got[strcspn(got, "\n")] = 0;
	tap(!err[0],
	    "vsock guest->host CID 2:5000 round trip%s%s (reply '%s')",
	    err[0] ? ": " : "", err, got);
	if (s >= 0)
		close(s);

	/* Host-initiated: the L1 connects to <uds>, "CONNECT 1024". */
	if (!lok)
		return;
	struct pollfd p = { .fd = ls, .events = POLLIN };
	err = "";
	got[0] = 0;
	int c = -1;
	if (poll(&p, 1, 30000) <= 0)
		err = "no connection within 30 s";
	else if ((c = accept4(ls, NULL, NULL, SOCK_CLOEXEC)) < 0)
		err = strerror(errno);
	else if (read_line(c, got, sizeof(got), 10000) < 0)
		err = "no line within 10 s";
	else {
		char reply[300];
		snprintf(reply, sizeof(reply), "pong: %s", got);
		if (write(c, reply, strlen(reply)) != (ssize_t)strlen(reply))
			err = "short write";
	}
	got[strcspn(got, "\n")] = 0;
	tap(!err[0], "vsock host->guest port 1024 accepted and answered%s%s ('%s')",
	    err[0] ? ": " : "", err, got);
	if (c >= 0)
		close(c);
	close(ls);
}

static void check_blk(const char *token)
{
	struct stat st;
	for (int i = 0; i < 50 && stat("/dev/vda", &st) != 0; i++)
		usleep(100000);
	char buf[512];
	if (read_file("/sys/block/vda/serial", buf, sizeof(buf)) >= 0) {
		buf[strcspn(buf, "\n")] = 0;
		tap(strcmp(buf, "l2data") == 0, "virtio-blk vda serial '%s' (want 'l2data')", buf);
	} else {
		tap(0, "virtio-blk vda present: %s", strerror(errno));
	}
	mkdir("/mnt", 0755);
	if (mount("/dev/vda", "/mnt", "ext4", MS_RDONLY, NULL) != 0) {
		tap(0, "mount ext4 /dev/vda: %s", strerror(errno));
	} else {
		ssize_t r = read_file("/mnt/known.txt", buf, sizeof(buf));
		buf[strcspn(buf, "\n")] = 0;
		tap(r > 0 && token[0] && strcmp(buf, token) == 0,
		    "virtio-blk ext4 vda:/known.txt is '%s' (want '%s')", buf, token);
		umount("/mnt");
	}
	/* vdb: raw and writable; the L1 reads this back after the VM ended. */
	int fd = open("/dev/vdb", O_WRONLY | O_CLOEXEC);
	char line[512] = { 0 };
	snprintf(line, sizeof(line), "l2-wrote %s\n", token);
	int ok = fd >= 0 && pwrite(fd, line, sizeof(line), 0) == (ssize_t)sizeof(line) &&
		 fsync(fd) == 0;
	tap(ok, "virtio-blk vdb raw write + fsync%s%s", ok ? "" : ": ", ok ? "" : strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void check_hvc(const char *token)
{
	for (int i = 0; i < 20 && access("/dev/hvc0", F_OK) != 0; i++)
		usleep(100000);
	char line[200];
	snprintf(line, sizeof(line), "l2-hvc %s\n", token);
	int fd = open("/dev/hvc0", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	int ok = fd >= 0 && write(fd, line, strlen(line)) == (ssize_t)strlen(line);
	tap(ok, "virtio-console /dev/hvc0 write%s%s", ok ? "" : ": ", ok ? "" : strerror(errno));
	if (fd >= 0) {
		tcdrain(fd);
		close(fd);
	}
}

int main(void)
{
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mkdir("/dev", 0755);
	int m = mount("proc", "/proc", "proc", 0, NULL);
	m |= mount("sysfs", "/sys", "sysfs", 0, NULL);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0 && errno != EBUSY)
		m = -1;
	double up = uptime();
	printf("NESTED-MARK l2-init uptime=%.2f\nL2 init reached (uptime %.2f s)\n", up, up);
	tap(1, "init reached, uptime %.2f s", up);
	tap(m == 0, "mount proc, sysfs, devtmpfs%s%s", m ? ": " : "", m ? strerror(errno) : "");
	read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	printf("# l2: cmdline %s", cmdline);
	load_modules();

	char token[128], novirtio[128], end[32];
	cmdline_arg("l2.token", token, sizeof(token));
	cmdline_arg("l2.end", end, sizeof(end));
	cmdline_arg("l2.novirtio", novirtio, sizeof(novirtio));
	if (novirtio[0]) {
		skip("virtio-blk and vsock", novirtio);
	} else {
		check_vsock();
		check_blk(token);
		check_hvc(token);
	}
	printf("NESTED-L2-DONE failures=%d checks=%d uptime=%.2f\n", failures, n, uptime());
	fflush(stdout);
	sync();
	reboot(strcmp(end, "reboot") == 0 ? RB_AUTOBOOT : RB_POWER_OFF);
	/* Only reached when reboot failed: PID 1 exiting panics (panic=-1). */
	printf("# l2: reboot: %s\n", strerror(errno));
	return 1;
}
