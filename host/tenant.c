/* Tenant state store: <root>/tenants/<name>/state.json, read and written
 * with jansson; process liveness checked by pid and start time. */
#include "tenant.h"
#include "vm_backend.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

int tenant_name_validate(const char *name, struct bh_error *err)
{
	size_t n = strlen(name);
	if (n == 0 || n > TENANT_NAME_MAX)
		return bh_error_setx(err, EINVAL, "tenant name \"%.64s\": must be 1..%d characters",
				     name, TENANT_NAME_MAX);
	if (name[0] == '.' || name[0] == '-')
		return bh_error_setx(err, EINVAL, "tenant name \"%s\": must not start with '.' or '-'", name);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.')
			return bh_error_setx(err, EINVAL,
					     "tenant name \"%s\": only letters, digits, '-', '_' and '.' are allowed", name);
	}
	if (strstr(name, ".."))
		return bh_error_setx(err, EINVAL, "tenant name \"%s\": must not contain \"..\"", name);
	return 0;
}

int tenant_base(const char *root, char *out, size_t n, bool make, struct bh_error *err)
{
	int r = snprintf(out, n, "%s/tenants", root);
	if (r < 0 || (size_t)r >= n)
		return bh_error_setx(err, ENAMETOOLONG, "state root %s: path too long", root);
	if (make) {
		if (mkdir(root, 0711) < 0 && errno != EEXIST)
			return bh_error_set(err, errno, "mkdir %s", root);
		if (mkdir(out, 0700) < 0 && errno != EEXIST)
			return bh_error_set(err, errno, "mkdir %s", out);
	}
	return 0;
}

static void copy_str(char *dst, size_t n, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	snprintf(dst, n, "%s", s ? s : "");
}

/* A vm.pid written by the VM process itself before exec covers a
 * `tenant up` killed between fork and its state update. */
static void read_vm_pid(struct tenant *t)
{
	if (t->pid > 0)
		return;
	char pp[PATH_MAX + 16], buf[32] = "";
	snprintf(pp, sizeof(pp), "%s/vm.pid", t->dir);
	int fd = open(pp, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0) {
			t->pid = atoi(buf);
			t->start_time = 0;
		}
		close(fd);
	}
}

int tenant_load(const char *root, const char *name, struct tenant *t, struct bh_error *err)
{
	char base[PATH_MAX], path[PATH_MAX + 64];
	memset(t, 0, sizeof(*t));
	if (tenant_name_validate(name, err) < 0 || tenant_base(root, base, sizeof(base), false, err) < 0)
		return -EINVAL;
	snprintf(t->name, sizeof(t->name), "%s", name);
	if (snprintf(t->dir, sizeof(t->dir), "%s/%s", base, name) >= (int)sizeof(t->dir))
		return bh_error_setx(err, ENAMETOOLONG, "tenant dir under %s: path too long", base);
	snprintf(path, sizeof(path), "%s/state.json", t->dir);
	struct stat st;
	if (stat(t->dir, &st) < 0)
		return bh_error_setx(err, ENOENT, "tenant %s does not exist (no %s)", name, t->dir);
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);
	if (!o || !json_is_object(o)) {
		json_decref(o);
		/* A directory without state: `tenant up` died before writing it. */
		snprintf(t->status, sizeof(t->status), "broken");
		read_vm_pid(t);
		return bh_error_setx(err, EIO, "tenant %s: %s: %s", name, path, je.text);
	}
	copy_str(t->backend, sizeof(t->backend), o, "backend");
	copy_str(t->status, sizeof(t->status), o, "status");
	copy_str(t->sock, sizeof(t->sock), o, "agent_socket");
	copy_str(t->console, sizeof(t->console), o, "console_log");
	copy_str(t->kernel, sizeof(t->kernel), o, "kernel");
	copy_str(t->initrd, sizeof(t->initrd), o, "initrd");
	t->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	t->start_time = (unsigned long long)json_integer_value(json_object_get(o, "start_time"));
	t->mem_mib = (long)json_integer_value(json_object_get(o, "memory_mib"));
	t->vcpus = (int)json_integer_value(json_object_get(o, "vcpus"));
	t->ready_s = json_number_value(json_object_get(o, "ready_s"));
	const char *tr = json_string_value(json_object_get(o, "transport"));
	t->transport = tr && !strcmp(tr, "vsock") ? AGENT_T_VSOCK : AGENT_T_UNIX;
	t->streams = json_is_true(json_object_get(o, "streams"));
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(o, "images"), k, v) {
		if (t->n_images >= TENANT_MAX_IMAGES || !json_is_string(v))
			break;
		t->image_name[t->n_images] = strdup(k);
		t->image_file[t->n_images] = strdup(json_string_value(v));
		t->n_images++;
	}
	json_decref(o);
	read_vm_pid(t);
	return 0;
}

int tenant_save(const struct tenant *t, struct bh_error *err)
{
	char path[PATH_MAX + 64], tmp[PATH_MAX + 64];
	json_t *imgs = json_object();
	for (size_t i = 0; i < t->n_images; i++)
		json_object_set_new(imgs, t->image_name[i], json_string(t->image_file[i]));
	json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:I,s:s,s:b,s:s,s:s,s:s,s:s,s:I,s:i,s:f,s:o}",
		"name", t->name, "backend", t->backend, "status", t->status,
		"pid", (int)t->pid, "start_time", (json_int_t)t->start_time,
		"transport", t->transport == AGENT_T_VSOCK ? "vsock" : "unix", "streams", t->streams,
		"agent_socket", t->sock, "console_log", t->console,
		"kernel", t->kernel, "initrd", t->initrd,
		"memory_mib", (json_int_t)t->mem_mib, "vcpus", t->vcpus,
		"ready_s", t->ready_s, "images", imgs);
	if (!o)
		return bh_error_setx(err, ENOMEM, "tenant %s: building state.json", t->name);
	snprintf(path, sizeof(path), "%s/state.json", t->dir);
	snprintf(tmp, sizeof(tmp), "%s/.state.json.tmp", t->dir);
	int r = json_dump_file(o, tmp, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	if (r < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return bh_error_set(err, e, "tenant %s: write %s", t->name, tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return bh_error_set(err, e, "tenant %s: rename to %s", t->name, path);
	}
	return 0;
}

void tenant_free(struct tenant *t)
{
	for (size_t i = 0; i < t->n_images; i++) {
		free(t->image_name[i]);
		free(t->image_file[i]);
	}
	t->n_images = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int tenant_list(const char *root, char ***names, size_t *n, struct bh_error *err)
{
	char base[PATH_MAX];
	*names = NULL;
	*n = 0;
	if (tenant_base(root, base, sizeof(base), false, err) < 0)
		return -EINVAL;
	_cleanup_closedir_ DIR *d = opendir(base);
	if (!d)
		return errno == ENOENT ? 0 : bh_error_set(err, errno, "open %s", base);
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || tenant_name_validate(de->d_name, NULL) < 0)
			continue;
		if (*n + 2 > cap) {
			cap = cap ? cap * 2 : 8;
			char **nv = realloc(*names, cap * sizeof(char *));
			if (!nv)
				return bh_error_set(err, ENOMEM, "list tenants");
			*names = nv;
		}
		(*names)[(*n)++] = strdup(de->d_name);
		(*names)[*n] = NULL;
	}
	if (*n)
		qsort(*names, *n, sizeof(char *), cmp_str);
	return 0;
}

unsigned long long tenant_proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may hold spaces and parens: fields start after the last ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	char state = 0;
	unsigned long long v = 0;
	/* fields 3..22: state is 3, starttime is 22 */
	if (sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &state, &v) != 2)
		return 0;
	if (state == 'Z' || state == 'X')
		return 0;   /* a zombie is as dead as it gets */
	return v;
}

bool tenant_vm_alive(const struct tenant *t)
{
	/* A VM managed elsewhere (libvirt): ask its manager.  "Cannot tell"
	 * counts as alive: the agent channel may still work, and a stop
	 * then reports the manager's error instead of leaving a VM behind. */
	const struct vm_backend *be = vm_backend_find(t->backend);
	if (be && be->alive)
		return be->alive(t) != 0;
	if (t->pid <= 0)
		return false;
	unsigned long long st = tenant_proc_start_time(t->pid);
	if (st == 0)
		return false;
	if (t->start_time)
		return st == t->start_time;
	/* Only a pid from vm.pid: trust it only if its command line names
	 * this tenant's directory, so a recycled pid is never killed. */
	char path[64], buf[8192];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)t->pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n <= 0)
		return false;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, t->dir) != NULL;
}

long tenant_vm_rss_kib(const struct tenant *t)
{
	const struct vm_backend *be = vm_backend_find(t->backend);
	if (be && be->rss_kib)
		return be->rss_kib(t);
	char path[64], line[256];
	long kib = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)t->pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	return kib;
}

void tenant_console_tail(const struct tenant *t, char *out, size_t n)
{
	out[0] = '\0';
	_cleanup_close_ int fd = open(t->console, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || n < 2)
		return;
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)(n - 1) ? size - (off_t)(n - 1) : 0;
	ssize_t r = pread(fd, out, n - 1, from);
	if (r <= 0)
		return;
	out[r] = '\0';
	/* Trim trailing newlines; keep the last two lines. */
	while (r > 0 && (out[r - 1] == '\n' || out[r - 1] == '\r'))
		out[--r] = '\0';
	int lines = 0;
	for (ssize_t i = r - 1; i >= 0; i--) {
		if (out[i] == '\n' && ++lines == 2) {
			memmove(out, out + i + 1, (size_t)(r - i));
			break;
		}
	}
	for (char *p = out; *p; p++)
		if (*p == '\r' || (*p != '\n' && !isprint((unsigned char)*p)))
			*p = ' ';
		else if (*p == '\n')
			*p = '|';
}

int tenant_connect(const struct tenant *t, struct agent_client *c, int timeout_ms,
		   struct bh_error *err)
{
	if (strcmp(t->status, "running") != 0)
		return bh_error_setx(err, EAGAIN, "tenant %s is %s, not running (tenant down --force %s cleans up)",
				     t->name, t->status[0] ? t->status : "in an unknown state", t->name);
	if (!tenant_vm_alive(t))
		return bh_error_setx(err, EHOSTDOWN,
				     "tenant %s: its VM (%s, pid %d) is not running any more; "
				     "`bulkhead tenant down --force %s` cleans up",
				     t->name, t->backend, (int)t->pid, t->name);
	int r = agent_client_open(c, t->transport, t->sock, AGENT_CLIENT_PORT, timeout_ms, err);
	if (r < 0)
		bh_error_wrap(err, "tenant %s", t->name);
	return r;
}

int tenant_parse_size(const char *s, unsigned long long unit_default, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -EINVAL;
	unsigned long long mul = unit_default;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'B': mul = 1; break;
		case 'K': mul = 1ull << 10; break;
		case 'M': mul = 1ull << 20; break;
		case 'G': mul = 1ull << 30; break;
		default: return -EINVAL;
		}
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end)
			return -EINVAL;
	}
	if (v > (~0ull) / mul)
		return -ERANGE;
	*out = v * mul;
	return 0;
}
