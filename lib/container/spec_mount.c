/* config.json "mounts": each entry, and its options translated the way
 * runc does into mount(2) flags, flags to clear, a propagation change and
 * the leftover filesystem data string. */
#include "container/spec_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "util/log.h"

#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif

static const struct {
	const char *name;
	bool clear;             /* the option removes the flag */
	unsigned long flag;
} mount_flags[] = {
	{ "async", true, MS_SYNCHRONOUS },
	{ "atime", true, MS_NOATIME },
	{ "bind", false, MS_BIND },
	{ "defaults", false, 0 },
	{ "dev", true, MS_NODEV },
	{ "diratime", true, MS_NODIRATIME },
	{ "dirsync", false, MS_DIRSYNC },
	{ "exec", true, MS_NOEXEC },
	{ "iversion", false, MS_I_VERSION },
	{ "lazytime", false, MS_LAZYTIME },
	{ "loud", true, MS_SILENT },
	{ "mand", false, MS_MANDLOCK },
	{ "noatime", false, MS_NOATIME },
	{ "nodev", false, MS_NODEV },
	{ "nodiratime", false, MS_NODIRATIME },
	{ "noexec", false, MS_NOEXEC },
	{ "noiversion", true, MS_I_VERSION },
	{ "nolazytime", true, MS_LAZYTIME },
	{ "nomand", true, MS_MANDLOCK },
	{ "norelatime", true, MS_RELATIME },
	{ "nostrictatime", true, MS_STRICTATIME },
	{ "nosuid", false, MS_NOSUID },
	{ "rbind", false, MS_BIND | MS_REC },
	{ "relatime", false, MS_RELATIME },
	{ "remount", false, MS_REMOUNT },
	{ "ro", false, MS_RDONLY },
	{ "rw", true, MS_RDONLY },
	{ "silent", false, MS_SILENT },
	{ "strictatime", false, MS_STRICTATIME },
	{ "suid", true, MS_NOSUID },
	{ "sync", false, MS_SYNCHRONOUS },
};

unsigned long sp_propagation(const char *s)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} prop[] = {
		{ "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
		{ "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
		{ "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
		{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
	};
	for (size_t i = 0; i < sizeof(prop) / sizeof(prop[0]); i++)
		if (strcmp(s, prop[i].name) == 0)
			return prop[i].flags;
	return 0;
}

/* Recursive mount_setattr(2) attributes (runc 1.1 "rro", "rnosuid"...).
 * Not implemented; failing is safer than silently dropping "rro". */
static bool mount_is_recursive_attr(const char *o)
{
	static const char *const r[] = { "rro", "rrw", "rnosuid", "rsuid",
		"rnodev", "rdev", "rnoexec", "rexec", "rnodiratime", "rdiratime",
		"rrelatime", "rnorelatime", "rnoatime", "ratime", "rstrictatime",
		"rnostrictatime", "rnosymfollow", "rsymfollow", NULL };
	for (size_t i = 0; r[i]; i++)
		if (strcmp(o, r[i]) == 0)
			return true;
	return false;
}

static int mount_options(struct sp_ctx *c, const char *path, struct bh_spec_mount *m)
{
	size_t datalen = 0;
	char e[SP_PATH_MAX];

	m->flags = m->clear = m->propagation = 0;
	free(m->data);
	m->data = NULL;
	for (size_t i = 0; i < m->n_options; i++) {
		const char *o = m->options[i];
		bool known = false;
		sp_index(e, sizeof(e), path, i);
		for (size_t k = 0; k < sizeof(mount_flags) / sizeof(mount_flags[0]); k++) {
			if (strcmp(o, mount_flags[k].name) != 0)
				continue;
			known = true;
			if (mount_flags[k].clear) {
				m->flags &= ~mount_flags[k].flag;
				m->clear |= mount_flags[k].flag;
			} else {
				m->flags |= mount_flags[k].flag;
				m->clear &= ~mount_flags[k].flag;
			}
		}
		if (known)
			continue;
		unsigned long p = sp_propagation(o);
		if (p) {
			m->propagation = p;
			continue;
		}
		/* Kept in options, acted on by the runtime (mounts.c). */
		if (strcmp(o, "tmpcopyup") == 0)
			continue;
		if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0)
			return sp_fail(c, e, "\"%s\" (idmapped mounts) is not supported", o);
		if (mount_is_recursive_attr(o))
			return sp_fail(c, e, "recursive mount attribute \"%s\" is not supported", o);
		if (!*o || strchr(o, ','))
			return sp_fail(c, e, "invalid mount option \"%s\"", o);
		size_t ol = strlen(o);
		char *d = realloc(m->data, datalen + ol + 2);
		if (!d)
			return sp_nomem(c, e);
		if (datalen)
			d[datalen++] = ',';
		memcpy(d + datalen, o, ol + 1);
		datalen += ol;
		m->data = d;
	}
	return 0;
}

int bh_spec_mount_parse_options(struct bh_spec_mount *m, struct bh_error *err)
{
	struct sp_ctx c = { .file = "mount", .err = err };
	return mount_options(&c, "options", m);
}

static const char *const mount_keys[] = { "destination", "type", "source",
	"options", NULL };
static const char *const mount_unsupported[] = { "uidMappings", "gidMappings", NULL };

int sp_parse_mounts(struct sp_ctx *c, json_t *root, struct bh_spec *spec)
{
	char e[SP_PATH_MAX], op[SP_PATH_MAX];
	json_t *arr, *v;
	size_t i;
	int r = sp_get_array(c, root, "", "mounts", false, SP_MAX_LIST, &arr);
	if (r < 0 || !arr)
		return r;
	spec->mounts = sp_calloc(c, "mounts", json_array_size(arr), sizeof(*spec->mounts));
	if (!spec->mounts)
		return -ENOMEM;
	spec->n_mounts = json_array_size(arr);
	json_array_foreach(arr, i, v) {
		struct bh_spec_mount *m = &spec->mounts[i];
		sp_index(e, sizeof(e), "mounts", i);
		if (!json_is_object(v))
			return sp_fail(c, e, "expected an object");
		/* An idmapped mount silently mounted without its mapping would
		 * give the container the wrong owners: refuse it. */
		if (json_object_get(v, "uidMappings") || json_object_get(v, "gidMappings"))
			return sp_fail(c, e, "idmapped mounts (uidMappings/gidMappings) are not supported");
		sp_check_keys(c, v, e, mount_keys, mount_unsupported);
		if ((r = sp_get_string(c, v, e, "destination", true, &m->destination)) < 0 ||
		    (r = sp_get_string(c, v, e, "type", false, &m->type)) < 0 ||
		    (r = sp_get_string(c, v, e, "source", false, &m->source)) < 0 ||
		    (r = sp_get_strv(c, v, e, "options", 256, &m->options, &m->n_options)) < 0)
			return r;
		sp_join(op, sizeof(op), e, "destination");
		if (m->destination[0] != '/')
			return sp_fail(c, op, "must be an absolute path, not \"%s\"", m->destination);
		if (sp_has_dotdot(m->destination))
			return sp_fail(c, op, "must not contain \"..\" (\"%s\")", m->destination);
		sp_join(op, sizeof(op), e, "options");
		if ((r = mount_options(c, op, m)) < 0)
			return r;
		/* Like crun: type "bind" is a bind mount even without the option. */
		if (m->type && strcmp(m->type, "bind") == 0)
			m->flags |= MS_BIND;
	}
	return 0;
}

void sp_mounts_free(struct bh_spec_mount *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++) {
		free(m[i].destination);
		free(m[i].type);
		free(m[i].source);
		sp_strv_free(m[i].options, m[i].n_options);
		free(m[i].data);
	}
	free(m);
}
