/* JSON config and flag parsing. Unknown fields are errors (typos must not
 * silently drop a disk); every message names the field. */
#include "vmm/config.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vmm_config_init(struct vmm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->vcpus = 1;
	c->memory_mib = 128;
	c->serial.mode = VMM_OUT_STDOUT;
	c->console.mode = VMM_OUT_OFF;
}

void vmm_config_free(struct vmm_config *c)
{
	free(c->kernel);
	free(c->initrd);
	free(c->cmdline);
	for (size_t i = 0; i < c->ndrives; i++) {
		free(c->drives[i].path);
		free(c->drives[i].serial);
	}
	free(c->vsock_uds);
	free(c->serial.path);
	free(c->console.path);
	free(c->api_sock);
	free(c->jail.chroot_dir);
	for (size_t i = 0; i < c->jail.ncgroups; i++)
		free(c->jail.cgroups[i]);
	memset(c, 0, sizeof(*c));
}

static int set_str(char **dst, const char *v, struct bh_error *err)
{
	char *d = strdup(v);
	if (!d)
		return bh_error_set(err, ENOMEM, "config");
	free(*dst);
	*dst = d;
	return 0;
}

/* ---- JSON helpers: each reports "<field>: expected ..." ---- */
static int j_str(json_t *v, const char *field, char **out, bool nonempty, struct bh_error *err)
{
	if (!json_is_string(v))
		return bh_error_setx(err, EINVAL, "%s: expected a string", field);
	if (nonempty && json_string_length(v) == 0)
		return bh_error_setx(err, EINVAL, "%s: must not be empty", field);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return bh_error_setx(err, EINVAL, "%s: contains a NUL byte", field);
	return set_str(out, json_string_value(v), err);
}

static int j_bool(json_t *v, const char *field, bool *out, struct bh_error *err)
{
	if (!json_is_boolean(v))
		return bh_error_setx(err, EINVAL, "%s: expected true or false", field);
	*out = json_is_true(v);
	return 0;
}

static int j_uint(json_t *v, const char *field, uint64_t min, uint64_t max, uint64_t *out,
		  struct bh_error *err)
{
	if (!json_is_integer(v))
		return bh_error_setx(err, EINVAL, "%s: expected an integer", field);
	json_int_t i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
		return bh_error_setx(err, ERANGE, "%s: %lld is out of range (%llu..%llu)", field, (long long)i,
				     (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)i;
	return 0;
}

static int j_out(json_t *v, const char *field, struct vmm_out_cfg *o, struct bh_error *err)
{
	char f[64];
	if (json_is_string(v))
		return vmm_config_set_out(o, json_string_value(v), err) < 0 ?
			bh_error_wrap(err, "%s", field) : 0;
	if (!json_is_object(v))
		return bh_error_setx(err, EINVAL, "%s: expected an object {\"mode\": ..., \"path\": ...} or a string", field);
	const char *k;
	json_t *x;
	char *mode = NULL;
	int r = 0;
	json_object_foreach(v, k, x) {
		snprintf(f, sizeof(f), "%s.%s", field, k);
		if (!strcmp(k, "mode"))
			r = j_str(x, f, &mode, true, err);
		else if (!strcmp(k, "path"))
			r = j_str(x, f, &o->path, true, err);
		else
			r = bh_error_setx(err, EINVAL, "%s: unknown field", f);
		if (r < 0)
			break;
	}
	if (r == 0) {
		if (!mode || !strcmp(mode, "stdout"))
			o->mode = mode ? VMM_OUT_STDOUT : o->mode;
		else if (!strcmp(mode, "off"))
			o->mode = VMM_OUT_OFF;
		else if (!strcmp(mode, "file"))
			o->mode = VMM_OUT_FILE;
		else
			r = bh_error_setx(err, EINVAL, "%s.mode: \"%s\" is not one of file, stdout, off", field, mode);
	}
	if (r == 0 && o->mode == VMM_OUT_FILE && !o->path)
		r = bh_error_setx(err, EINVAL, "%s.path: required with mode \"file\"", field);
	free(mode);
	return r;
}

static int j_drive(json_t *v, size_t idx, struct vmm_drive_cfg *d, struct bh_error *err)
{
	char f[64];
	if (!json_is_object(v))
		return bh_error_setx(err, EINVAL, "drives[%zu]: expected an object", idx);
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x) {
		int r;
		snprintf(f, sizeof(f), "drives[%zu].%.32s", idx, k);
		if (!strcmp(k, "path"))
			r = j_str(x, f, &d->path, true, err);
		else if (!strcmp(k, "readonly"))
			r = j_bool(x, f, &d->readonly, err);
		else if (!strcmp(k, "serial"))
			r = j_str(x, f, &d->serial, false, err);
		else
			r = bh_error_setx(err, EINVAL, "%s: unknown field", f);
		if (r < 0)
			return r;
	}
	if (!d->path)
		return bh_error_setx(err, EINVAL, "drives[%zu].path: required", idx);
	if (d->serial && strlen(d->serial) > 20)
		return bh_error_setx(err, EINVAL, "drives[%zu].serial: longer than 20 bytes", idx);
	return 0;
}

static int j_vsock(json_t *v, struct vmm_config *c, struct bh_error *err)
{
	if (!json_is_object(v))
		return bh_error_setx(err, EINVAL, "vsock: expected an object {\"cid\": N, \"uds_path\": ...}");
	const char *k;
	json_t *x;
	bool have_cid = false;
	json_object_foreach(v, k, x) {
		int r;
		uint64_t u;
		if (!strcmp(k, "cid")) {
			r = j_uint(x, "vsock.cid", 3, UINT32_MAX - 1, &u, err);
			c->vsock_cid = (uint32_t)u;
			have_cid = true;
		} else if (!strcmp(k, "uds_path")) {
			r = j_str(x, "vsock.uds_path", &c->vsock_uds, true, err);
		} else {
			r = bh_error_setx(err, EINVAL, "vsock.%.32s: unknown field", k);
		}
		if (r < 0)
			return r;
	}
	if (!have_cid)
		return bh_error_setx(err, EINVAL, "vsock.cid: required");
	if (!c->vsock_uds)
		return bh_error_setx(err, EINVAL, "vsock.uds_path: required");
	c->vsock = true;
	return 0;
}

int vmm_config_add_cgroup(struct vmm_config *c, const char *path, struct bh_error *err)
{
	if (!*path)
		return bh_error_setx(err, EINVAL, "jail.cgroup: must not be empty");
	if (c->jail.ncgroups >= VMM_JAIL_MAX_CGROUPS)
		return bh_error_setx(err, E2BIG, "jail.cgroup: at most %d", VMM_JAIL_MAX_CGROUPS);
	c->jail.cgroups[c->jail.ncgroups] = NULL;
	int r = set_str(&c->jail.cgroups[c->jail.ncgroups], path, err);
	if (r == 0)
		c->jail.ncgroups++;
	return r;
}

static int j_jail(json_t *v, struct vmm_config *c, struct bh_error *err)
{
	if (!json_is_object(v))
		return bh_error_setx(err, EINVAL, "jail: expected an object {\"uid\": N, \"gid\": N, ...}");
	const char *k;
	json_t *x;
	bool have_uid = false, have_gid = false;
	json_object_foreach(v, k, x) {
		int r = 0;
		uint64_t u;
		if (!strcmp(k, "uid") || !strcmp(k, "gid")) {
			char f[16];
			snprintf(f, sizeof(f), "jail.%s", k);
			r = j_uint(x, f, 1, UINT32_MAX - 1, &u, err);
			if (k[0] == 'u') {
				c->jail.uid = (uint32_t)u;
				have_uid = true;
			} else {
				c->jail.gid = (uint32_t)u;
				have_gid = true;
			}
		} else if (!strcmp(k, "chroot_dir")) {
			r = j_str(x, "jail.chroot_dir", &c->jail.chroot_dir, true, err);
		} else if (!strcmp(k, "netns")) {
			bool b = true;
			r = j_bool(x, "jail.netns", &b, err);
			c->jail.keep_netns = !b;
		} else if (!strcmp(k, "cgroup") && json_is_array(x)) {
			size_t i;
			json_t *p;
			json_array_foreach(x, i, p) {
				if (!json_is_string(p) || strlen(json_string_value(p)) != json_string_length(p))
					return bh_error_setx(err, EINVAL, "jail.cgroup[%zu]: expected a string", i);
				if ((r = vmm_config_add_cgroup(c, json_string_value(p), err)) < 0)
					return r;
			}
		} else if (!strcmp(k, "cgroup")) {
			if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x))
				return bh_error_setx(err, EINVAL, "jail.cgroup: expected a string or an array of strings");
			r = vmm_config_add_cgroup(c, json_string_value(x), err);
		} else {
			r = bh_error_setx(err, EINVAL, "jail.%.32s: unknown field", k);
		}
		if (r < 0)
			return r;
	}
	if (!have_uid || !have_gid)
		return bh_error_setx(err, EINVAL, "jail.%s: required", have_uid ? "gid" : "uid");
	c->jail.on = true;
	return 0;
}

static int config_field(struct vmm_config *c, const char *k, json_t *x, struct bh_error *err)
{
	uint64_t u;
	int r;
	if (!strcmp(k, "vcpus")) {
		r = j_uint(x, k, 1, 32, &u, err);
		c->vcpus = (unsigned)u;
		return r;
	}
	if (!strcmp(k, "memory_mib")) {
		r = j_uint(x, k, 4, VMM_CONFIG_MAX_MEMORY_MIB, &u, err);
		c->memory_mib = u;
		return r;
	}
	if (!strcmp(k, "kernel"))
		return j_str(x, k, &c->kernel, true, err);
	if (!strcmp(k, "initrd"))
		return j_str(x, k, &c->initrd, true, err);
	if (!strcmp(k, "cmdline"))
		return j_str(x, k, &c->cmdline, false, err);
	if (!strcmp(k, "api_sock"))
		return j_str(x, k, &c->api_sock, true, err);
	if (!strcmp(k, "rng"))
		return j_bool(x, k, &c->rng, err);
	if (!strcmp(k, "hugepages"))
		return j_bool(x, k, &c->hugepages, err);
	if (!strcmp(k, "pvh"))
		return j_bool(x, k, &c->pvh, err);
	if (!strcmp(k, "serial_input"))
		return j_bool(x, k, &c->serial_input, err);
	if (!strcmp(k, "serial"))
		return j_out(x, k, &c->serial, err);
	if (!strcmp(k, "console"))
		return j_out(x, k, &c->console, err);
	if (!strcmp(k, "vsock"))
		return j_vsock(x, c, err);
	if (!strcmp(k, "jail"))
		return j_jail(x, c, err);
	if (!strcmp(k, "seccomp")) {
		if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x))
			return bh_error_setx(err, EINVAL, "seccomp: expected \"kill\", \"log\" or \"off\"");
		if (vmm_config_set_seccomp(c, json_string_value(x), err) < 0)
			return bh_error_wrap(err, "seccomp");
		return 0;
	}
	if (!strcmp(k, "drives")) {
		if (!json_is_array(x))
			return bh_error_setx(err, EINVAL, "drives: expected an array");
		if (json_array_size(x) > VMM_CONFIG_MAX_DRIVES)
			return bh_error_setx(err, E2BIG, "drives: %zu drives, at most %d", json_array_size(x),
					     VMM_CONFIG_MAX_DRIVES);
		size_t i;
		json_t *d;
		json_array_foreach(x, i, d) {
			if (c->ndrives >= VMM_CONFIG_MAX_DRIVES)
				return bh_error_setx(err, E2BIG, "drives: at most %d", VMM_CONFIG_MAX_DRIVES);
			struct vmm_drive_cfg *dc = &c->drives[c->ndrives++];
			if ((r = j_drive(d, i, dc, err)) < 0)
				return r;
		}
		return 0;
	}
	return bh_error_setx(err, EINVAL, "%.64s: unknown field", k);
}

int vmm_config_parse(struct vmm_config *c, const char *text, size_t len,
		     const char *name, struct bh_error *err)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return bh_error_setx(err, EINVAL, "config %s: line %d column %d: %s", name, je.line, je.column, je.text);
	int r = 0;
	if (!json_is_object(root)) {
		r = bh_error_setx(err, EINVAL, "config %s: expected a JSON object at the top", name);
	} else {
		const char *k;
		json_t *x;
		json_object_foreach(root, k, x) {
			if ((r = config_field(c, k, x, err)) < 0) {
				bh_error_wrap(err, "config %s", name);
				break;
			}
		}
	}
	json_decref(root);
	return r;
}

int vmm_config_load(struct vmm_config *c, const char *path, struct bh_error *err)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return bh_error_set(err, errno, "config %s", path);
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int r = 0;
	for (;;) {
		if (cap - n < 4096) {
			if (cap >= (1 << 20)) {
				r = bh_error_setx(err, EFBIG, "config %s: larger than 1 MiB", path);
				break;
			}
			cap = cap ? cap * 2 : 8192;
			char *b = realloc(buf, cap);
			if (!b) {
				r = bh_error_set(err, ENOMEM, "config %s", path);
				break;
			}
			buf = b;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				r = bh_error_set(err, EIO, "config %s: read", path);
			break;
		}
	}
	fclose(f);
	if (r == 0)
		r = vmm_config_parse(c, buf, n, path, err);
	free(buf);
	return r;
}

int vmm_config_add_disk(struct vmm_config *c, const char *arg, struct bh_error *err)
{
	if (c->ndrives >= VMM_CONFIG_MAX_DRIVES)
		return bh_error_setx(err, E2BIG, "--disk: at most %d drives", VMM_CONFIG_MAX_DRIVES);
	char *s = strdup(arg);
	if (!s)
		return bh_error_set(err, ENOMEM, "--disk");
	struct vmm_drive_cfg d = { 0 };
	char *save = NULL;
	int r = 0;
	for (char *t = strtok_r(s, ",", &save); t && r == 0; t = strtok_r(NULL, ",", &save)) {
		if (!d.path)
			r = set_str(&d.path, t, err);
		else if (!strcmp(t, "ro"))
			d.readonly = true;
		else if (!strcmp(t, "rw"))
			d.readonly = false;
		else if (!strncmp(t, "serial=", 7) && strlen(t + 7) <= 20)
			r = set_str(&d.serial, t + 7, err);
		else
			r = bh_error_setx(err, EINVAL, "--disk %s: unknown option \"%s\" (want PATH[,ro][,serial=S<=20])",
					  arg, t);
	}
	free(s);
	if (r == 0 && !d.path)
		r = bh_error_setx(err, EINVAL, "--disk: missing path");
	if (r < 0) {
		free(d.path);
		free(d.serial);
		return r;
	}
	c->drives[c->ndrives++] = d;
	return 0;
}

int vmm_config_set_vsock(struct vmm_config *c, const char *arg, struct bh_error *err)
{
	char *end;
	errno = 0;
	unsigned long cid = strtoul(arg, &end, 10);
	if (errno || end == arg || *end != ',' || cid < 3 || cid >= UINT32_MAX || !end[1])
		return bh_error_setx(err, EINVAL, "--vsock %s: want CID,UDS_PATH with CID >= 3", arg);
	c->vsock = true;
	c->vsock_cid = (uint32_t)cid;
	return set_str(&c->vsock_uds, end + 1, err);
}

int vmm_config_set_out(struct vmm_out_cfg *o, const char *arg, struct bh_error *err)
{
	if (!strcmp(arg, "stdout")) {
		o->mode = VMM_OUT_STDOUT;
	} else if (!strcmp(arg, "off")) {
		o->mode = VMM_OUT_OFF;
	} else if (!strncmp(arg, "file:", 5) && arg[5]) {
		o->mode = VMM_OUT_FILE;
		return set_str(&o->path, arg + 5, err);
	} else {
		return bh_error_setx(err, EINVAL, "\"%s\": want stdout, off or file:PATH", arg);
	}
	return 0;
}

int vmm_config_set_jail(struct vmm_config *c, const char *arg, struct bh_error *err)
{
	char *end;
	unsigned long long id[2];
	const char *p = arg;
	for (int i = 0; i < 2; i++) {
		errno = 0;
		id[i] = strtoull(p, &end, 10);
		if (errno || end == p || *p < '0' || *p > '9' || id[i] < 1 || id[i] >= UINT32_MAX ||
		    *end != (i == 0 ? ':' : '\0'))
			return bh_error_setx(err, EINVAL, "--jail %s: want UID:GID, each in 1..%u", arg,
					     UINT32_MAX - 1);
		p = end + 1;
	}
	c->jail.on = true;
	c->jail.uid = (uint32_t)id[0];
	c->jail.gid = (uint32_t)id[1];
	return 0;
}

int vmm_config_set_seccomp(struct vmm_config *c, const char *arg, struct bh_error *err)
{
	if (!strcmp(arg, "kill"))
		c->seccomp = VMM_SECCOMP_KILL;
	else if (!strcmp(arg, "log"))
		c->seccomp = VMM_SECCOMP_LOG;
	else if (!strcmp(arg, "off"))
		c->seccomp = VMM_SECCOMP_OFF;
	else
		return bh_error_setx(err, EINVAL, "\"%.32s\": want kill, log or off", arg);
	return 0;
}

int vmm_config_check(const struct vmm_config *c, struct bh_error *err)
{
	if (!c->kernel)
		return bh_error_setx(err, EINVAL, "no kernel: give --kernel PATH or \"kernel\" in the config");
	if (c->vcpus < 1 || c->vcpus > 32)
		return bh_error_setx(err, EINVAL, "vcpus: %u is out of range (1..32)", c->vcpus);
	if (c->memory_mib < 4 || c->memory_mib > VMM_CONFIG_MAX_MEMORY_MIB)
		return bh_error_setx(err, EINVAL, "memory: %llu MiB is out of range (4..%d)",
				     (unsigned long long)c->memory_mib, VMM_CONFIG_MAX_MEMORY_MIB);
	if (c->serial.mode == VMM_OUT_FILE && c->console.mode == VMM_OUT_FILE &&
	    !strcmp(c->serial.path, c->console.path))
		return bh_error_setx(err, EINVAL, "serial and console write to the same file %s", c->serial.path);
	if (!c->jail.on && (c->jail.chroot_dir || c->jail.ncgroups || c->jail.keep_netns))
		return bh_error_setx(err, EINVAL, "jail: a jail folder, cgroup or netns setting needs the "
				     "jail's uid and gid (--jail UID:GID or \"jail\": {\"uid\", \"gid\"})");
	return 0;
}
