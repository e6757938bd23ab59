/* Request handlers: one function per protocol method.  Every handler checks
 * its params' types before acting and undoes partial work on failure, so a
 * hostile request can neither crash the agent nor leave a half-made
 * container behind. */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "container/cgroup.h"
#include "container/runtime.h"
#include "util/log.h"

static void reply_err(struct agent_conn *c, uint64_t id, const struct bh_error *err)
{
	server_send(c, bh_proto_error_reply(id, bh_proto_errno_name(err->code), err->msg));
}

/* Typed param access: NULL/-1 plus an error naming the param. */
static const char *param_str(json_t *params, const char *key, bool required,
			     struct bh_error *err)
{
	json_t *v = json_object_get(params, key);
	if (!v) {
		if (required)
			bh_error_setx(err, EINVAL, "params.%s: missing", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		bh_error_setx(err, EINVAL, "params.%s: expected a string", key);
		return NULL;
	}
	return json_string_value(v);
}

static int param_int(json_t *params, const char *key, long long def, long long lo,
		     long long hi, long long *out, struct bh_error *err)
{
	json_t *v = json_object_get(params, key);
	if (!v) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bh_error_setx(err, EINVAL, "params.%s: expected an integer in %lld..%lld",
				     key, lo, hi);
	*out = json_integer_value(v);
	return 0;
}

static int container_id(json_t *params, const char **id, struct bh_error *err)
{
	*id = param_str(params, "id", true, err);
	if (!*id)
		return -EINVAL;
	return bh_id_validate(*id, err);
}

/* ---- stdio ---- */
enum stdio_mode { STDIO_NULL, STDIO_CAPTURE, STDIO_STREAMS };

struct stdio_setup {
	enum stdio_mode mode;
	int child[3];          /* the process's ends */
	int ours[3];           /* ours (-1 if none) */
};

static int stdio_mode_parse(json_t *params, enum stdio_mode *m, struct bh_error *err)
{
	json_t *v = json_object_get(params, "stdio");
	const char *s = v ? json_string_value(v) : "capture";
	if (!s)
		return bh_error_setx(err, EINVAL, "params.stdio: expected a string");
	if (strcmp(s, "null") == 0)
		*m = STDIO_NULL;
	else if (strcmp(s, "capture") == 0)
		*m = STDIO_CAPTURE;
	else if (strcmp(s, "streams") == 0)
		*m = STDIO_STREAMS;
	else
		return bh_error_setx(err, EINVAL, "params.stdio: \"%.32s\": expected null, capture or streams", s);
	return 0;
}

static void stdio_close(struct stdio_setup *s)
{
	for (int i = 0; i < 3; i++) {
		if (s->child[i] >= 0)
			close(s->child[i]);
		if (s->ours[i] >= 0)
			close(s->ours[i]);
		s->child[i] = s->ours[i] = -1;
	}
}

static int stdio_prepare(struct stdio_setup *s, enum stdio_mode m, struct bh_error *err)
{
	s->mode = m;
	for (int i = 0; i < 3; i++)
		s->child[i] = s->ours[i] = -1;
	for (int i = 0; i < 3; i++) {
		bool want_pipe = m == STDIO_STREAMS || (m == STDIO_CAPTURE && i > 0);
		if (!want_pipe) {
			s->child[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
			if (s->child[i] < 0)
				goto fail;
			continue;
		}
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			goto fail;
		s->child[i] = i == 0 ? p[0] : p[1];
		s->ours[i] = i == 0 ? p[1] : p[0];
	}
	return 0;
fail:;
	int e = errno;
	stdio_close(s);
	return bh_error_set(err, e, "stdio");
}

/* The engine gives its child the caller's fds 0-2; swap ours in for the call. */
static int stdio_swap_in(const struct stdio_setup *s, int saved[3])
{
	for (int i = 0; i < 3; i++) {
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 10);
		if (dup2(s->child[i], i) < 0)
			return -errno;
	}
	return 0;
}

static void stdio_swap_out(int saved[3])
{
	for (int i = 0; i < 3; i++) {
		if (saved[i] >= 0) {
			dup2(saved[i], i);
			close(saved[i]);
		}
	}
}

/* After the process exists: hand our ends to captures or streams. */
static int stdio_attach(struct stdio_setup *s, struct agent_proc *p, json_t *reply)
{
	for (int i = 0; i < 3; i++) {
		close(s->child[i]);
		s->child[i] = -1;
	}
	if (s->mode == STDIO_CAPTURE) {
		p->capture = true;
		for (int i = 1; i < 3; i++) {
			p->cap_open[i - 1] = true;
			if (server_capture(s->ours[i], p, i - 1) < 0) {
				close(s->ours[i]);
				p->cap_open[i - 1] = false;
			}
			s->ours[i] = -1;
		}
	} else if (s->mode == STDIO_STREAMS) {
		static const char *names[3] = { "stdin", "stdout", "stderr" };
		json_t *st = json_object();
		for (int i = 0; i < 3; i++) {
			char tok[33];
			if (server_stream_new(s->ours[i], i > 0, tok) < 0) {
				close(s->ours[i]);
			} else {
				json_object_set_new(st, names[i], json_string(tok));
			}
			s->ours[i] = -1;
		}
		json_object_set_new(reply, "streams", st);
	}
	return 0;
}

/* The event loop blocks SIGCHLD, SIGTERM, SIGINT and SIGPWR for its
 * signalfd, and a mask is inherited across fork and exec: a container
 * would start with SIGTERM blocked.  Unblock around the engine's fork;
 * a SIGCHLD lost in that window is made up for by reaping once the new
 * process is in the table (procs_add). */
static void child_mask_open(sigset_t *old)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, old);
}

static void child_mask_close(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* ---- rootfs ---- */
static int bundle_path(char *out, size_t n, const char *id, const char *leaf)
{
	int r = snprintf(out, n, "%s/%s%s%s", AGENT_BUNDLES, id, leaf ? "/" : "", leaf ? leaf : "");
	return r < 0 || (size_t)r >= n ? -ENAMETOOLONG : 0;
}

static void bundle_remove(const char *id)
{
	char p[4096];
	static const char *mnts[] = { "rootfs", "upper", "lower" };
	for (size_t i = 0; i < 3; i++) {
		if (bundle_path(p, sizeof(p), id, mnts[i]) == 0) {
			umount2(p, MNT_DETACH);
			rmdir(p);
		}
	}
	if (bundle_path(p, sizeof(p), id, "config.json") == 0)
		unlink(p);
	if (bundle_path(p, sizeof(p), id, NULL) == 0)
		rmdir(p);
}

/* A disk may be named by its virtio-blk serial, which the host controls,
 * instead of /dev/vdX, which depends on probe order. */
static int disk_by_serial(const char *serial, char *dev, size_t n)
{
	glob_t g;
	int ret = -ENOENT;
	if (glob("/sys/block/vd*/serial", 0, NULL, &g) != 0)
		return ret;
	for (size_t i = 0; i < g.gl_pathc && ret < 0; i++) {
		char buf[64] = "";
		int fd = open(g.gl_pathv[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[strcspn(buf, "\n")] = '\0';
		if (strcmp(buf, serial) == 0) {
			const char *b = g.gl_pathv[i] + strlen("/sys/block/");
			snprintf(dev, n, "/dev/%.*s", (int)strcspn(b, "/"), b);
			ret = 0;
		}
	}
	globfree(&g);
	return ret;
}

static int rootfs_prepare(const char *id, json_t *rootfs, char *root, size_t n,
			  struct bh_error *err)
{
	const char *path = param_str(rootfs, "path", false, err);
	if (json_object_get(rootfs, "upload")) {
		const char *up = json_string_value(json_object_get(rootfs, "upload"));
		if (!up)
			return bh_error_setx(err, EINVAL, "params.rootfs.upload: expected a string");
		if (bundle_path(root, n, id, "rootfs") < 0)
			return bh_error_setx(err, ENAMETOOLONG, "bundle path");
		return upload_rootfs(up, root, err);
	}
	if (path) {
		if (path[0] != '/')
			return bh_error_setx(err, EINVAL, "params.rootfs.path: must be absolute");
		snprintf(root, n, "%s", path);
		return 0;
	}
	const char *disk = param_str(rootfs, "disk", false, err);
	const char *serial = param_str(rootfs, "serial", false, err);
	const char *fstype = param_str(rootfs, "fstype", false, err);
	char dev[64], lower[1200], upper[1200], work[1300], merged[1200], opts[4096];
	if (!fstype)
		fstype = "squashfs";
	if (strcmp(fstype, "squashfs") != 0 && strcmp(fstype, "ext4") != 0)
		return bh_error_setx(err, EINVAL, "params.rootfs.fstype: \"%.32s\": expected squashfs or ext4", fstype);
	if (serial) {
		if (disk_by_serial(serial, dev, sizeof(dev)) < 0)
			return bh_error_setx(err, ENOENT, "params.rootfs.serial: no virtio-blk disk with serial \"%.64s\"", serial);
	} else if (disk) {
		if (strncmp(disk, "/dev/vd", 7) != 0 || strchr(disk + 7, '/') || strstr(disk, ".."))
			return bh_error_setx(err, EINVAL, "params.rootfs.disk: expected /dev/vdX");
		snprintf(dev, sizeof(dev), "%s", disk);
	} else {
		return bh_error_setx(err, EINVAL, "params.rootfs: expected path, disk or serial");
	}
	if (bundle_path(lower, sizeof(lower), id, "lower") < 0 ||
	    bundle_path(upper, sizeof(upper), id, "upper") < 0 ||
	    bundle_path(merged, sizeof(merged), id, "rootfs") < 0)
		return bh_error_setx(err, ENAMETOOLONG, "bundle path");
	mkdir(lower, 0755);
	mkdir(upper, 0755);
	mkdir(merged, 0755);
	if (mount(dev, lower, fstype, MS_RDONLY | MS_NODEV | MS_NOSUID, NULL) < 0)
		return bh_error_set(err, errno, "mount %s (%s) on %s", dev, fstype, lower);
	/* Writes land in a tmpfs the container's memory limit does not cover;
	 * size it so one container cannot fill the guest. */
	if (mount("tmpfs", upper, "tmpfs", MS_NODEV | MS_NOSUID, "size=64m,mode=0755") < 0)
		return bh_error_set(err, errno, "mount tmpfs on %s", upper);
	snprintf(work, sizeof(work), "%s/work", upper);
	mkdir(work, 0755);
	snprintf(work, sizeof(work), "%s/upper", upper);
	mkdir(work, 0755);
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, upper, upper);
	if (mount("overlay", merged, "overlay", MS_NODEV, opts) < 0)
		return bh_error_set(err, errno, "mount overlay on %s", merged);
	snprintf(root, n, "%s", merged);
	return 0;
}

/* ---- methods ---- */
static void m_ping(struct agent_conn *c, const struct bh_request *req)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	json_t *res = json_pack("{s:i,s:[s,s,s,s,s,s],s:I}", "version", BH_PROTO_VERSION,
				"features", "vsock", "serial", "capture", "streams", "overlay", "upload",
				"uptime_ms", (json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	server_send(c, bh_proto_reply(req->id, res));
}

static void m_create(struct agent_conn *c, const struct bh_request *req)
{
	struct bh_error err = { 0 };
	const char *id;
	char bundle[4096], root[4096];
	struct stdio_setup sio = { .child = { -1, -1, -1 }, .ours = { -1, -1, -1 } };
	enum stdio_mode mode;
	struct bh_spec *spec = NULL;
	char *text = NULL;
	bool made_bundle = false;

	if (container_id(req->params, &id, &err) < 0)
		goto fail;
	json_t *config = json_object_get(req->params, "config");
	json_t *rootfs = json_object_get(req->params, "rootfs");
	if (!json_is_object(config)) {
		bh_error_setx(&err, EINVAL, "params.config: expected an OCI config object");
		goto fail;
	}
	if (!json_is_object(rootfs)) {
		bh_error_setx(&err, EINVAL, "params.rootfs: expected an object");
		goto fail;
	}
	if (stdio_mode_parse(req->params, &mode, &err) < 0)
		goto fail;
	if (procs_find(id, 0)) {
		bh_error_setx(&err, EEXIST, "container %s already exists", id);
		goto fail;
	}
	if (bundle_path(bundle, sizeof(bundle), id, NULL) < 0 || mkdir(bundle, 0700) < 0) {
		bh_error_set(&err, errno ? errno : ENAMETOOLONG, "bundle %s", id);
		goto fail;
	}
	made_bundle = true;
	if (rootfs_prepare(id, rootfs, root, sizeof(root), &err) < 0)
		goto fail;
	json_t *cfg = json_deep_copy(config);
	json_t *jroot = json_pack("{s:s,s:b}", "path", root, "readonly",
				  json_is_true(json_object_get(json_object_get(config, "root"), "readonly")));
	json_object_set_new(cfg, "root", jroot);
	text = json_dumps(cfg, JSON_COMPACT);
	json_decref(cfg);
	if (!text) {
		bh_error_setx(&err, ENOMEM, "config: cannot serialise");
		goto fail;
	}
	if (bh_spec_parse(text, strlen(text), bundle, &spec, &err) < 0)
		goto fail;
	if (stdio_prepare(&sio, mode, &err) < 0)
		goto fail;
	struct bh_create_opts opts = { .root = AGENT_STATE_ROOT, .id = id,
				       .config_json = text, .foreground = true };
	int saved[3];
	pid_t pid = 0;
	sigset_t mask;
	int r = stdio_swap_in(&sio, saved);
	child_mask_open(&mask);
	if (r == 0)
		r = bh_container_create(spec, &opts, &pid, &err);
	child_mask_close(&mask);
	stdio_swap_out(saved);
	if (r < 0)
		goto fail;
	struct agent_proc *p = procs_add(id, 0, pid);
	if (!p) {
		bh_error_setx(&err, ENOSPC, "too many processes");
		bh_container_delete(AGENT_STATE_ROOT, id, true, NULL);
		goto fail;
	}
	procs_reap();
	json_t *res = json_pack("{s:i}", "pid", pid);
	stdio_attach(&sio, p, res);
	bh_spec_free(spec);
	free(text);
	server_send(c, bh_proto_reply(req->id, res));
	return;
fail:
	stdio_close(&sio);
	bh_spec_free(spec);
	free(text);
	if (made_bundle)
		bundle_remove(id);
	upload_discard_rootfs(json_object_get(req->params, "rootfs"));
	reply_err(c, req->id, &err);
}

static void m_start(struct agent_conn *c, const struct bh_request *req)
{
	struct bh_error err = { 0 };
	const char *id;
	if (container_id(req->params, &id, &err) < 0 ||
	    bh_container_start(AGENT_STATE_ROOT, id, &err) < 0) {
		reply_err(c, req->id, &err);
		return;
	}
	server_send(c, bh_proto_reply(req->id, NULL));
}

static void m_exec(struct agent_conn *c, const struct bh_request *req)
{
	struct bh_error err = { 0 };
	const char *id;
	enum stdio_mode mode;
	struct stdio_setup sio = { .child = { -1, -1, -1 }, .ours = { -1, -1, -1 } };
	struct bh_spec_process *proc = NULL;
	char *text = NULL;

	if (container_id(req->params, &id, &err) < 0 ||
	    stdio_mode_parse(req->params, &mode, &err) < 0)
		goto fail;
	json_t *jp = json_object_get(req->params, "process");
	if (!json_is_object(jp)) {
		bh_error_setx(&err, EINVAL, "params.process: expected an OCI process object");
		goto fail;
	}
	text = json_dumps(jp, JSON_COMPACT);
	if (!text || bh_spec_parse_process(text, strlen(text), &proc, &err) < 0)
		goto fail;
	if (stdio_prepare(&sio, mode, &err) < 0)
		goto fail;
	struct bh_exec_opts opts = { 0 };
	int saved[3];
	pid_t pid = 0;
	sigset_t mask;
	int r = stdio_swap_in(&sio, saved);
	child_mask_open(&mask);
	if (r == 0)
		r = bh_container_exec(AGENT_STATE_ROOT, id, proc, &opts, &pid, &err);
	child_mask_close(&mask);
	stdio_swap_out(saved);
	if (r < 0)
		goto fail;
	unsigned eid = procs_next_exec_id();
	struct agent_proc *p = procs_add(id, eid, pid);
	if (!p) {
		kill(pid, SIGKILL);
		bh_error_setx(&err, ENOSPC, "too many processes");
		goto fail;
	}
	procs_reap();
	json_t *res = json_pack("{s:i,s:i}", "pid", pid, "exec_id", eid);
	stdio_attach(&sio, p, res);
	bh_spec_process_free(proc);
	free(text);
	server_send(c, bh_proto_reply(req->id, res));
	return;
fail:
	stdio_close(&sio);
	bh_spec_process_free(proc);
	free(text);
	reply_err(c, req->id, &err);
}

static void m_wait(struct agent_conn *c, const struct bh_request *req)
{
	struct bh_error err = { 0 };
	const char *id;
	long long eid;
	if (container_id(req->params, &id, &err) < 0 ||
	    param_int(req->params, "exec_id", 0, 0, 1u << 30, &eid, &err) < 0) {
		reply_err(c, req->id, &err);
		return;
	}
	struct agent_proc *p = procs_find(id, (unsigned)eid);
	if (!p) {
		bh_error_setx(&err, ENOENT, "container %s: no process %lld", id, eid);
		reply_err(c, req->id, &err);
		return;
	}
	if (p->waiter) {
		bh_error_setx(&err, EBUSY, "container %s: process %lld already has a waiter", id, eid);
		reply_err(c, req->id, &err);
		return;
	}
	p->waiter = c;
	p->wait_req = req->id;
	procs_try_complete(p);
}

static void m_signal(struct agent_conn *c, const struct bh_request *req)
{
	struct bh_error err = { 0 };
	const char *id;
	long long sig, eid;
	if (container_id(req->params, &id, &err) < 0 ||
	    param_int(req->params, "signal", SIGTERM, 1, 64, &sig, &err) < 0 ||
	    param_int(req->params, "exec_id", 0, 0, 1u << 30, &eid, &err) < 0)
		goto fail;
	if (eid) {
		struct agent_proc *p = procs_find(id, (unsigned)eid);
		if (!p || p->exited) {
			bh_error_setx(&err, ESRCH, "container %s: process %lld is not running", id, eid);
			goto fail;
		}
		if (kill(p->pid, (int)sig) < 0) {
			bh_error_set(&err, errno, "kill %d", p->pid);
			goto fail;
		}
	} else if (bh_container_kill(AGENT_STATE_ROOT, id, (int)sig,
				     json_is_true(json_object_get(req->params, "all")), &err) < 0) {
		goto fail;
	}
	server_send(c, bh_proto_reply(req->id, NULL));
	return;
fail:
	reply_err(c, req->id, &err);
}

static json_t *vm_stats(void)
{
	char line[256];
	long long total = 0, avail = 0;
	FILE *f = fopen("/proc/meminfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "MemTotal: %lld kB", &total);
		sscanf(line, "MemAvailable: %lld kB", &avail);
	}
	if (f)
		fclose(f);
	double l1 = 0;
	f = fopen("/proc/loadavg", "re");
	if (f) {
		if (fscanf(f, "%lf", &l1) != 1)
			l1 = 0;
		fclose(f);
	}
	return json_pack("{s:I,s:I,s:f}", "mem_total_kb", (json_int_t)total,
			 "mem_available_kb", (json_int_t)avail, "load1", l1);
}

static void m_stats(struct agent_conn *c, const struct bh_request *req)
{
	struct bh_error err = { 0 };
	if (!json_object_get(req->params, "id")) {
		server_send(c, bh_proto_reply(req->id, vm_stats()));
		return;
	}
	const char *id;
	struct bh_state *st = NULL;
	struct bh_cgroup *cg = NULL;
	struct bh_cgroup_stats cs;
	if (container_id(req->params, &id, &err) < 0 ||
	    bh_container_state(AGENT_STATE_ROOT, id, &st, &err) < 0)
		goto fail;
	if (!st->cgroup_path || bh_cgroup_open(st->cgroup_path, &cg, &err) < 0 ||
	    bh_cgroup_stats(cg, &cs, &err) < 0)
		goto fail;
	json_t *res = json_pack("{s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"status", bh_status_name(st->status), "pid", st->pid,
		"mem_usage", (json_int_t)cs.mem_usage, "mem_limit", (json_int_t)cs.mem_limit,
		"mem_max_usage", (json_int_t)cs.mem_max_usage, "oom_kills", (json_int_t)cs.oom_kills,
		"pids_current", (json_int_t)cs.pids_current, "pids_limit", (json_int_t)cs.pids_limit,
		"cpu_usage_ns", (json_int_t)cs.cpu_usage_ns);
	bh_cgroup_free(cg);
	bh_state_free(st);
	server_send(c, bh_proto_reply(req->id, res));
	return;
fail:
	if (cg)
		bh_cgroup_free(cg);
	bh_state_free(st);
	reply_err(c, req->id, &err);
}

static void m_update(struct agent_conn *c, const struct bh_request *req)
{
	struct bh_error err = { 0 };
	const char *id;
	struct bh_spec *spec = NULL;
	char *text = NULL;
	if (container_id(req->params, &id, &err) < 0)
		goto fail;
	json_t *res = json_object_get(req->params, "resources");
	if (!json_is_object(res)) {
		bh_error_setx(&err, EINVAL, "params.resources: expected an object");
		goto fail;
	}
	/* Reuse the spec parser's checks by wrapping the resources in a config. */
	json_t *cfg = json_pack("{s:s,s:{s:s},s:{s:O}}", "ociVersion", "1.0.2", "root",
				"path", "/", "linux", "resources", res);
	text = cfg ? json_dumps(cfg, JSON_COMPACT) : NULL;
	json_decref(cfg);
	if (!text || bh_spec_parse(text, strlen(text), NULL, &spec, &err) < 0)
		goto fail;
	if (bh_container_update(AGENT_STATE_ROOT, id, &spec->linux.resources, &err) < 0)
		goto fail;
	bh_spec_free(spec);
	free(text);
	server_send(c, bh_proto_reply(req->id, NULL));
	return;
fail:
	bh_spec_free(spec);
	free(text);
	reply_err(c, req->id, &err);
}

static void m_delete(struct agent_conn *c, const struct bh_request *req)
{
	struct bh_error err = { 0 };
	const char *id;
	if (container_id(req->params, &id, &err) < 0 ||
	    bh_container_delete(AGENT_STATE_ROOT, id,
				json_is_true(json_object_get(req->params, "force")), &err) < 0) {
		reply_err(c, req->id, &err);
		return;
	}
	procs_reap();
	procs_forget(id);
	bundle_remove(id);
	server_send(c, bh_proto_reply(req->id, NULL));
}

void handlers_cleanup_all(void)
{
	char **ids = NULL;
	size_t n = 0;
	upload_cleanup_all();
	if (bh_container_list(AGENT_STATE_ROOT, &ids, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		bh_container_delete(AGENT_STATE_ROOT, ids[i], true, NULL);
		bundle_remove(ids[i]);
	}
	bh_strv_free(ids);
}

static void m_upload(struct agent_conn *c, const struct bh_request *req)
{
	struct bh_error err = { 0 };
	long long size = 0;
	if (upload_chunk(req->params, &size, &err) < 0) {
		reply_err(c, req->id, &err);
		return;
	}
	server_send(c, bh_proto_reply(req->id, json_pack("{s:I}", "size", (json_int_t)size)));
}

static void m_shutdown(struct agent_conn *c, const struct bh_request *req)
{
	server_send(c, bh_proto_reply(req->id, NULL));
	server_request_shutdown();
}

void handlers_dispatch(struct agent_conn *c, const struct bh_request *req)
{
	static void (*const table[BH_M_COUNT])(struct agent_conn *, const struct bh_request *) = {
		[BH_M_PING] = m_ping,     [BH_M_CREATE] = m_create, [BH_M_START] = m_start,
		[BH_M_EXEC] = m_exec,     [BH_M_WAIT] = m_wait,     [BH_M_SIGNAL] = m_signal,
		[BH_M_STATS] = m_stats,   [BH_M_UPDATE] = m_update, [BH_M_DELETE] = m_delete,
		[BH_M_SHUTDOWN] = m_shutdown, [BH_M_UPLOAD] = m_upload,
	};
	table[req->method](c, req);
}
