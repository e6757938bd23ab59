/* The state store: <root>/<id>/state.json, written atomically, locked per
 * container with flock on the directory, status computed like runc. */
#include "container/rt_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container/cgroup.h"
#include "util/cleanup.h"

const char *bh_status_name(enum bh_status s)
{
	static const char *names[] = { "creating", "created", "running",
				       "paused", "stopped" };
	return (unsigned)s < 5 ? names[s] : "unknown";
}

int bh_id_validate(const char *id, struct bh_error *err)
{
	if (!id || !*id)
		return bh_error_setx(err, EINVAL, "container id is empty");
	size_t n = strnlen(id, BH_ID_MAX + 1);
	if (n > BH_ID_MAX)
		return bh_error_setx(err, EINVAL,
				     "container id is longer than %d characters",
				     BH_ID_MAX);
	if (strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, "..") ||
	    !strcmp(id, BH_CACHE_DIR))
		return bh_error_setx(err, EINVAL, "invalid container id %s", id);
	for (const char *c = id; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return bh_error_setx(err, EINVAL,
					     "invalid container id: control character");
	return 0;
}

int bh_wait_status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return 255;
}

void bh_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

char *state_now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64], *out = NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
		return NULL;
	return out;
}

int state_root_open(const char *root, bool create, int *fd, struct bh_error *err)
{
	if (!root)
		root = BH_DEFAULT_ROOT;
	if (create && mkdir(root, 0700) < 0 && errno != EEXIST) {
		/* mkdir -p for the parents (rarely needed). */
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s", root);
		for (char *p = tmp + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
		if (mkdir(root, 0700) < 0 && errno != EEXIST)
			return bh_error_set(err, errno, "mkdir %s", root);
	}
	*fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return bh_error_set(err, errno, "open state root %s", root);
	return 0;
}

void state_dir_close(struct bh_state_dir *sd)
{
	if (sd->fd >= 0)
		close(sd->fd);
	if (sd->root_fd >= 0)
		close(sd->root_fd);
	free(sd->path);
	sd->fd = sd->root_fd = -1;
	sd->path = NULL;
}

int state_dir_open(const char *root, const char *id, bool create,
		   struct bh_state_dir *sd, struct bh_error *err)
{
	return state_dir_open_lock(root, id, create, true, sd, err);
}

int state_dir_open_lock(const char *root, const char *id, bool create, bool lock,
			struct bh_state_dir *sd, struct bh_error *err)
{
	int r;
	sd->fd = sd->root_fd = -1;
	sd->path = NULL;
	if ((r = bh_id_validate(id, err)) < 0)
		return r;
	if ((r = state_root_open(root, create, &sd->root_fd, err)) < 0) {
		if (!create && r == -ENOENT)
			return bh_error_setx(err, ENOENT,
					     "container %s does not exist", id);
		return r;
	}
	if (create && mkdirat(sd->root_fd, id, 0711) < 0) {
		r = errno;
		state_dir_close(sd);
		if (r == EEXIST)
			return bh_error_setx(err, EEXIST,
					     "container %s already exists", id);
		return bh_error_set(err, r, "mkdir state dir %s", id);
	}
	sd->fd = openat(sd->root_fd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (sd->fd < 0) {
		r = errno;
		state_dir_close(sd);
		if (r == ENOENT || r == ENOTDIR || r == ELOOP)
			return bh_error_setx(err, ENOENT,
					     "container %s does not exist", id);
		return bh_error_set(err, r, "open state dir %s", id);
	}
	if (lock && flock(sd->fd, LOCK_EX) < 0) {
		r = errno;
		state_dir_close(sd);
		return bh_error_set(err, r, "lock state dir %s", id);
	}
	if (asprintf(&sd->path, "%s/%s", root ? root : BH_DEFAULT_ROOT, id) < 0) {
		state_dir_close(sd);
		return bh_error_set(err, ENOMEM, "state path");
	}
	return 0;
}

int state_write_file(int dirfd, const char *name, const char *data, size_t len,
		     struct bh_error *err)
{
	char tmp[256];
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return bh_error_set(err, errno, "create %s", tmp);
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			unlinkat(dirfd, tmp, 0);
			return bh_error_set(err, e, "write %s", tmp);
		}
		off += (size_t)w;
	}
	close(fd);
	/* No fsync: the store lives on tmpfs and is gone at reboot anyway. */
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return bh_error_set(err, e, "rename %s", name);
	}
	return 0;
}

static json_t *state_public_json(const struct bh_state *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "ociVersion", json_string(st->oci_version ? st->oci_version : "1.0.2"));
	json_object_set_new(o, "id", json_string(st->id));
	json_object_set_new(o, "pid", json_integer(st->status == BH_STATUS_STOPPED ? 0 : st->pid));
	json_object_set_new(o, "status", json_string(bh_status_name(st->status)));
	json_object_set_new(o, "bundle", json_string(st->bundle ? st->bundle : ""));
	json_object_set_new(o, "rootfs", json_string(st->rootfs ? st->rootfs : ""));
	json_object_set_new(o, "created", json_string(st->created ? st->created : ""));
	json_object_set_new(o, "owner", json_string(st->owner ? st->owner : ""));
	if (st->n_annotations) {
		json_t *a = json_object();
		for (size_t i = 0; i < st->n_annotations; i++)
			json_object_set_new(a, st->annot_keys[i],
					    json_string(st->annot_values[i]));
		json_object_set_new(o, "annotations", a);
	}
	return o;
}

char *bh_state_to_json(const struct bh_state *st)
{
	json_t *o = state_public_json(st);
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

char *state_json_for_hooks(const struct bh_state *st)
{
	json_t *o = state_public_json(st);
	/* Hooks see the real pid even while "creating". */
	json_object_set_new(o, "pid", json_integer(st->pid));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

int state_write(struct bh_state_dir *sd, const struct bh_state *st,
		struct bh_error *err)
{
	json_t *o = state_public_json(st);
	json_object_set_new(o, "pid", json_integer(st->pid));
	json_object_set_new(o, "bulkhead", json_pack("{s:I, s:s?, s:b, s:i}",
		"start_time", (json_int_t)st->start_time,
		"cgroup", st->cgroup_path, "creating", st->creating,
		"hooks", (int)st->hooks));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return bh_error_set(err, ENOMEM, "encode state");
	int r = state_write_file(sd->fd, "state.json", s, strlen(s), err);
	free(s);
	return r;
}

static char *json_strdup(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? strdup(s) : NULL;
}

void bh_state_free(struct bh_state *st)
{
	if (!st)
		return;
	state_clear(st);
	free(st);
}

void state_clear(struct bh_state *st)
{
	free(st->oci_version);
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	for (size_t i = 0; i < st->n_annotations; i++) {
		free(st->annot_keys[i]);
		free(st->annot_values[i]);
	}
	free(st->annot_keys);
	free(st->annot_values);
	free(st->cgroup_path);
	memset(st, 0, sizeof(*st));
}

int proc_start_time(pid_t pid, unsigned long long *start, char *state_char)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* comm may hold spaces and parens: parse after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	p += 2;
	if (state_char)
		*state_char = *p;
	/* field 3 is the state; start time is field 22. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	*start = strtoull(p, NULL, 10);
	return 0;
}

void state_refresh(struct bh_state_dir *sd, struct bh_state *st)
{
	unsigned long long start = 0;
	char sc = 0;
	bool alive = st->pid > 0 && proc_start_time(st->pid, &start, &sc) == 0 &&
		     sc != 'Z' && sc != 'X' && start == st->start_time;
	if (!alive) {
		st->status = BH_STATUS_STOPPED;
		return;
	}
	if (st->creating) {
		st->status = BH_STATUS_CREATING;
		return;
	}
	struct stat sb;
	if (fstatat(sd->fd, "exec.fifo", &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		st->status = BH_STATUS_CREATED;
		return;
	}
	st->status = BH_STATUS_RUNNING;
	if (st->cgroup_path) {
		struct bh_cgroup *cg = NULL;
		bool frozen = false;
		if (bh_cgroup_open(st->cgroup_path, &cg, NULL) == 0) {
			if (bh_cgroup_is_frozen(cg, &frozen, NULL) == 0 && frozen)
				st->status = BH_STATUS_PAUSED;
			bh_cgroup_free(cg);
		}
	}
}

int state_read(struct bh_state_dir *sd, const char *id, struct bh_state **out,
	       struct bh_error *err)
{
	int fd = openat(sd->fd, "state.json", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return bh_error_setx(err, ENOENT,
					     "container %s does not exist", id);
		return bh_error_set(err, errno, "open %s/state.json", sd->path);
	}
	/* One read: json_loadfd would read(2) a byte at a time. */
	char buf[65536];
	ssize_t n;
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	close(fd);
	json_error_t je;
	json_t *o = n > 0 ? json_loadb(buf, (size_t)n, 0, &je) : NULL;
	if (n <= 0)
		snprintf(je.text, sizeof(je.text), "empty or unreadable");
	if (!o || !json_is_object(o)) {
		json_decref(o);
		return bh_error_setx(err, EINVAL, "%s/state.json: %s", sd->path,
				     o ? "not an object" : je.text);
	}
	struct bh_state *st = calloc(1, sizeof(*st));
	if (!st) {
		json_decref(o);
		return bh_error_set(err, ENOMEM, "state");
	}
	st->oci_version = json_strdup(o, "ociVersion");
	st->id = json_strdup(o, "id");
	if (!st->id)
		st->id = strdup(id);
	st->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	st->bundle = json_strdup(o, "bundle");
	st->rootfs = json_strdup(o, "rootfs");
	st->created = json_strdup(o, "created");
	st->owner = json_strdup(o, "owner");
	json_t *a = json_object_get(o, "annotations");
	size_t na = json_is_object(a) ? json_object_size(a) : 0;
	if (na) {
		st->annot_keys = calloc(na, sizeof(char *));
		st->annot_values = calloc(na, sizeof(char *));
		const char *k;
		json_t *v;
		if (st->annot_keys && st->annot_values) {
			json_object_foreach(a, k, v) {
				if (!json_is_string(v))
					continue;
				st->annot_keys[st->n_annotations] = strdup(k);
				st->annot_values[st->n_annotations++] =
					strdup(json_string_value(v));
			}
		}
	}
	json_t *priv = json_object_get(o, "bulkhead");
	st->start_time = (unsigned long long)json_integer_value(json_object_get(priv, "start_time"));
	st->cgroup_path = json_strdup(priv, "cgroup");
	st->creating = json_is_true(json_object_get(priv, "creating"));
	st->hooks = (unsigned)json_integer_value(json_object_get(priv, "hooks"));
	json_decref(o);
	state_refresh(sd, st);
	*out = st;
	return 0;
}

static int rm_rf_at(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			return -errno;
		}
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			rm_rf_at(dirfd(d), e->d_name);
		}
		closedir(d);
		return unlinkat(dfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
	}
	return unlinkat(dfd, name, 0) < 0 ? -errno : 0;
}

int state_dir_remove(struct bh_state_dir *sd, struct bh_error *err)
{
	const char *id = strrchr(sd->path, '/');
	id = id ? id + 1 : sd->path;
	int r = rm_rf_at(sd->root_fd, id);
	if (r < 0 && r != -ENOENT)
		return bh_error_set(err, -r, "remove %s", sd->path);
	return 0;
}

int bh_container_state(const char *root, const char *id, struct bh_state **out,
		       struct bh_error *err)
{
	struct bh_state_dir sd;
	/* No lock: state.json is replaced atomically, and a hook that asks
	 * for the state while create holds the lock must not deadlock. */
	int r = state_dir_open_lock(root, id, false, false, &sd, err);
	if (r < 0)
		return r;
	r = state_read(&sd, id, out, err);
	state_dir_close(&sd);
	return r;
}

static int strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bh_container_list(const char *root, char ***ids, size_t *n,
		      struct bh_error *err)
{
	*ids = NULL;
	*n = 0;
	DIR *d = opendir(root ? root : BH_DEFAULT_ROOT);
	if (!d) {
		if (errno == ENOENT) {
			*ids = calloc(1, sizeof(char *));
			return *ids ? 0 : bh_error_set(err, ENOMEM, "list");
		}
		return bh_error_set(err, errno, "open %s", root ? root : BH_DEFAULT_ROOT);
	}
	size_t cap = 16, cnt = 0;
	char **v = calloc(cap + 1, sizeof(char *));
	if (!v) {
		closedir(d);
		return bh_error_set(err, ENOMEM, "list");
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		/* Only container dirs (others may share the root: tenants/);
		 * the host's VM-mode containers keep vm.json instead. */
		char sj[BH_ID_MAX + 16], vj[BH_ID_MAX + 16];
		snprintf(sj, sizeof(sj), "%s/state.json", e->d_name);
		snprintf(vj, sizeof(vj), "%s/vm.json", e->d_name);
		if (faccessat(dirfd(d), sj, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		    faccessat(dirfd(d), vj, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (cnt == cap) {
			char **nv = realloc(v, (cap * 2 + 1) * sizeof(char *));
			if (!nv)
				break;
			v = nv;
			cap *= 2;
		}
		v[cnt++] = strdup(e->d_name);
		v[cnt] = NULL;
	}
	closedir(d);
	qsort(v, cnt, sizeof(char *), strv_cmp);
	*ids = v;
	*n = cnt;
	return 0;
}
