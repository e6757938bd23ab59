/* create (and run) in VM mode: the bundle's rootfs and the files bound
 * into it go to the tenant's agent as one upload, the agent creates the
 * container from the translated config, and a stand-in process takes the
 * container's place on the host.  Any failure undoes all of it: the
 * guest container, the stand-in and <root>/<id>. */
#include "vm_oci.h"
#include "vm_upload.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

static void rfc3339_now(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t l = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + l, n - l, ".%09ldZ", ts.tv_nsec);
}

/* Copy each bound host file to <stage>/<dst>, so it lands at dst in the
 * uploaded rootfs. */
static int stage_copies(json_t *copies, const char *stage, struct bh_error *err)
{
	size_t i;
	json_t *cp;
	json_array_foreach(copies, i, cp) {
		const char *src = json_string_value(json_object_get(cp, "src"));
		const char *dst = json_string_value(json_object_get(cp, "dst"));
		char path[8192];
		if (strstr(dst, "..") || snprintf(path, sizeof(path), "%s/%s", stage, dst) >= (int)sizeof(path))
			return bh_error_setx(err, EINVAL, "mounts %s: bad destination", dst);
		for (char *p = path + strlen(stage) + 1; (p = strchr(p, '/')); p++) {
			*p = '\0';
			if (p > path + strlen(stage) + 1 && mkdir(path, 0755) < 0 && errno != EEXIST)
				return bh_error_set(err, errno, "stage %s", path);
			*p = '/';
		}
		size_t len;
		struct bh_error e2 = { 0 };
		_cleanup_free_ char *data = cli_read_file(src, &len, &e2);
		if (!data)
			return bh_error_setx(err, e2.code, "mounts %s: %s", dst, e2.msg);
		struct stat st;
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, data, len) != (ssize_t)len)
			return bh_error_set(err, errno, "stage %s", path);
		if (stat(src, &st) == 0)
			fchmod(fd, st.st_mode & 07777);
	}
	return 0;
}

/* What create needs from the bundle: the config as JSON (checked with the
 * same parser as bare mode) and the rootfs path on the host. */
static int load_bundle(const char *bundle, json_t **cfg, char **rootfs, struct bh_error *err)
{
	char path[4200];
	size_t len;
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	_cleanup_free_ char *text = cli_read_file(path, &len, err);
	if (!text)
		return -err->code;
	struct bh_spec *spec = NULL;
	if (bh_spec_parse(text, len, bundle, &spec, err) < 0)
		return -err->code;
	bool tty = spec->process && spec->process->terminal;
	bh_spec_free(spec);
	if (tty)
		return bh_error_setx(err, EOPNOTSUPP, "process.terminal: VM mode has no TTYs yet "
				     "(run without -t, or in bare mode)");
	json_error_t je;
	*cfg = json_loads(text, 0, &je);
	if (!*cfg)
		return bh_error_setx(err, EINVAL, "%s: %s", path, je.text);
	const char *rp = json_string_value(json_object_get(json_object_get(*cfg, "root"), "path"));
	if (!rp)
		return bh_error_setx(err, EINVAL, "%s: root.path: missing", path);
	if (rp[0] == '/')
		*rootfs = strdup(rp);
	else if (asprintf(rootfs, "%s/%s", bundle, rp) < 0)
		*rootfs = NULL;
	if (!*rootfs)
		return bh_error_set(err, ENOMEM, "rootfs path");
	if (json_object_size(json_object_get(*cfg, "hooks")))
		return bh_error_setx(err, EOPNOTSUPP, "hooks: VM mode does not run OCI hooks yet");
	return 0;
}

int vm_oci_create(const char *verb, struct create_args *a, const char *tenant, pid_t *standin)
{
	struct bh_error err = { 0 };
	struct vm_ctr c = { 0 };
	struct tenant t;
	struct agent_client ac = { .fd = -1 };
	json_t *cfg = NULL, *copies = NULL, *res = NULL;
	char *rootfs = NULL, *bundle = cli_abspath(a->bundle ? a->bundle : ".");
	char stage[4200], name[BH_PROTO_UPLOAD_NAME_MAX + 1], exitf[4200];
	bool made_dir = false, guest_made = false;
	int rc = 1;

	memset(&t, 0, sizeof(t));
	stage[0] = '\0';
	if (!bundle) {
		bh_error_set(&err, ENOMEM, "bundle");
		goto fail;
	}
	if (a->preserve_fds) {
		bh_error_setx(&err, EOPNOTSUPP, "--preserve-fds: host file descriptors cannot reach a VM");
		goto fail;
	}
	if (a->console_socket) {
		bh_error_setx(&err, EOPNOTSUPP, "--console-socket: VM mode has no TTYs yet");
		goto fail;
	}
	if (bh_id_validate(a->id, &err) < 0 || load_bundle(bundle, &cfg, &rootfs, &err) < 0 ||
	    vm_oci_translate(cfg, &copies, &err) < 0 ||
	    tenant_load(cli.root, tenant, &t, &err) < 0)
		goto fail;
	/* the container's dir is the lock, as in bare mode */
	snprintf(c.id, sizeof(c.id), "%s", a->id);
	snprintf(c.tenant, sizeof(c.tenant), "%s", tenant);
	snprintf(c.status, sizeof(c.status), "creating");
	mkdir(cli.root, 0711);
	if (snprintf(c.dir, sizeof(c.dir), "%s/%s", cli.root, a->id) >= (int)sizeof(c.dir)) {
		bh_error_setx(&err, ENAMETOOLONG, "container %s: state path too long", a->id);
		goto fail;
	}
	if (mkdir(c.dir, 0700) < 0) {
		bh_error_set(&err, errno, errno == EEXIST ? "container %s already exists" :
			     "container %s: mkdir %s", a->id, c.dir);
		goto fail;
	}
	made_dir = true;
	c.bundle = strdup(bundle);
	c.rootfs = strdup(rootfs);
	char now[64];
	rfc3339_now(now, sizeof(now));
	c.created = strdup(now);
	c.annotations = json_incref(json_object_get(cfg, "annotations"));
	c.streams = t.streams;
	if (vm_ctr_save(&c, &err) < 0)
		goto fail;
	char cp[4200];
	snprintf(cp, sizeof(cp), "%s/config.json", c.dir);
	if (json_dump_file(cfg, cp, JSON_COMPACT) < 0) {
		bh_error_set(&err, errno ? errno : EIO, "write %s", cp);
		goto fail;
	}
	snprintf(stage, sizeof(stage), "%s/files", c.dir);
	if (mkdir(stage, 0700) < 0 || stage_copies(copies, stage, &err) < 0) {
		if (!err.code)
			bh_error_set(&err, errno, "mkdir %s", stage);
		goto fail;
	}
	if (tenant_connect(&t, &ac, 10000, &err) < 0)
		goto fail;
	vm_upload_name(a->id, name, sizeof(name));
	const char *dirs[2] = { rootfs, stage };
	if (vm_upload_dirs(&ac, dirs, json_array_size(copies) ? 2 : 1, name, 60000, &err) < 0) {
		bh_error_wrap(&err, "upload of %s", rootfs);
		goto fail;
	}
	if (agent_call(&ac, BH_M_CREATE,
		       json_pack("{s:s,s:O,s:{s:s},s:s}", "id", a->id, "config", cfg,
				 "rootfs", "upload", name, "stdio", t.streams ? "streams" : "capture"),
		       120000, &res, &err) < 0)
		goto fail;
	guest_made = true;
	agent_client_close(&ac);
	snprintf(exitf, sizeof(exitf), "%s/exit", c.dir);
	struct vm_standin_args sa = { .t = &t, .id = a->id,
				      .streams = t.streams ? json_object_get(res, "streams") : NULL,
				      .exit_file = exitf, .ready_fd = -1 };
	if (vm_standin_spawn(&sa, standin, &err) < 0)
		goto fail;
	c.standin = *standin;
	c.standin_start = tenant_proc_start_time(*standin);
	snprintf(c.status, sizeof(c.status), "created");
	if (vm_ctr_save(&c, &err) < 0 ||
	    (a->pid_file && cli_write_pid_file(a->pid_file, *standin, &err) < 0)) {
		kill(*standin, SIGKILL);
		goto fail;
	}
	vm_ctr_rm_tree(stage);
	rc = 0;
	goto out;
fail:
	if (guest_made) {
		struct bh_error e2 = { 0 };
		json_t *r2 = NULL;
		agent_client_close(&ac);
		if (tenant_connect(&t, &ac, 10000, &e2) == 0)
			agent_call(&ac, BH_M_DELETE, json_pack("{s:s,s:b}", "id", a->id, "force", 1),
				   30000, &r2, &e2);
		json_decref(r2);
	}
	if (made_dir)
		vm_ctr_rm_tree(c.dir);
	cli_fail(verb, &err);
out:
	agent_client_close(&ac);
	json_decref(res);
	json_decref(cfg);
	json_decref(copies);
	vm_ctr_free(&c);
	tenant_free(&t);
	free(rootfs);
	free(bundle);
	return rc;
}
