/* Cgroups core: discovery of hierarchies, paths, create/open/enter, and
 * dispatch of each resource to the hierarchy that owns its controller. */
#define BH_CGROUP_INTERNAL
#include "container/cgroup.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

static const struct { const char *name; uint32_t bit; } ctrl_names[] = {
	{ "cpu", BH_CG_CPU }, { "cpuacct", BH_CG_CPUACCT }, { "cpuset", BH_CG_CPUSET },
	{ "memory", BH_CG_MEMORY }, { "devices", BH_CG_DEVICES },
	{ "freezer", BH_CG_FREEZER }, { "blkio", BH_CG_BLKIO }, { "pids", BH_CG_PIDS },
	{ "hugetlb", BH_CG_HUGETLB }, { "net_cls", BH_CG_NET_CLS },
	{ "net_prio", BH_CG_NET_PRIO }, { "perf_event", BH_CG_PERF_EVENT },
	{ "rdma", BH_CG_RDMA }, { "misc", BH_CG_MISC }, { "io", BH_CG_IO },
};
#define N_CTRL (sizeof(ctrl_names) / sizeof(ctrl_names[0]))

const char *bh_cg_ctrl_name(uint32_t ctrl)
{
	for (size_t i = 0; i < N_CTRL; i++)
		if (ctrl_names[i].bit == ctrl)
			return ctrl_names[i].name;
	return "?";
}

uint32_t bh_cg_ctrl_from_name(const char *name)
{
	for (size_t i = 0; i < N_CTRL; i++)
		if (strcmp(ctrl_names[i].name, name) == 0)
			return ctrl_names[i].bit;
	return 0;
}

/* ---- file helpers: every error names the file and the value ---- */

int bh_cg_write(const char *dir, const char *file, const char *val, struct bh_error *err)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return bh_error_set(err, errno, "cgroup: write %s to %s", val, p);
	size_t len = strlen(val);
	ssize_t n = write(fd, val, len);
	if (n < 0)
		return bh_error_set(err, errno, "cgroup: write %s to %s", val, p);
	if ((size_t)n != len)
		return bh_error_setx(err, EIO, "cgroup: write %s to %s: short write", val, p);
	return 0;
}

int bh_cg_writef(const char *dir, const char *file, struct bh_error *err, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return bh_cg_write(dir, file, buf, err);
}

int bh_cg_read(const char *dir, const char *file, char *buf, size_t size, struct bh_error *err)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bh_error_set(err, errno, "cgroup: read %s", p);
	size_t got = 0;
	while (got + 1 < size) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0)
			return bh_error_set(err, errno, "cgroup: read %s", p);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = '\0';
	return 0;
}

static int cg_parse_u64(const char *s, uint64_t *v)
{
	if (strcmp(s, "max") == 0) {
		*v = UINT64_MAX;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	/* v1 reports "no limit" as PAGE_COUNTER_MAX pages in bytes. */
	*v = x >= 0x7FFFFFFFFFFFF000ULL ? UINT64_MAX : x;
	return 0;
}

int bh_cg_read_u64(const char *dir, const char *file, uint64_t *v, struct bh_error *err)
{
	char buf[64];
	int r = bh_cg_read(dir, file, buf, sizeof(buf), err);
	if (r)
		return r;
	if (cg_parse_u64(buf, v))
		return bh_error_setx(err, EINVAL, "cgroup: %s/%s: not a number: %s", dir, file, buf);
	return 0;
}

int bh_cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *v,
		     struct bh_error *err)
{
	char buf[8192];
	int r = bh_cg_read(dir, file, buf, sizeof(buf), err);
	if (r)
		return r;
	size_t kl = strlen(key);
	for (char *line = buf; line && *line; ) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(line, key, kl) == 0 && line[kl] == ' ')
			return cg_parse_u64(line + kl + 1, v) ? bh_error_setx(err, EINVAL,
				"cgroup: %s/%s: %s: not a number", dir, file, key) : 0;
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

bool bh_cg_has(const char *dir, const char *file)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return access(p, F_OK) == 0;
}

/* ---- devices ---- */

static const struct bh_spec_device_rule default_devices[] = {
	{ true, 'c', 1, 3, "rwm" },    /* null */
	{ true, 'c', 1, 5, "rwm" },    /* zero */
	{ true, 'c', 1, 7, "rwm" },    /* full */
	{ true, 'c', 1, 8, "rwm" },    /* random */
	{ true, 'c', 1, 9, "rwm" },    /* urandom */
	{ true, 'c', 5, 0, "rwm" },    /* tty */
	{ true, 'c', 5, 1, "rwm" },    /* console */
	{ true, 'c', 5, 2, "rwm" },    /* ptmx */
	{ true, 'c', 136, -1, "rwm" }, /* pts/N */
};

const struct bh_spec_device_rule *bh_cgroup_default_devices(size_t *n)
{
	*n = sizeof(default_devices) / sizeof(default_devices[0]);
	return default_devices;
}

int bh_cg_device_rules(const struct bh_spec_resources *res, struct bh_spec_device_rule **out,
		       size_t *n, struct bh_error *err)
{
	size_t nd, nr = res && res->present ? res->n_devices : 0;
	const struct bh_spec_device_rule *d = bh_cgroup_default_devices(&nd);
	struct bh_spec_device_rule *r = calloc(nr + nd + 1, sizeof(*r));
	if (!r)
		return bh_error_set(err, ENOMEM, "cgroup: device rules");
	if (nr)
		memcpy(r, res->devices, nr * sizeof(*r));
	/* Appended last so a spec rule cannot take them away (runc does the same). */
	memcpy(r + nr, d, nd * sizeof(*r));
	*out = r;
	*n = nr + nd;
	return 0;
}

/* ---- discovery ---- */

static void cg_clear(struct bh_cgroup *cg)
{
	for (size_t i = 0; i < cg->n_v1; i++) {
		free(cg->v1[i].mount);
		free(cg->v1[i].dir);
	}
	cg->n_v1 = 0;
	free(cg->v2_mount);
	free(cg->v2_dir);
	cg->v2_mount = cg->v2_dir = NULL;
}

/* Fill cg's hierarchies (mount points only) from /proc/self/mountinfo. */
static int cg_discover(struct bh_cgroup *cg, struct bh_error *err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return bh_error_set(err, errno, "cgroup: open /proc/self/mountinfo");
	char *line = NULL;
	size_t cap = 0;
	char named[BH_CG_MAX_HIER][64];
	uint32_t v1_all = 0;
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		char mnt[1024], fstype[64], src[256], opts[1024];
		if (sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %255s %1023s", fstype, src, opts) != 3)
			continue;
		if (strcmp(fstype, "cgroup2") == 0) {
			if (!cg->v2_mount && !(cg->v2_mount = strdup(mnt)))
				goto nomem;
			continue;
		}
		if (strcmp(fstype, "cgroup") != 0 || cg->n_v1 >= BH_CG_MAX_HIER)
			continue;
		uint32_t ctrls = 0;
		char name[64] = "";
		char *save = NULL;
		for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
			if (strncmp(o, "name=", 5) == 0)
				snprintf(name, sizeof(name), "%s", o);
			else
				ctrls |= bh_cg_ctrl_from_name(o);
		}
		if (!ctrls && !name[0])
			continue;
		bool dup = false;
		for (size_t i = 0; i < cg->n_v1; i++)
			if (ctrls ? cg->v1[i].ctrls == ctrls : strcmp(named[i], name) == 0)
				dup = true;
		if (dup || (ctrls & v1_all))
			continue;
		struct bh_cg_hier *h = &cg->v1[cg->n_v1];
		if (!(h->mount = strdup(mnt)))
			goto nomem;
		h->ctrls = ctrls;
		snprintf(named[cg->n_v1], sizeof(named[0]), "%s", ctrls ? "" : name);
		cg->n_v1++;
		v1_all |= ctrls;
	}
	free(line);
	if (v1_all && cg->v2_mount)
		cg->layout = BH_CGROUP_HYBRID;
	else if (v1_all)
		cg->layout = BH_CGROUP_V1;
	else if (cg->v2_mount)
		cg->layout = BH_CGROUP_V2;
	else
		return bh_error_setx(err, ENOENT, "cgroup: no cgroup filesystem is mounted");
	if (cg->layout == BH_CGROUP_V2) {
		/* A stray named v1 hierarchy does not make a hybrid. */
		for (size_t i = 0; i < cg->n_v1; i++) {
			free(cg->v1[i].mount);
			cg->v1[i].mount = NULL;
		}
		cg->n_v1 = 0;
	}
	if (cg->v2_mount)
		cg->v2_ctrls = bh_cg_v2_available(cg->v2_mount) & ~v1_all;
	return 0;
nomem:
	free(line);
	return bh_error_set(err, ENOMEM, "cgroup: discover hierarchies");
}

int bh_cgroup_detect(enum bh_cgroup_layout *out, struct bh_error *err)
{
	struct bh_cgroup cg = { .dev_prog_fd = -1 };
	int r = cg_discover(&cg, err);
	if (!r)
		*out = cg.layout;
	cg_clear(&cg);
	return r;
}

const char *bh_cg_v1_dir(const struct bh_cgroup *cg, uint32_t ctrl)
{
	for (size_t i = 0; i < cg->n_v1; i++)
		if (cg->v1[i].ctrls & ctrl)
			return cg->v1[i].dir;
	return NULL;
}

/* ---- paths ---- */

static bool cg_id_ok(const char *id)
{
	return id && id[0] && !strchr(id, '/') && strcmp(id, ".") && strcmp(id, "..");
}

/* Normalise to "/a/b": relative paths go under /bulkhead, no "." or "..". */
static int cg_resolve(const char *path, const char *id, char **out, struct bh_error *err)
{
	char buf[4096];
	if (!path) {
		if (!id || !cg_id_ok(id))
			return bh_error_setx(err, EINVAL, "cgroup: invalid container id %s",
					     id ? id : "(null)");
		snprintf(buf, sizeof(buf), "bulkhead/%s", id);
	} else if (strchr(path, ':')) {
		return bh_error_setx(err, EINVAL,
				     "cgroup: cgroupsPath %s: systemd slice paths are not supported "
				     "(no systemd cgroup driver)", path);
	} else if (path[0] == '/') {
		snprintf(buf, sizeof(buf), "%s", path);
	} else {
		if (snprintf(buf, sizeof(buf), "bulkhead/%s", path) >= (int)sizeof(buf))
			return bh_error_setx(err, ENAMETOOLONG, "cgroup: cgroupsPath too long");
	}
	char norm[4096];
	size_t n = 0;
	char *save = NULL;
	for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
			return bh_error_setx(err, EINVAL, "cgroup: cgroupsPath %s: \".\" and \"..\" are not allowed",
					     path ? path : id);
		size_t l = strlen(c);
		if (n + l + 2 >= sizeof(norm))
			return bh_error_setx(err, ENAMETOOLONG, "cgroup: cgroupsPath too long");
		norm[n++] = '/';
		memcpy(norm + n, c, l);
		n += l;
	}
	norm[n] = '\0';
	if (n == 0)
		return bh_error_setx(err, EINVAL, "cgroup: cgroupsPath %s: the root cgroup cannot be used",
				     path ? path : "");
	if (!(*out = strdup(norm)))
		return bh_error_set(err, ENOMEM, "cgroup: path");
	return 0;
}

static char *cg_join(const char *a, const char *b)
{
	char *r;
	return asprintf(&r, "%s%s", a, b) < 0 ? NULL : r;
}

static int cg_set_dirs(struct bh_cgroup *cg, struct bh_error *err)
{
	for (size_t i = 0; i < cg->n_v1; i++)
		if (!(cg->v1[i].dir = cg_join(cg->v1[i].mount, cg->path)))
			return bh_error_set(err, ENOMEM, "cgroup: path");
	if (cg->v2_mount && !(cg->v2_dir = cg_join(cg->v2_mount, cg->path)))
		return bh_error_set(err, ENOMEM, "cgroup: path");
	return 0;
}

static struct bh_cgroup *cg_new(void)
{
	struct bh_cgroup *cg = calloc(1, sizeof(*cg));
	if (cg)
		cg->dev_prog_fd = -1;
	return cg;
}

void bh_cgroup_free(struct bh_cgroup *cg)
{
	if (!cg)
		return;
	cg_clear(cg);
	for (size_t i = 0; i < cg->n_made; i++)
		free(cg->made[i]);
	free(cg->made);
	if (cg->dev_prog_fd >= 0)
		close(cg->dev_prog_fd);
	free(cg->path);
	free(cg);
}

const char *bh_cgroup_path(const struct bh_cgroup *cg)
{
	return cg->path;
}

enum bh_cgroup_layout bh_cgroup_layout(const struct bh_cgroup *cg)
{
	return cg->layout;
}

/* mkdir -p mount+path, remembering what we made so errors can undo it. */
static int cg_mkdir_p(struct bh_cgroup *cg, const char *mount, struct bh_error *err)
{
	char p[4096];
	size_t ml = strlen(mount);
	if (ml + strlen(cg->path) >= sizeof(p))
		return bh_error_setx(err, ENAMETOOLONG, "cgroup: path too long");
	memcpy(p, mount, ml);
	for (const char *c = cg->path; *c; ) {
		const char *next = strchr(c + 1, '/');
		size_t l = next ? (size_t)(next - c) : strlen(c);
		memcpy(p + ml, c, l);
		ml += l;
		p[ml] = '\0';
		c += l;
		if (mkdir(p, 0755) == 0) {
			char **m = realloc(cg->made, (cg->n_made + 1) * sizeof(*m));
			if (!m)
				return bh_error_set(err, ENOMEM, "cgroup: mkdir");
			cg->made = m;
			if (!(m[cg->n_made] = strdup(p)))
				return bh_error_set(err, ENOMEM, "cgroup: mkdir");
			cg->n_made++;
		} else if (errno != EEXIST) {
			return bh_error_set(err, errno, "cgroup: mkdir %s", p);
		}
	}
	return 0;
}

static void cg_undo(struct bh_cgroup *cg)
{
	for (size_t i = cg->n_made; i-- > 0; ) {
		if (rmdir(cg->made[i]) < 0 && errno != ENOENT)
			bh_log_warn("cgroup: cleanup: rmdir %s: %s", cg->made[i], strerror(errno));
		free(cg->made[i]);
	}
	cg->n_made = 0;
}

/* ---- resources ---- */

static bool set(int64_t v)
{
	return v != BH_UNSET;
}

static int cg_no_ctrl(const char *what, struct bh_error *err)
{
	return bh_error_setx(err, ENOTSUP, "cgroup: %s requested but no %s controller is available",
			     what, what);
}

/* v1 hierarchy dir for ctrl, else the v2 dir if v2 drives ctrl, else NULL. */
static const char *cg_owner(const struct bh_cgroup *cg, uint32_t ctrl, bool *v2)
{
	const char *d = bh_cg_v1_dir(cg, ctrl);
	*v2 = false;
	if (d)
		return d;
	if (cg->v2_dir && (cg->v2_ctrls & ctrl)) {
		*v2 = true;
		return cg->v2_dir;
	}
	return NULL;
}

static int cg_apply_devices(struct bh_cgroup *cg, const struct bh_spec_resources *res,
			    struct bh_error *err)
{
	struct bh_spec_device_rule *rules;
	size_t n;
	int r = bh_cg_device_rules(res, &rules, &n, err);
	if (r)
		return r;
	const char *d = bh_cg_v1_dir(cg, BH_CG_DEVICES);
	if (d) {
		r = bh_cg_v1_devices(d, rules, n, err);
	} else if (cg->v2_dir) {
		/* v2 has no device files: an eBPF program guards the cgroup. */
		r = bh_cgroup_bpf_devices_apply(cg->v2_dir, rules, n, err);
		if (r >= 0) {
			if (cg->dev_prog_fd >= 0)
				close(cg->dev_prog_fd);
			cg->dev_prog_fd = r;
			r = 0;
		}
	} else {
		r = bh_error_setx(err, ENOTSUP,
				  "cgroup: no devices controller: cannot enforce the device policy");
	}
	free(rules);
	return r;
}

static int cg_apply(struct bh_cgroup *cg, const struct bh_spec_resources *res, bool devices,
		    struct bh_error *err)
{
	int r;
	bool v2;
	const char *d;

	if (devices && (r = cg_apply_devices(cg, res, err)))
		return r;
	if (!res || !res->present)
		return 0;

	if (set(res->mem_limit) || set(res->mem_reservation) || set(res->mem_swap) ||
	    set(res->mem_swappiness) || res->mem_disable_oom_killer) {
		if (!(d = cg_owner(cg, BH_CG_MEMORY, &v2)))
			return cg_no_ctrl("memory", err);
		if ((r = v2 ? bh_cg_v2_memory(d, res, err) : bh_cg_v1_memory(d, res, err)))
			return r;
	}
	if ((set(res->cpu_shares) && res->cpu_shares) || (set(res->cpu_quota) && res->cpu_quota) ||
	    (set(res->cpu_period) && res->cpu_period) || set(res->cpu_idle)) {
		if (!(d = cg_owner(cg, BH_CG_CPU, &v2)))
			return cg_no_ctrl("cpu", err);
		if ((r = v2 ? bh_cg_v2_cpu(d, res, err) : bh_cg_v1_cpu(d, res, err)))
			return r;
	}
	if ((res->cpu_cpus && res->cpu_cpus[0]) || (res->cpu_mems && res->cpu_mems[0])) {
		if (!(d = cg_owner(cg, BH_CG_CPUSET, &v2)))
			return cg_no_ctrl("cpuset", err);
		if (res->cpu_cpus && res->cpu_cpus[0] &&
		    (r = bh_cg_write(d, "cpuset.cpus", res->cpu_cpus, err)))
			return r;
		if (res->cpu_mems && res->cpu_mems[0] &&
		    (r = bh_cg_write(d, "cpuset.mems", res->cpu_mems, err)))
			return r;
	}
	if (set(res->pids_limit) && res->pids_limit != 0) {
		if (!(d = cg_owner(cg, BH_CG_PIDS, &v2)))
			return cg_no_ctrl("pids", err);
		r = res->pids_limit > 0 ? bh_cg_writef(d, "pids.max", err, "%lld",
						       (long long)res->pids_limit)
					: bh_cg_write(d, "pids.max", "max", err);
		if (r)
			return r;
	}
	if (set(res->blkio_weight) && res->blkio_weight) {
		if ((d = bh_cg_v1_dir(cg, BH_CG_BLKIO)))
			r = bh_cg_v1_blkio(d, res, err);
		else if (cg->v2_dir && (cg->v2_ctrls & BH_CG_IO))
			r = bh_cg_v2_io(cg->v2_dir, res, err);
		else
			r = cg_no_ctrl("blkio", err);
		if (r)
			return r;
	}
	if (res->n_hugepages) {
		if (!(d = cg_owner(cg, BH_CG_HUGETLB, &v2)))
			return cg_no_ctrl("hugetlb", err);
		if ((r = v2 ? bh_cg_v2_hugetlb(d, res, err) : bh_cg_v1_hugetlb(d, res, err)))
			return r;
	}
	if (res->n_unified) {
		if (!cg->v2_dir)
			return bh_error_setx(err, ENOTSUP, "cgroup: linux.resources.unified needs cgroup v2");
		/* On a hybrid host only files of v2-driven controllers (and the
		 * core cgroup.* files) are ours to write. */
		uint32_t allowed = cg->layout == BH_CGROUP_V2 ? UINT32_MAX : cg->v2_ctrls;
		if ((r = bh_cg_v2_unified(cg->v2_dir, res, allowed, err)))
			return r;
	}
	return 0;
}

int bh_cgroup_create(const char *path, const char *id, const struct bh_spec_resources *res,
		     struct bh_cgroup **out, struct bh_error *err)
{
	struct bh_cgroup *cg = cg_new();
	if (!cg)
		return bh_error_set(err, ENOMEM, "cgroup: create");
	int r = cg_resolve(path, id, &cg->path, err);
	if (!r)
		r = cg_discover(cg, err);
	if (!r)
		r = cg_set_dirs(cg, err);
	for (size_t i = 0; !r && i < cg->n_v1; i++) {
		r = cg_mkdir_p(cg, cg->v1[i].mount, err);
		if (!r && (cg->v1[i].ctrls & BH_CG_CPUSET))
			r = bh_cg_v1_prepare_cpuset(cg->v1[i].mount, cg->path, err);
	}
	if (!r && cg->v2_mount) {
		r = cg_mkdir_p(cg, cg->v2_mount, err);
		if (!r && cg->v2_ctrls)
			r = bh_cg_v2_enable(cg->v2_mount, cg->path, &cg->v2_ctrls, err);
	}
	if (!r)
		r = cg_apply(cg, res, true, err);
	if (r) {
		if (cg->path)
			bh_error_wrap(err, "cgroup %s", cg->path);
		cg_undo(cg);
		bh_cgroup_free(cg);
		return r;
	}
	for (size_t i = 0; i < cg->n_made; i++)
		free(cg->made[i]);
	cg->n_made = 0;
	*out = cg;
	return 0;
}

int bh_cgroup_open(const char *path, struct bh_cgroup **out, struct bh_error *err)
{
	struct bh_cgroup *cg = cg_new();
	if (!cg)
		return bh_error_set(err, ENOMEM, "cgroup: open");
	if (!path || path[0] != '/') {
		bh_cgroup_free(cg);
		return bh_error_setx(err, EINVAL, "cgroup: open: path %s is not absolute",
				     path ? path : "(null)");
	}
	int r = cg_resolve(path, NULL, &cg->path, err);
	if (!r)
		r = cg_discover(cg, err);
	if (!r)
		r = cg_set_dirs(cg, err);
	if (!r) {
		bool any = cg->v2_dir && access(cg->v2_dir, F_OK) == 0;
		for (size_t i = 0; i < cg->n_v1; i++)
			any = any || access(cg->v1[i].dir, F_OK) == 0;
		if (!any)
			r = bh_error_setx(err, ENOENT, "cgroup %s: not found in any hierarchy", cg->path);
	}
	if (r) {
		bh_cgroup_free(cg);
		return r;
	}
	*out = cg;
	return 0;
}

int bh_cgroup_enter(struct bh_cgroup *cg, pid_t pid, struct bh_error *err)
{
	int r;
	for (size_t i = 0; i < cg->n_v1; i++)
		if ((r = bh_cg_writef(cg->v1[i].dir, "cgroup.procs", err, "%d", (int)pid)))
			return r;
	/* On a hybrid host also the unified tree, so tools find the process. */
	if (cg->v2_dir && (r = bh_cg_writef(cg->v2_dir, "cgroup.procs", err, "%d", (int)pid)))
		return r;
	return 0;
}

int bh_cgroup_update(struct bh_cgroup *cg, const struct bh_spec_resources *res, struct bh_error *err)
{
	int r = cg_apply(cg, res, res && res->present && res->n_devices > 0, err);
	return r ? bh_error_wrap(err, "cgroup %s: update", cg->path) : 0;
}
