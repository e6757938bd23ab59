/* The changes that make a host bundle's config fit the guest.  The guest
 * shares no file system with the host, so a host path in the config means
 * nothing there: files bound in by the caller (podman's /etc/hosts,
 * resolv.conf, hostname, .containerenv) travel as copies inside the
 * uploaded rootfs, /dev/shm becomes a guest tmpfs, and a namespace path (a
 * host netns) becomes a fresh namespace in the guest. */
#include "vm_oci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* A copy is a file the size of /etc/hosts, not a disk image. */
#define VM_OCI_COPY_MAX (1u << 20)

static bool has_option(json_t *opts, const char *a, const char *b)
{
	size_t i;
	json_t *v;
	json_array_foreach(opts, i, v) {
		const char *s = json_string_value(v);
		if (s && (!strcmp(s, a) || (b && !strcmp(s, b))))
			return true;
	}
	return false;
}

static int translate_mount(json_t *m, json_t *copies, bool *drop, struct bh_error *err)
{
	const char *type = json_string_value(json_object_get(m, "type"));
	const char *src = json_string_value(json_object_get(m, "source"));
	const char *dst = json_string_value(json_object_get(m, "destination"));
	json_t *opts = json_object_get(m, "options");
	*drop = false;
	if (!dst)
		return bh_error_setx(err, EINVAL, "mounts: an entry has no destination");
	bool bind = (type && !strcmp(type, "bind")) || has_option(opts, "bind", "rbind");
	if (!bind)
		return 0;
	if (!src || src[0] != '/')
		return bh_error_setx(err, EINVAL, "mounts %s: bind source \"%s\" is not an absolute host path",
				     dst, src ? src : "");
	struct stat st;
	if (stat(src, &st) < 0)
		return bh_error_set(err, errno, "mounts %s: bind source %s", dst, src);
	if (!strcmp(dst, "/dev/shm")) {
		/* podman binds a host tmpfs here; the guest gets its own */
		json_object_set_new(m, "type", json_string("tmpfs"));
		json_object_set_new(m, "source", json_string("shm"));
		json_object_set_new(m, "options", json_pack("[s,s,s,s,s]", "nosuid", "noexec",
							    "nodev", "mode=1777", "size=65536k"));
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return bh_error_setx(err, EOPNOTSUPP,
				     "mounts %s: VM mode cannot bind the host directory %s "
				     "(the guest shares no file system with the host; put the data in the image)",
				     dst, src);
	if (!S_ISREG(st.st_mode) || st.st_size > VM_OCI_COPY_MAX)
		return bh_error_setx(err, EOPNOTSUPP,
				     "mounts %s: VM mode copies bound host files into the guest, and %s is %s",
				     dst, src, S_ISREG(st.st_mode) ? "over 1 MiB" : "not a regular file");
	json_array_append_new(copies, json_pack("{s:s,s:s}", "src", src, "dst", dst));
	*drop = true;
	return 0;
}

int vm_oci_translate(json_t *config, json_t **copies, struct bh_error *err)
{
	*copies = json_array();
	json_t *mounts = json_object_get(config, "mounts");
	if (mounts && !json_is_array(mounts))
		return bh_error_setx(err, EINVAL, "mounts: expected an array");
	for (size_t i = 0; i < json_array_size(mounts);) {
		json_t *m = json_array_get(mounts, i);
		bool drop;
		if (!json_is_object(m))
			return bh_error_setx(err, EINVAL, "mounts[%zu]: expected an object", i);
		if (translate_mount(m, *copies, &drop, err) < 0)
			return -err->code;
		if (drop)
			json_array_remove(mounts, i);
		else
			i++;
	}
	json_t *linux_ = json_object_get(config, "linux");
	json_t *ns = json_object_get(linux_, "namespaces");
	size_t i;
	json_t *n;
	json_array_foreach(ns, i, n) {
		const char *path = json_string_value(json_object_get(n, "path"));
		if (path) {
			fprintf(stderr, "bulkhead: VM mode: namespace %s: the host's %s has no meaning "
				"in the guest; the container gets a new one\n",
				json_string_value(json_object_get(n, "type")) ?: "?", path);
			json_object_del(n, "path");
		}
	}
	/* Host devices are not in the guest: passing them is bare mode's job. */
	if (json_array_size(json_object_get(linux_, "devices")))
		return bh_error_setx(err, EOPNOTSUPP, "linux.devices: VM mode has no host devices "
				     "(use bare mode, or the libvirt backend's passthrough)");
	return 0;
}
