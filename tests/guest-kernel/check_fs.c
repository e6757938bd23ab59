/* Container rootfs path: squashfs and ext4 images on virtio-blk, stacked
 * as overlayfs lowers under a tmpfs upper, and a binary run from the result. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks.h"

static int mount_ro(const char *dev, const char *dir, const char *fs)
{
	mkdir(dir, 0755);
	return mount(dev, dir, fs, MS_RDONLY, NULL) ? -errno : 0;
}

static int exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

void check_overlay(int disks)
{
	char buf[64];
	struct stat st;
	int e, fd;

	if (disks < 2) {
		tap(1, "overlay of squashfs and ext4 images # skip no disks attached");
		return;
	}
	e = mount_ro("/dev/vda", "/mnt/sq", "squashfs");
	tap(e == 0, "mount squashfs image from /dev/vda%s%s", e ? ": " : "", e ? strerror(-e) : "");
	e = mount_ro("/dev/vdb", "/mnt/ext", "ext4");
	tap(e == 0, "mount ext4 image from /dev/vdb%s%s", e ? ": " : "", e ? strerror(-e) : "");

	mkdir("/mnt/up", 0755);
	mount("tmpfs", "/mnt/up", "tmpfs", 0, NULL);
	mkdir("/mnt/up/upper", 0755);
	mkdir("/mnt/up/work", 0755);
	mkdir("/mnt/root", 0755);
	e = mount("overlay", "/mnt/root", "overlay", 0,
		  "lowerdir=/mnt/ext:/mnt/sq,upperdir=/mnt/up/upper,workdir=/mnt/up/work") ? -errno : 0;
	tap(e == 0, "mount overlay lower=ext4:squashfs upper=tmpfs%s%s", e ? ": " : "",
	    e ? strerror(-e) : "");
	if (e)
		return;

	/* Both lowers show through: the ext4 layer's marker, squashfs's busybox. */
	tap(read_file("/mnt/root/layer-ext4", buf, sizeof(buf)) == 0 && strcmp(buf, "ext4") == 0 &&
		    stat("/mnt/root/bin/busybox", &st) == 0 && st.st_size > 100000,
	    "overlay shows files of both lower layers");

	/* Writes land in the upper layer only; a delete leaves a whiteout. */
	fd = open("/mnt/root/tmp/written", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	e = fd >= 0 && write(fd, "hello\n", 6) == 6;
	if (fd >= 0)
		close(fd);
	e = e && unlink("/mnt/root/etc/hostname") == 0;
	tap(e && exists("/mnt/up/upper/tmp/written") && !exists("/mnt/sq/tmp/written") &&
		    !exists("/mnt/root/etc/hostname") && exists("/mnt/sq/etc/hostname") &&
		    lstat("/mnt/up/upper/etc/hostname", &st) == 0 && S_ISCHR(st.st_mode) &&
		    st.st_rdev == makedev(0, 0),
	    "overlay writes go to the tmpfs upper; delete leaves a whiteout");

	/* Exec a binary from the merged tree, as a container start would. */
	pid_t pid = fork();
	int status = -1;
	if (pid == 0) {
		if (chroot("/mnt/root") || chdir("/"))
			_exit(126);
		execl("/bin/busybox", "busybox", "test", "-f", "/layer-ext4", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	tap(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "chroot into the overlay and exec its busybox (status %d)", status);
	umount("/mnt/root");
}
