/* The config.json that `bulkhead spec` writes: DESIGN.md §4 defaults,
 * at least as strict as Docker's (11 capabilities, no_new_privs, masked
 * and read-only /proc paths, a device allow-list, the default seccomp
 * profile). */
#include "container/spec_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container/seccomp.h"

static const char *const default_caps[] = { "CAP_CHOWN", "CAP_DAC_OVERRIDE",
	"CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
	"CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID",
	"CAP_SYS_CHROOT", NULL };

static const char *const default_masked[] = { "/proc/acpi", "/proc/asound",
	"/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
	"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
	"/sys/devices/virtual/powercap", NULL };

static const char *const default_readonly[] = { "/proc/bus", "/proc/fs",
	"/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };

static json_t *strv_json(const char *const v[])
{
	json_t *a = json_array();
	for (size_t i = 0; a && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* options: a comma-separated list ("" for none). */
static json_t *mount_json(const char *dest, const char *type, const char *src,
			  const char *options)
{
	json_t *opts = json_array();
	char *copy = strdup(options), *save = NULL;
	if (!opts || !copy) {
		json_decref(opts);
		free(copy);
		return NULL;
	}
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
		json_array_append_new(opts, json_string(o));
	free(copy);
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type,
			 "source", src, "options", opts);
}

static json_t *default_mounts(bool rootless)
{
	/* In a user namespace only the caller's ids are mapped: devpts'
	 * gid=5 would not exist there and the mount would fail. */
	const char *pts = rootless
		? "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620"
		: "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5";
	return json_pack("[o, o, o, o, o, o, o]",
		mount_json("/proc", "proc", "proc", ""),
		mount_json("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"),
		mount_json("/dev/pts", "devpts", "devpts", pts),
		mount_json("/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k"),
		mount_json("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"),
		mount_json("/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro"),
		mount_json("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,relatime,ro"));
}

/* minor < 0: any minor.  Written by leaving "minor" out, which every
 * runtime reads as a wildcard (crun writes a literal -1 and fails). */
static json_t *device_rule(const char *type, int major, int minor)
{
	json_t *r = json_pack("{s:b, s:s, s:i, s:s}", "allow", 1, "type", type,
			      "major", major, "access", "rwm");
	if (r && minor >= 0)
		json_object_set_new(r, "minor", json_integer(minor));
	return r;
}

static json_t *default_resources(void)
{
	/* null, zero, full, random, urandom, tty, ptmx, pts (136:*). */
	return json_pack("{s:[{s:b, s:s}, o, o, o, o, o, o, o, o]}", "devices",
		"allow", 0, "access", "rwm",
		device_rule("c", 1, 3), device_rule("c", 1, 5), device_rule("c", 1, 7),
		device_rule("c", 1, 8), device_rule("c", 1, 9), device_rule("c", 5, 0),
		device_rule("c", 5, 2), device_rule("c", 136, -1));
}

static json_t *default_namespaces(bool rootless)
{
	json_t *ns = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}, {s:s}]",
		"type", "pid", "type", "network", "type", "ipc", "type", "uts",
		"type", "mount", "type", "cgroup");
	if (ns && rootless)
		json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
	return ns;
}

static json_t *default_linux(bool rootless)
{
	json_t *l = json_pack("{s:o, s:o, s:o, s:{s:s}}",
		"namespaces", default_namespaces(rootless),
		"maskedPaths", strv_json(default_masked),
		"readonlyPaths", strv_json(default_readonly),
		"sysctl", "net.ipv4.ping_group_range", "0 0");
	if (!l)
		return NULL;
	if (rootless) {
		/* Container root is the caller; nothing else is mapped.  Device
		 * cgroups cannot be written without privilege, so no resources
		 * (like runc's rootless spec). */
		if (json_object_set_new(l, "uidMappings", json_pack("[{s:I, s:I, s:i}]",
				"containerID", (json_int_t)0, "hostID", (json_int_t)getuid(), "size", 1)) < 0 ||
		    json_object_set_new(l, "gidMappings", json_pack("[{s:I, s:I, s:i}]",
				"containerID", (json_int_t)0, "hostID", (json_int_t)getgid(), "size", 1)) < 0)
			goto fail;
	} else if (json_object_set_new(l, "resources", default_resources()) < 0) {
		goto fail;
	}
	if (json_object_set_new(l, "seccomp", bh_seccomp_default_profile()) < 0)
		goto fail;
	return l;
fail:
	json_decref(l);
	return NULL;
}

static json_t *default_process(void)
{
	return json_pack("{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s,"
			 " s:{s:o, s:o, s:o, s:[], s:[]},"
			 " s:[{s:s, s:i, s:i}], s:b}",
		"terminal", 0,
		"user", "uid", 0, "gid", 0,
		"args", "sh",
		"env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"TERM=xterm",
		"cwd", "/",
		"capabilities",
		"bounding", strv_json(default_caps),
		"effective", strv_json(default_caps),
		"permitted", strv_json(default_caps),
		"inheritable", "ambient",
		"rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
		"noNewPrivileges", 1);
}

char *bh_spec_default_json(bool rootless)
{
	json_t *spec = json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}",
		"ociVersion", "1.0.2",
		"process", default_process(),
		"root", "path", "rootfs", "readonly", 0,
		"hostname", "bulkhead",
		"mounts", default_mounts(rootless),
		"linux", default_linux(rootless));
	if (!spec)
		return NULL;
	char *text = json_dumps(spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(spec);
	return text;
}
