/* VM-mode containers on the host: <root>/<id>/vm.json, written atomically,
 * and the OCI state derived from it and the stand-in process.  The status
 * is the host's own knowledge (the stand-in lives exactly as long as the
 * container's init), so `state` never waits on the tenant's channel. */
#include "vm_oci.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

static int ctr_dir(const char *root, const char *id, char *out, size_t n, struct bh_error *err)
{
	if (bh_id_validate(id, err) < 0)
		return -EINVAL;
	if (snprintf(out, n, "%s/%s", root ? root : BH_DEFAULT_ROOT, id) >= (int)n)
		return bh_error_setx(err, ENAMETOOLONG, "container %s: state path too long", id);
	return 0;
}

bool vm_oci_is_vm(const char *root, const char *id)
{
	char dir[4096], p[4200];
	if (ctr_dir(root, id, dir, sizeof(dir), NULL) < 0)
		return false;
	snprintf(p, sizeof(p), "%s/vm.json", dir);
	return access(p, F_OK) == 0;
}

static char *jdup(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? strdup(s) : NULL;
}

int vm_ctr_load(const char *root, const char *id, struct vm_ctr *c, struct bh_error *err)
{
	char p[4200];
	memset(c, 0, sizeof(*c));
	if (ctr_dir(root, id, c->dir, sizeof(c->dir), err) < 0)
		return -EINVAL;
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(p, sizeof(p), "%s/vm.json", c->dir);
	json_error_t je;
	json_t *o = json_load_file(p, 0, &je);
	if (!o) {
		if (access(p, F_OK) < 0)
			return bh_error_setx(err, ENOENT, "container %s does not exist", id);
		return bh_error_setx(err, EIO, "container %s: %s: %s", id, p, je.text);
	}
	snprintf(c->tenant, sizeof(c->tenant), "%s",
		 json_string_value(json_object_get(o, "tenant")) ?: "");
	snprintf(c->status, sizeof(c->status), "%s",
		 json_string_value(json_object_get(o, "status")) ?: "creating");
	c->bundle = jdup(o, "bundle");
	c->rootfs = jdup(o, "rootfs");
	c->created = jdup(o, "created");
	c->standin = (pid_t)json_integer_value(json_object_get(o, "standin_pid"));
	c->standin_start = (unsigned long long)json_integer_value(json_object_get(o, "standin_start"));
	c->streams = json_is_true(json_object_get(o, "streams"));
	c->annotations = json_incref(json_object_get(o, "annotations"));
	json_decref(o);
	return 0;
}

int vm_ctr_save(const struct vm_ctr *c, struct bh_error *err)
{
	char p[4200], tmp[4300];
	json_t *o = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s?,s:i,s:I,s:b,s:O?}",
			      "id", c->id, "mode", "vm", "tenant", c->tenant,
			      "bundle", c->bundle, "rootfs", c->rootfs, "created", c->created,
			      "standin_pid", (int)c->standin,
			      "standin_start", (json_int_t)c->standin_start,
			      "streams", c->streams, "annotations", c->annotations);
	if (!o)
		return bh_error_setx(err, ENOMEM, "container %s: encode vm.json", c->id);
	json_object_set_new(o, "status", json_string(c->status));
	snprintf(p, sizeof(p), "%s/vm.json", c->dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", p, (int)getpid());
	int r = json_dump_file(o, tmp, JSON_COMPACT);
	json_decref(o);
	if (r < 0 || rename(tmp, p) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return bh_error_set(err, e, "container %s: write %s", c->id, p);
	}
	return 0;
}

void vm_ctr_free(struct vm_ctr *c)
{
	free(c->bundle);
	free(c->rootfs);
	free(c->created);
	json_decref(c->annotations);
	memset(c, 0, sizeof(*c));
}

int vm_ctr_exit_status(const struct vm_ctr *c)
{
	char p[4200], buf[16] = "";
	snprintf(p, sizeof(p), "%s/exit", c->dir);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return -1;
	return atoi(buf);
}

bool vm_ctr_standin_alive(const struct vm_ctr *c)
{
	return c->standin > 0 && c->standin_start &&
	       tenant_proc_start_time(c->standin) == c->standin_start;
}

int vm_oci_state(const char *root, const char *id, struct bh_state **out, struct bh_error *err)
{
	struct vm_ctr c;
	if (vm_ctr_load(root, id, &c, err) < 0)
		return -err->code;
	struct bh_state *st = calloc(1, sizeof(*st));
	if (!st) {
		vm_ctr_free(&c);
		return bh_error_set(err, ENOMEM, "state");
	}
	st->oci_version = strdup("1.1.0");
	st->id = strdup(id);
	st->bundle = c.bundle;
	st->rootfs = c.rootfs;
	st->created = c.created;
	st->owner = strdup("");
	c.bundle = c.rootfs = c.created = NULL;
	st->pid = c.standin;
	st->start_time = c.standin_start;
	bool alive = vm_ctr_standin_alive(&c);
	if (!strcmp(c.status, "creating"))
		st->status = BH_STATUS_CREATING;
	else if (!alive || vm_ctr_exit_status(&c) >= 0)
		st->status = BH_STATUS_STOPPED;
	else if (!strcmp(c.status, "running"))
		st->status = BH_STATUS_RUNNING;
	else
		st->status = BH_STATUS_CREATED;
	/* annotations, with the tenant always visible */
	size_t na = json_object_size(c.annotations) + 1, i = 0;
	st->annot_keys = calloc(na, sizeof(char *));
	st->annot_values = calloc(na, sizeof(char *));
	if (st->annot_keys && st->annot_values) {
		const char *k;
		json_t *v;
		json_object_foreach(c.annotations, k, v) {
			if (!json_is_string(v) || !strcmp(k, VM_OCI_TENANT_ANNOTATION))
				continue;
			st->annot_keys[i] = strdup(k);
			st->annot_values[i++] = strdup(json_string_value(v));
		}
		st->annot_keys[i] = strdup(VM_OCI_TENANT_ANNOTATION);
		st->annot_values[i++] = strdup(c.tenant);
		st->n_annotations = i;
	}
	vm_ctr_free(&c);
	*out = st;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void vm_ctr_rm_tree(const char *path)
{
	/* FTW_MOUNT: never into a file system mounted below it */
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}
