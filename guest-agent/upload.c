/* Rootfs uploads: the host streams a tar of a directory in `upload`
 * chunks; the agent stages it on tmpfs and, on `create` with
 * rootfs {"upload": NAME}, extracts it into a fresh tmpfs that becomes the
 * container's root.  VM mode has no virtiofs and no hotplug, so this is
 * how a host rootfs (an OCI bundle's) gets into the guest. */
#include "agent.h"
#include "guest-agent/upload_tar.h"

#include <archive.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

unsigned long long agent_upload_max;

/* An extraction that takes longer is killed (SIGALRM in the child). */
#define UPLOAD_EXTRACT_TIMEOUT_S 300
/* Room for the container's own writes on top of the extracted tree. */
#define UPLOAD_ROOTFS_SLACK (64ull << 20)

static int upload_dir(char *out, size_t n)
{
	int r = snprintf(out, n, "%s-agent/uploads", agent_state_root);
	if (r < 0 || (size_t)r >= n)
		return -ENAMETOOLONG;
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int upload_path(const char *name, char *out, size_t n)
{
	char dir[600];
	int r = upload_dir(dir, sizeof(dir));
	if (r < 0)
		return r;
	r = snprintf(out, n, "%s/%s.tar", dir, name);
	return r < 0 || (size_t)r >= n ? -ENAMETOOLONG : 0;
}

/* Staged bytes live in guest memory (tmpfs): at most 1 GiB, and at most
 * half of it, unless --upload-max says otherwise. */
static unsigned long long upload_cap(void)
{
	if (agent_upload_max)
		return agent_upload_max;
	unsigned long long cap = 1ull << 30, total_kb = 0;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &total_kb) == 1)
			break;
	if (f)
		fclose(f);
	if (total_kb && total_kb * 1024 / 2 < cap)
		cap = total_kb * 1024 / 2;
	return cap;
}

/* Bytes staged by every upload except `skip`. */
static unsigned long long upload_held(const char *skip)
{
	char dir[600], self[BH_PROTO_UPLOAD_NAME_MAX + 8];
	unsigned long long sum = 0;
	if (upload_dir(dir, sizeof(dir)) < 0)
		return 0;
	snprintf(self, sizeof(self), "%s.tar", skip);
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, self))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			sum += (unsigned long long)st.st_size;
	}
	return sum;
}

static int write_full(int fd, const unsigned char *buf, size_t n, off_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, buf, n, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		buf += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

int upload_chunk(json_t *params, long long *size, struct bh_error *err)
{
	json_t *jn = json_object_get(params, "name"), *jo = json_object_get(params, "offset"),
	       *jd = json_object_get(params, "data");
	const char *name = json_string_value(jn);
	char path[700];

	if (!name || !bh_proto_upload_name_valid(name))
		return bh_error_setx(err, EINVAL, "params.name: expected 1-%d of [A-Za-z0-9_.-], not starting with '.'",
				     BH_PROTO_UPLOAD_NAME_MAX);
	if (!json_is_integer(jo) || json_integer_value(jo) < 0)
		return bh_error_setx(err, EINVAL, "params.offset: expected an integer >= 0");
	if (!json_is_string(jd))
		return bh_error_setx(err, EINVAL, "params.data: expected a base64 string");
	long long off = json_integer_value(jo);
	size_t dlen = json_string_length(jd), bad = 0, n = 0;
	if (dlen > (BH_PROTO_UPLOAD_CHUNK + 2) / 3 * 4)
		return bh_error_setx(err, EINVAL, "params.data: more than %u bytes in one chunk",
				     BH_PROTO_UPLOAD_CHUNK);
	_cleanup_free_ unsigned char *data = NULL;
	int r = bh_b64_decode(json_string_value(jd), dlen, &data, &n, &bad);
	if (r == -ENOMEM)
		return bh_error_setx(err, ENOMEM, "params.data: out of memory");
	if (r < 0)
		return bh_error_setx(err, EINVAL, "params.data: bad base64 at character %zu", bad);
	if (n > BH_PROTO_UPLOAD_CHUNK)
		return bh_error_setx(err, EINVAL, "params.data: %zu bytes, at most %u in one chunk",
				     n, BH_PROTO_UPLOAD_CHUNK);
	if ((r = upload_path(name, path, sizeof(path))) < 0)
		return bh_error_set(err, -r, "upload %s: staging directory", name);

	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (off == 0 ? O_CREAT | O_TRUNC : 0), 0600);
	if (fd < 0 && errno == ENOENT)
		return bh_error_setx(err, EINVAL, "upload %s: expected offset 0 (nothing received yet), got %lld",
				     name, off);
	if (fd < 0)
		return bh_error_set(err, errno, "upload %s: open %s", name, path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return bh_error_set(err, errno, "upload %s: stat", name);
	if (st.st_size != off)
		return bh_error_setx(err, EINVAL, "upload %s: chunks must arrive in order: expected offset %lld, got %lld",
				     name, (long long)st.st_size, off);
	unsigned long long cap = upload_cap(), held = upload_held(name);
	if (held + (unsigned long long)off + n > cap) {
		unlink(path);
		return bh_error_setx(err, ENOSPC, "upload %s: %llu bytes would exceed the agent's limit of %llu bytes "
				     "for staged uploads (%llu held by others; they live in guest memory); upload discarded",
				     name, (unsigned long long)off + n, cap, held);
	}
	if ((r = write_full(fd, data, n, (off_t)off)) < 0) {
		unlink(path);
		return bh_error_set(err, -r, "upload %s: write; upload discarded", name);
	}
	*size = off + (long long)n;
	return 0;
}

void upload_discard_rootfs(json_t *rootfs)
{
	const char *name = json_string_value(json_object_get(rootfs, "upload"));
	char path[700];
	if (name && bh_proto_upload_name_valid(name) && upload_path(name, path, sizeof(path)) == 0)
		unlink(path);
}

void upload_cleanup_all(void)
{
	char dir[600];
	if (upload_dir(dir, sizeof(dir)) < 0)
		return;
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		rmdir(dir);
}

/* The child: chroot into the new root, so no entry can land outside it
 * whatever the tar says, then extract.  Reports "errno message" on the pipe. */
static void __attribute__((noreturn)) extract_child(int tar_fd, const char *dir, int report)
{
	struct bh_error err = { 0 };
	struct archive *a = NULL;
	unsigned skipped = 0;
	alarm(UPLOAD_EXTRACT_TIMEOUT_S);
	if (chdir(dir) < 0 || chroot(".") < 0 || chdir("/") < 0)
		bh_error_set(&err, errno, "chroot %s", dir);
	else if (upload_tar_open_fd(tar_fd, &a, &err) == 0)
		upload_tar_extract(a, &skipped, &err);
	if (a)
		archive_read_free(a);
	if (err.code) {
		char buf[BH_ERROR_MAX + 16];
		int n = snprintf(buf, sizeof(buf), "%d %s", err.code, err.msg);
		if (n > 0 && write(report, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1) < 0)
			_exit(3);
		_exit(1);
	}
	if (skipped)
		bh_log_debug("rootfs upload: skipped %u device node(s) or socket(s)", skipped);
	_exit(0);
}

/* Run the extraction child and wait for it.  This runs on the agent's only
 * thread, inside a request handler: the SIGCHLD reaper (procs_reap, from
 * the signalfd loop and after create/exec) cannot run until we return, so
 * this waitpid is the only one that can collect the child. */
static int extract_in_child(int tar_fd, const char *name, const char *dir, struct bh_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return bh_error_set(err, errno, "rootfs upload %s: pipe", name);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return bh_error_set(err, e, "rootfs upload %s: fork", name);
	}
	if (pid == 0) {
		close(p[0]);
		extract_child(tar_fd, dir, p[1]);
	}
	close(p[1]);
	char msg[BH_ERROR_MAX + 16];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(p[0], msg + have, sizeof(msg) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (have == sizeof(msg) - 1)
			break;
	}
	msg[have] = '\0';
	close(p[0]);
	int st;
	pid_t w;
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (w < 0)
		return bh_error_set(err, errno, "rootfs upload %s: waiting for the extraction process %d",
				    name, (int)pid);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		return bh_error_setx(err, ETIMEDOUT, "rootfs upload %s: extraction took longer than %d s",
				     name, UPLOAD_EXTRACT_TIMEOUT_S);
	if (WIFSIGNALED(st))
		return bh_error_setx(err, EIO, "rootfs upload %s: the extraction process was killed by signal %d (%s)",
				     name, WTERMSIG(st), strsignal(WTERMSIG(st)));
	if (WEXITSTATUS(st) == 0)
		return 0;
	char *sp = strchr(msg, ' ');
	int code = atoi(msg);
	if (!sp || code <= 0)
		return bh_error_setx(err, EIO, "rootfs upload %s: the extraction process exited with status %d",
				     name, WEXITSTATUS(st));
	return bh_error_setx(err, code, "rootfs upload %s: %s", name, sp + 1);
}

int upload_rootfs(const char *name, const char *dir, struct bh_error *err)
{
	char path[700], opts[64];
	struct stat st;
	if (!bh_proto_upload_name_valid(name))
		return bh_error_setx(err, EINVAL, "params.rootfs.upload: expected an upload name (1-%d of [A-Za-z0-9_.-])",
				     BH_PROTO_UPLOAD_NAME_MAX);
	if (upload_path(name, path, sizeof(path)) < 0)
		return bh_error_setx(err, ENAMETOOLONG, "rootfs upload %s: staging path", name);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return bh_error_setx(err, ENOENT, "rootfs upload %s: no such upload (send it with `upload` first)", name);
	if (fd < 0)
		return bh_error_set(err, errno, "rootfs upload %s: open %s", name, path);
	/* Consumed whatever happens next; the open fd keeps the bytes. */
	unlink(path);
	if (fstat(fd, &st) < 0)
		return bh_error_set(err, errno, "rootfs upload %s: stat", name);
	/* The tree cannot be bigger than the tar that holds it (sparse files
	 * stay sparse on tmpfs); writes get the same slack as an overlay's. */
	snprintf(opts, sizeof(opts), "size=%llu,mode=0755",
		 (unsigned long long)st.st_size + UPLOAD_ROOTFS_SLACK);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return bh_error_set(err, errno, "rootfs upload %s: mkdir %s", name, dir);
	if (mount("tmpfs", dir, "tmpfs", MS_NODEV | MS_NOSUID, opts) < 0) {
		int e = errno;
		rmdir(dir);
		return bh_error_set(err, e, "rootfs upload %s: mount tmpfs on %s", name, dir);
	}
	int r = extract_in_child(fd, name, dir, err);
	if (r < 0) {
		umount2(dir, MNT_DETACH);
		rmdir(dir);
	}
	return r;
}
