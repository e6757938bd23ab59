/* features: what this runtime supports, per the OCI features document. */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>

#include "container/caps.h"
#include "container/seccomp.h"

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();
	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

int cmd_features(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cli_usage("features", "too many arguments");
	static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
		"startContainer", "poststart", "poststop", NULL };
	static const char *const mopts[] = { "async", "atime", "bind", "defaults", "dev",
		"diratime", "dirsync", "exec", "iversion", "lazytime", "loud", "mand",
		"noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime",
		"nomand", "norelatime", "nostrictatime", "nosuid", "private", "rbind",
		"relatime", "remount", "ro", "rprivate", "rshared", "rslave", "runbindable",
		"rw", "shared", "silent", "slave", "strictatime", "suid", "sync",
		"unbindable", NULL };
	static const char *const ns[] = { "cgroup", "ipc", "mount", "network", "pid",
		"time", "user", "uts", NULL };
	json_t *caps = json_array();
	for (int c = 0; c <= bh_caps_last_cap(); c++)
		if (bh_caps_to_name(c))
			json_array_append_new(caps, json_string(bh_caps_to_name(c)));
	json_t *actions = json_array(), *ops = json_array();
	for (int i = BH_SCMP_KILL_THREAD; i <= BH_SCMP_NOTIFY; i++)
		if (i != BH_SCMP_NOTIFY)
			json_array_append_new(actions, json_string(bh_seccomp_action_name(i)));
	for (int i = BH_SCMP_OP_NE; i <= BH_SCMP_OP_MASKED_EQ; i++)
		json_array_append_new(ops, json_string(bh_seccomp_op_name(i)));
	json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:{s:o, s:o, s:{s:b,s:b,s:b,s:b}, "
			      "s:{s:b,s:o,s:o,s:o,s:o,s:o}, s:{s:b}, s:{s:b}}, s:{s:s}}",
		"ociVersionMin", "1.0.0", "ociVersionMax", "1.1.0",
		"hooks", strv_json(hooks), "mountOptions", strv_json(mopts),
		"linux", "namespaces", strv_json(ns), "capabilities", caps,
		"cgroup", "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0,
		"seccomp", "enabled", 1, "actions", actions, "operators", ops,
		"archs", strv_json((const char *const *)bh_seccomp_arch_names),
		"knownFlags", strv_json((const char *const *)bh_seccomp_flag_names),
		"supportedFlags", strv_json((const char *const *)bh_seccomp_flag_names),
		"apparmor", "enabled", 0, "selinux", "enabled", 0,
		"annotations", "org.bulkhead.version", "0.1.0");
	if (!o)
		return cli_failx("features", "encode: out of memory");
	char *s = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	json_decref(o);
	puts(s);
	free(s);
	return 0;
}
