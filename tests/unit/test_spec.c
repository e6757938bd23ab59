/* The OCI spec parser: a full config.json lands in the right struct
 * fields, each setting is translated (mount options, capabilities,
 * rlimits, namespaces, seccomp, resources, hooks, id maps, devices),
 * bundles load from disk and unknown fields warn without failing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/spec.h"
#include "util/log.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const char full_config[] =
"{\n"
"  \"ociVersion\": \"1.0.2\",\n"
"  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
"  \"process\": {\n"
"    \"terminal\": true,\n"
"    \"consoleSize\": {\"height\": 24, \"width\": 80},\n"
"    \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18, \"additionalGids\": [5, 6]},\n"
"    \"args\": [\"sh\", \"-c\", \"true\"],\n"
"    \"env\": [\"PATH=/bin\", \"A=b=c\"],\n"
"    \"cwd\": \"/work\",\n"
"    \"capabilities\": {\n"
"      \"bounding\": [\"CAP_CHOWN\", \"CAP_SYS_ADMIN\"],\n"
"      \"effective\": [\"CAP_KILL\"],\n"
"      \"inheritable\": [],\n"
"      \"permitted\": [\"CAP_NET_RAW\"],\n"
"      \"ambient\": [\"CAP_NET_BIND_SERVICE\"]\n"
"    },\n"
"    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 2048},\n"
"                {\"type\": \"RLIMIT_NPROC\", \"soft\": 10, \"hard\": 20}],\n"
"    \"noNewPrivileges\": true,\n"
"    \"oomScoreAdj\": -500,\n"
"    \"apparmorProfile\": \"aa\",\n"
"    \"selinuxLabel\": \"se\"\n"
"  },\n"
"  \"hostname\": \"box\",\n"
"  \"domainname\": \"example.org\",\n"
"  \"mounts\": [\n"
"    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
"    {\"destination\": \"/data\", \"source\": \"/srv/data\", \"options\": [\"rbind\", \"ro\", \"nosuid\", \"rprivate\"]},\n"
"    {\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
"     \"options\": [\"nodev\", \"mode=1777\", \"noexec\", \"size=10m\", \"exec\", \"rw\", \"tmpcopyup\"]}\n"
"  ],\n"
"  \"hooks\": {\n"
"    \"prestart\": [{\"path\": \"/bin/hook\", \"args\": [\"hook\", \"a\"], \"env\": [\"X=1\"], \"timeout\": 5}],\n"
"    \"poststop\": [{\"path\": \"/bin/stop\"}]\n"
"  },\n"
"  \"annotations\": {\"org.example.a\": \"1\", \"org.example.b\": \"two\"},\n"
"  \"linux\": {\n"
"    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/proc/1/ns/net\"},\n"
"                   {\"type\": \"mount\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"},\n"
"                   {\"type\": \"user\"}, {\"type\": \"cgroup\"}, {\"type\": \"time\"}],\n"
"    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
"    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 1000},\n"
"                    {\"containerID\": 1000, \"hostID\": 1000, \"size\": 1}],\n"
"    \"devices\": [{\"type\": \"c\", \"path\": \"/dev/fuse\", \"major\": 10, \"minor\": 229,\n"
"                 \"fileMode\": 438, \"uid\": 0, \"gid\": 0},\n"
"                {\"type\": \"p\", \"path\": \"/dev/fifo\"}],\n"
"    \"cgroupsPath\": \"/bulkhead/x\",\n"
"    \"resources\": {\n"
"      \"devices\": [{\"allow\": false, \"access\": \"rwm\"},\n"
"                  {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\"},\n"
"                  {\"allow\": true, \"type\": \"c\", \"major\": 136}],\n"
"      \"memory\": {\"limit\": 1048576, \"reservation\": 524288, \"swap\": -1,\n"
"                 \"swappiness\": 10, \"disableOOMKiller\": true},\n"
"      \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0-1\",\n"
"              \"mems\": \"0\", \"idle\": 1},\n"
"      \"pids\": {\"limit\": 100},\n"
"      \"blockIO\": {\"weight\": 500},\n"
"      \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 209715200}],\n"
"      \"unified\": {\"memory.high\": \"1G\"}\n"
"    },\n"
"    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},\n"
"    \"seccomp\": {\n"
"      \"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,\n"
"      \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"],\n"
"      \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],\n"
"      \"syscalls\": [\n"
"        {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
"        {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
"         \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]},\n"
"        {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38,\n"
"         \"args\": [{\"index\": 0, \"value\": 2114060288, \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},\n"
"        {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"}\n"
"      ]\n"
"    },\n"
"    \"rootfsPropagation\": \"rslave\",\n"
"    \"maskedPaths\": [\"/proc/kcore\"],\n"
"    \"readonlyPaths\": [\"/proc/sys\", \"/proc/bus\"],\n"
"    \"mountLabel\": \"ml\"\n"
"  }\n"
"}\n";

static struct bh_spec *parse_ok(const char *json, const char *bundle)
{
	struct bh_spec *s = NULL;
	struct bh_error err = { 0 };
	int r = bh_spec_parse(json, strlen(json), bundle, &s, &err);
	if (r != 0)
		fail_msg("parse failed: %s", err.msg);
	assert_non_null(s);
	return s;
}

static uint64_t bit(int cap) { return 1ULL << cap; }

static void test_top_level(void **state)
{
	(void)state;
	struct bh_spec *s = parse_ok(full_config, "/bundles/b1");
	assert_string_equal(s->oci_version, "1.0.2");
	assert_string_equal(s->root_path, "/bundles/b1/rootfs");
	assert_true(s->root_readonly);
	assert_string_equal(s->hostname, "box");
	assert_string_equal(s->domainname, "example.org");
	assert_string_equal(s->bundle, "/bundles/b1");
	assert_int_equal(s->n_annotations, 2);
	assert_string_equal(bh_spec_annotation(s, "org.example.b"), "two");
	assert_null(bh_spec_annotation(s, "org.example.c"));
	bh_spec_free(s);
}

static void test_process(void **state)
{
	(void)state;
	struct bh_spec *s = parse_ok(full_config, "/b");
	struct bh_spec_process *p = s->process;
	assert_non_null(p);
	assert_true(p->terminal);
	assert_int_equal(p->console_height, 24);
	assert_int_equal(p->console_width, 80);
	assert_int_equal(p->n_args, 3);
	assert_string_equal(p->args[0], "sh");
	assert_string_equal(p->args[2], "true");
	assert_null(p->args[3]);
	assert_int_equal(p->n_env, 2);
	assert_string_equal(p->env[1], "A=b=c");
	assert_null(p->env[2]);
	assert_string_equal(p->cwd, "/work");
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 1001);
	assert_int_equal(p->user.umask, 18);
	assert_int_equal(p->user.n_additional_gids, 2);
	assert_int_equal(p->user.additional_gids[1], 6);
	assert_true(p->no_new_privileges);
	assert_int_equal(p->oom_score_adj, -500);
	assert_string_equal(p->apparmor_profile, "aa");
	assert_string_equal(p->selinux_label, "se");
	bh_spec_free(s);
}

static void test_capabilities(void **state)
{
	(void)state;
	struct bh_spec *s = parse_ok(full_config, "/b");
	struct bh_spec_caps *c = &s->process->caps;
	assert_true(c->present);
	assert_true(c->bounding == (bit(CAP_CHOWN) | bit(CAP_SYS_ADMIN)));
	assert_true(c->effective == bit(CAP_KILL));
	assert_true(c->inheritable == 0);
	assert_true(c->permitted == bit(CAP_NET_RAW));
	assert_true(c->ambient == bit(CAP_NET_BIND_SERVICE));
	bh_spec_free(s);

	/* No capabilities object at all: present stays false, sets empty. */
	s = parse_ok("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/r\"},"
		     "\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"}}", NULL);
	assert_false(s->process->caps.present);
	assert_true(s->process->caps.bounding == 0);
	assert_int_equal(s->process->user.umask, BH_UNSET);
	assert_int_equal(s->process->oom_score_adj, BH_UNSET);
	assert_int_equal(s->process->n_env, 0);
	assert_non_null(s->process->env);
	bh_spec_free(s);
}

static void test_rlimits(void **state)
{
	(void)state;
	struct bh_spec *s = parse_ok(full_config, "/b");
	struct bh_spec_process *p = s->process;
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[0].hard, 2048);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_NPROC);
	assert_int_equal(p->rlimits[1].hard, 20);
	bh_spec_free(s);
}

static void test_mount_options(void **state)
{
	(void)state;
	struct bh_spec *s = parse_ok(full_config, "/b");
	assert_int_equal(s->n_mounts, 3);
	struct bh_spec_mount *m = &s->mounts[0];
	assert_string_equal(m->destination, "/proc");
	assert_string_equal(m->type, "proc");
	assert_int_equal(m->n_options, 0);
	assert_int_equal(m->flags, 0);
	assert_null(m->data);

	m = &s->mounts[1];
	assert_null(m->type);
	assert_string_equal(m->source, "/srv/data");
	assert_int_equal(m->flags, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID);
	assert_int_equal(m->clear, 0);
	assert_int_equal(m->propagation, MS_PRIVATE | MS_REC);
	assert_null(m->data);

	/* Later options win: noexec then exec clears; rw clears MS_RDONLY;
	 * filesystem options are kept in order for the data string. */
	m = &s->mounts[2];
	assert_int_equal(m->flags, MS_NODEV);
	assert_int_equal(m->clear, MS_NOEXEC | MS_RDONLY);
	assert_int_equal(m->propagation, 0);
	assert_string_equal(m->data, "mode=1777,size=10m");
	assert_int_equal(m->n_options, 7);
	bh_spec_free(s);
}

static void test_mount_option_table(void **state)
{
	(void)state;
	static const struct {
		const char *opt;
		unsigned long flags, clear, prop;
	} cases[] = {
		{ "ro", MS_RDONLY, 0, 0 }, { "rw", 0, MS_RDONLY, 0 },
		{ "nosuid", MS_NOSUID, 0, 0 }, { "suid", 0, MS_NOSUID, 0 },
		{ "nodev", MS_NODEV, 0, 0 }, { "dev", 0, MS_NODEV, 0 },
		{ "noexec", MS_NOEXEC, 0, 0 }, { "exec", 0, MS_NOEXEC, 0 },
		{ "bind", MS_BIND, 0, 0 }, { "rbind", MS_BIND | MS_REC, 0, 0 },
		{ "relatime", MS_RELATIME, 0, 0 }, { "norelatime", 0, MS_RELATIME, 0 },
		{ "strictatime", MS_STRICTATIME, 0, 0 }, { "noatime", MS_NOATIME, 0, 0 },
		{ "nodiratime", MS_NODIRATIME, 0, 0 }, { "sync", MS_SYNCHRONOUS, 0, 0 },
		{ "async", 0, MS_SYNCHRONOUS, 0 }, { "remount", MS_REMOUNT, 0, 0 },
		{ "mand", MS_MANDLOCK, 0, 0 }, { "dirsync", MS_DIRSYNC, 0, 0 },
		{ "private", 0, 0, MS_PRIVATE }, { "rprivate", 0, 0, MS_PRIVATE | MS_REC },
		{ "shared", 0, 0, MS_SHARED }, { "rshared", 0, 0, MS_SHARED | MS_REC },
		{ "slave", 0, 0, MS_SLAVE }, { "rslave", 0, 0, MS_SLAVE | MS_REC },
		{ "unbindable", 0, 0, MS_UNBINDABLE },
		{ "runbindable", 0, 0, MS_UNBINDABLE | MS_REC },
		{ "tmpcopyup", 0, 0, 0 }, { "defaults", 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *opts[] = { (char *)cases[i].opt, NULL };
		struct bh_spec_mount m = { .options = opts, .n_options = 1 };
		struct bh_error err = { 0 };
		assert_int_equal(bh_spec_mount_parse_options(&m, &err), 0);
		if (m.flags != cases[i].flags || m.clear != cases[i].clear ||
		    m.propagation != cases[i].prop)
			fail_msg("option %s: flags %lx clear %lx prop %lx", cases[i].opt,
				 m.flags, m.clear, m.propagation);
		assert_null(m.data);
	}
	/* A "bind" type is a bind mount; "..foo" is a name, not "..". */
	struct bh_spec *s = parse_ok("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/r\"},"
		"\"mounts\":[{\"destination\":\"/x/..foo\",\"type\":\"bind\",\"source\":\"/s\","
		"\"options\":[\"ro\"]}]}", NULL);
	assert_int_equal(s->mounts[0].flags, MS_BIND | MS_RDONLY);
	bh_spec_free(s);
	/* idmap is refused, not silently dropped. */
	char *opts[] = { "ro", "idmap", NULL };
	struct bh_spec_mount m = { .options = opts, .n_options = 2 };
	struct bh_error err = { 0 };
	assert_int_not_equal(bh_spec_mount_parse_options(&m, &err), 0);
	assert_non_null(strstr(err.msg, "idmap"));
	free(m.data);
}

static void test_hooks(void **state)
{
	(void)state;
	struct bh_spec *s = parse_ok(full_config, "/b");
	assert_int_equal(s->hooks.prestart.n, 1);
	struct bh_spec_hook *h = &s->hooks.prestart.hooks[0];
	assert_string_equal(h->path, "/bin/hook");
	assert_int_equal(h->n_args, 2);
	assert_string_equal(h->args[1], "a");
	assert_string_equal(h->env[0], "X=1");
	assert_int_equal(h->timeout, 5);
	assert_int_equal(s->hooks.poststop.n, 1);
	assert_null(s->hooks.poststop.hooks[0].args);
	assert_int_equal(s->hooks.poststop.hooks[0].timeout, BH_UNSET);
	assert_int_equal(s->hooks.create_runtime.n, 0);
	bh_spec_free(s);
}

static void test_namespaces_idmaps(void **state)
{
	(void)state;
	struct bh_spec *s = parse_ok(full_config, "/b");
	struct bh_spec_linux *l = &s->linux;
	assert_int_equal(l->n_namespaces, 8);
	int want[] = { CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWIPC,
		       CLONE_NEWUTS, CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME };
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(l->namespaces[i].type, want[i]);
	const struct bh_spec_namespace *ns = bh_spec_namespace(s, CLONE_NEWNET);
	assert_non_null(ns);
	assert_string_equal(ns->path, "/proc/1/ns/net");
	assert_null(bh_spec_namespace(s, CLONE_NEWPID)->path);
	assert_int_equal(l->n_uid_mappings, 1);
	assert_int_equal(l->uid_mappings[0].host_id, 100000);
	assert_int_equal(l->uid_mappings[0].size, 65536);
	assert_int_equal(l->n_gid_mappings, 2);
	assert_int_equal(l->gid_mappings[1].container_id, 1000);
	assert_int_equal(l->gid_mappings[1].host_id, 1000);
	bh_spec_free(s);
}

static void test_devices(void **state)
{
	(void)state;
	struct bh_spec *s = parse_ok(full_config, "/b");
	struct bh_spec_linux *l = &s->linux;
	assert_int_equal(l->n_devices, 2);
	assert_int_equal(l->devices[0].type, 'c');
	assert_string_equal(l->devices[0].path, "/dev/fuse");
	assert_int_equal(l->devices[0].major, 10);
	assert_int_equal(l->devices[0].minor, 229);
	assert_int_equal(l->devices[0].file_mode, 0666);
	assert_int_equal(l->devices[0].uid, 0);
	assert_int_equal(l->devices[1].type, 'p');
	assert_int_equal(l->devices[1].major, BH_UNSET);
	assert_int_equal(l->devices[1].file_mode, BH_UNSET);

	struct bh_spec_resources *r = &l->resources;
	assert_true(r->present);
	assert_int_equal(r->n_devices, 3);
	assert_false(r->devices[0].allow);
	assert_int_equal(r->devices[0].type, 'a');
	assert_int_equal(r->devices[0].major, -1);
	assert_int_equal(r->devices[0].minor, -1);
	assert_string_equal(r->devices[0].access, "rwm");
	assert_true(r->devices[1].allow);
	assert_int_equal(r->devices[1].type, 'c');
	assert_int_equal(r->devices[1].major, 1);
	assert_int_equal(r->devices[1].minor, 3);
	assert_string_equal(r->devices[1].access, "rw");
	assert_int_equal(r->devices[2].major, 136);
	assert_int_equal(r->devices[2].minor, -1);
	assert_string_equal(r->devices[2].access, "rwm");
	bh_spec_free(s);
}

static void test_resources(void **state)
{
	(void)state;
	struct bh_spec *s = parse_ok(full_config, "/b");
	struct bh_spec_linux *l = &s->linux;
	struct bh_spec_resources *r = &l->resources;
	assert_int_equal(r->mem_limit, 1048576);
	assert_int_equal(r->mem_reservation, 524288);
	assert_int_equal(r->mem_swap, -1);
	assert_int_equal(r->mem_swappiness, 10);
	assert_true(r->mem_disable_oom_killer);
	assert_int_equal(r->cpu_shares, 512);
	assert_int_equal(r->cpu_quota, 50000);
	assert_int_equal(r->cpu_period, 100000);
	assert_int_equal(r->cpu_idle, 1);
	assert_string_equal(r->cpu_cpus, "0-1");
	assert_string_equal(r->cpu_mems, "0");
	assert_int_equal(r->pids_limit, 100);
	assert_int_equal(r->blkio_weight, 500);
	assert_int_equal(r->n_hugepages, 1);
	assert_string_equal(r->hugepages[0].page_size, "2MB");
	assert_int_equal(r->hugepages[0].limit, 209715200);
	assert_int_equal(r->n_unified, 1);
	assert_string_equal(r->unified[0].key, "memory.high");
	assert_string_equal(r->unified[0].value, "1G");
	assert_int_equal(l->n_sysctl, 1);
	assert_string_equal(l->sysctl[0].key, "net.ipv4.ip_forward");
	assert_string_equal(l->cgroups_path, "/bulkhead/x");
	assert_int_equal(l->rootfs_propagation, MS_SLAVE | MS_REC);
	assert_int_equal(l->n_masked_paths, 1);
	assert_string_equal(l->masked_paths[0], "/proc/kcore");
	assert_int_equal(l->n_readonly_paths, 2);
	assert_null(l->readonly_paths[2]);
	assert_string_equal(l->mount_label, "ml");
	bh_spec_free(s);

	/* Absent resources: every number is BH_UNSET, present is false. */
	s = parse_ok("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/r\"}}", NULL);
	assert_null(s->process);
	assert_false(s->linux.resources.present);
	assert_int_equal(s->linux.resources.mem_limit, BH_UNSET);
	assert_int_equal(s->linux.resources.pids_limit, BH_UNSET);
	assert_int_equal(s->linux.resources.cpu_quota, BH_UNSET);
	assert_null(s->linux.seccomp);
	bh_spec_free(s);
}

static void test_seccomp(void **state)
{
	(void)state;
	struct bh_spec *s = parse_ok(full_config, "/b");
	struct bh_spec_seccomp *sc = s->linux.seccomp;
	assert_non_null(sc);
	assert_int_equal(sc->default_action, BH_SCMP_ERRNO);
	assert_int_equal(sc->default_errno, 1);
	assert_int_equal(sc->n_architectures, 2);
	assert_string_equal(sc->architectures[1], "SCMP_ARCH_X86");
	assert_int_equal(sc->n_flags, 1);
	assert_string_equal(sc->flags[0], "SECCOMP_FILTER_FLAG_LOG");
	assert_int_equal(sc->n_rules, 4);
	assert_int_equal(sc->rules[0].n_names, 2);
	assert_string_equal(sc->rules[0].names[1], "write");
	assert_int_equal(sc->rules[0].action, BH_SCMP_ALLOW);
	assert_int_equal(sc->rules[0].errno_ret, BH_UNSET);
	assert_int_equal(sc->rules[1].n_args, 1);
	assert_int_equal(sc->rules[1].args[0].op, BH_SCMP_OP_EQ);
	assert_int_equal(sc->rules[1].args[0].value, 8);
	assert_int_equal(sc->rules[2].action, BH_SCMP_ERRNO);
	assert_int_equal(sc->rules[2].errno_ret, 38);
	assert_int_equal(sc->rules[2].args[0].op, BH_SCMP_OP_MASKED_EQ);
	assert_int_equal(sc->rules[2].args[0].value, 2114060288);
	assert_int_equal(sc->rules[3].action, BH_SCMP_KILL_PROCESS);
	bh_spec_free(s);

	const char *prof = "{\"defaultAction\":\"SCMP_ACT_KILL\",\"syscalls\":"
			   "[{\"names\":[\"exit\"],\"action\":\"SCMP_ACT_LOG\"}]}";
	struct bh_error err = { 0 };
	assert_int_equal(bh_spec_parse_seccomp(prof, strlen(prof), &sc, &err), 0);
	assert_int_equal(sc->default_action, BH_SCMP_KILL_THREAD);
	assert_int_equal(sc->rules[0].action, BH_SCMP_LOG);
	bh_spec_seccomp_free(sc);
}

static void test_parse_process(void **state)
{
	(void)state;
	const char *j = "{\"args\":[\"ls\",\"-l\"],\"cwd\":\"/tmp\",\"env\":[\"A=1\"],"
			"\"user\":{\"uid\":5,\"gid\":6},\"capabilities\":{\"bounding\":[\"CAP_KILL\"]}}";
	struct bh_spec_process *p = NULL;
	struct bh_error err = { 0 };
	assert_int_equal(bh_spec_parse_process(j, strlen(j), &p, &err), 0);
	assert_string_equal(p->args[1], "-l");
	assert_string_equal(p->cwd, "/tmp");
	assert_int_equal(p->user.uid, 5);
	assert_true(p->caps.bounding == bit(CAP_KILL));
	bh_spec_process_free(p);

	j = "{\"args\":[\"ls\", 3],\"cwd\":\"/tmp\"}";
	assert_int_equal(bh_spec_parse_process(j, strlen(j), &p, &err), -EINVAL);
	assert_null(p);
	assert_non_null(strstr(err.msg, "args[1]: expected a string"));
	j = "{\"args\":[\"ls\"],\"cwd\":\"tmp\"}";
	assert_int_equal(bh_spec_parse_process(j, strlen(j), &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "cwd: must be an absolute path"));
}

static char *make_bundle(const char *config)
{
	char tmpl[] = "/tmp/bh-spec-test-XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	if (config) {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(config, f);
		fclose(f);
	}
	return strdup(dir);
}

static void rm_bundle(char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static void test_load(void **state)
{
	(void)state;
	char *dir = make_bundle(full_config);
	struct bh_spec *s = NULL;
	struct bh_error err = { 0 };
	assert_int_equal(bh_spec_load(dir, &s, &err), 0);
	char want[PATH_MAX];
	char *real = realpath(dir, NULL);
	snprintf(want, sizeof(want), "%s/rootfs", real);
	assert_string_equal(s->root_path, want);
	assert_string_equal(s->bundle, real);
	free(real);
	bh_spec_free(s);
	rm_bundle(dir);

	/* Errors name the file that was read. */
	dir = make_bundle("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},"
			  "\"process\":{\"args\":[1],\"cwd\":\"/\"}}");
	assert_int_equal(bh_spec_load(dir, &s, &err), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(err.msg, "config.json: process.args[0]: expected a string"));
	assert_non_null(strstr(err.msg, dir));
	rm_bundle(dir);

	dir = make_bundle(NULL);
	assert_int_equal(bh_spec_load(dir, &s, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "config.json"));
	rm_bundle(dir);

	/* A config.json over 4 MiB is refused before parsing. */
	dir = make_bundle(NULL);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (5 << 20)), 0);
	close(fd);
	assert_int_equal(bh_spec_load(dir, &s, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "too large"));
	rm_bundle(dir);
}

/* Unknown fields are ignored (OCI "Extensibility") but each is named in
 * a warning, so a typo in a security setting is visible. */
static void test_unknown_fields_warn(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/bh-spec-log-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(bh_log_open(tmpl, 0, BH_LOG_WARN), 0);
	struct bh_spec *s = parse_ok("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/r\"},"
		"\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"noNewPrivilege\":true,"
		"\"apparmorProfile\":\"docker-default\"},"
		"\"linux\":{\"resources\":{\"memory\":{\"limitt\":5}},\"intelRdt\":{}},"
		"\"x-vendor\":1}", NULL);
	assert_false(s->process->no_new_privileges);
	bh_spec_free(s);
	bh_log_open("/dev/null", 0, BH_LOG_WARN);

	char buf[4096] = { 0 };
	FILE *f = fopen(tmpl, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	unlink(tmpl);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "config.json: process.noNewPrivilege: unknown field"));
	assert_non_null(strstr(buf, "config.json: linux.resources.memory.limitt: unknown field"));
	assert_non_null(strstr(buf, "config.json: linux.intelRdt: not supported"));
	assert_non_null(strstr(buf, "config.json: x-vendor: unknown field"));
	assert_non_null(strstr(buf, "config.json: process.apparmorProfile: AppArmor is not supported"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_level),
		cmocka_unit_test(test_process),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_rlimits),
		cmocka_unit_test(test_mount_options),
		cmocka_unit_test(test_mount_option_table),
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_namespaces_idmaps),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_resources),
		cmocka_unit_test(test_seccomp),
		cmocka_unit_test(test_parse_process),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_unknown_fields_warn),
	};
	/* Warnings from the tests that expect them go nowhere by default. */
	bh_log_open("/dev/null", 0, BH_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
