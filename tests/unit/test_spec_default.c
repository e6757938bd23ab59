/* `bulkhead spec`: the default config parses with our own parser and
 * carries the DESIGN.md §4 defaults (11 capabilities, masks, no_new_privs,
 * device allow-list, seccomp, namespaces); rootless adds a user namespace
 * mapping only the caller. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include "container/spec.h"
#include "util/log.h"

static struct bh_spec *load_default(bool rootless)
{
	char *text = bh_spec_default_json(rootless);
	assert_non_null(text);
	struct bh_spec *s = NULL;
	struct bh_error err = { 0 };
	if (bh_spec_parse(text, strlen(text), "/bundle", &s, &err) != 0)
		fail_msg("default spec does not parse: %s", err.msg);
	free(text);
	return s;
}

static bool has_str(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static const struct bh_spec_mount *find_mount(const struct bh_spec *s, const char *dest)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (strcmp(s->mounts[i].destination, dest) == 0)
			return &s->mounts[i];
	return NULL;
}

static void test_default_process(void **state)
{
	(void)state;
	struct bh_spec *s = load_default(false);
	assert_string_equal(s->oci_version, "1.0.2");
	assert_string_equal(s->root_path, "/bundle/rootfs");
	assert_false(s->root_readonly);
	assert_string_equal(s->hostname, "bulkhead");
	struct bh_spec_process *p = s->process;
	assert_non_null(p);
	assert_false(p->terminal);
	assert_int_equal(p->n_args, 1);
	assert_string_equal(p->args[0], "sh");
	assert_string_equal(p->cwd, "/");
	assert_int_equal(p->user.uid, 0);
	assert_int_equal(p->user.gid, 0);
	assert_true(has_str(p->env, p->n_env, "TERM=xterm"));
	assert_true(strncmp(p->env[0], "PATH=", 5) == 0);
	assert_true(p->no_new_privileges);
	assert_int_equal(p->n_rlimits, 1);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[0].hard, 1024);
	bh_spec_free(s);
}

static void test_default_caps(void **state)
{
	(void)state;
	static const int want[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER,
		CAP_FSETID, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_SETFCAP, CAP_SETGID,
		CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT };
	uint64_t mask = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		mask |= 1ULL << want[i];
	struct bh_spec *s = load_default(false);
	struct bh_spec_caps *c = &s->process->caps;
	assert_true(c->present);
	assert_int_equal(__builtin_popcountll(c->bounding), 11);
	assert_true(c->bounding == mask);
	assert_true(c->effective == mask);
	assert_true(c->permitted == mask);
	assert_true(c->inheritable == 0);
	assert_true(c->ambient == 0);
	/* The ones Docker grants and we do not. */
	assert_false(c->bounding & (1ULL << CAP_NET_RAW));
	assert_false(c->bounding & (1ULL << CAP_MKNOD));
	assert_false(c->bounding & (1ULL << CAP_AUDIT_WRITE));
	assert_false(c->bounding & (1ULL << CAP_SYS_ADMIN));
	bh_spec_free(s);
}

static void test_default_linux(void **state)
{
	(void)state;
	static const char *const masked[] = { "/proc/acpi", "/proc/asound",
		"/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
		"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
		"/sys/devices/virtual/powercap" };
	static const char *const ro[] = { "/proc/bus", "/proc/fs", "/proc/irq",
		"/proc/sys", "/proc/sysrq-trigger" };
	struct bh_spec *s = load_default(false);
	struct bh_spec_linux *l = &s->linux;
	assert_int_equal(l->n_masked_paths, 11);
	for (size_t i = 0; i < 11; i++)
		assert_true(has_str(l->masked_paths, l->n_masked_paths, masked[i]));
	assert_int_equal(l->n_readonly_paths, 5);
	for (size_t i = 0; i < 5; i++)
		assert_true(has_str(l->readonly_paths, l->n_readonly_paths, ro[i]));

	assert_int_equal(l->n_namespaces, 6);
	int ns[] = { CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS,
		     CLONE_NEWNS, CLONE_NEWCGROUP };
	for (size_t i = 0; i < 6; i++) {
		const struct bh_spec_namespace *n = bh_spec_namespace(s, ns[i]);
		assert_non_null(n);
		assert_null(n->path);
	}
	assert_null(bh_spec_namespace(s, CLONE_NEWUSER));

	assert_int_equal(l->n_sysctl, 1);
	assert_string_equal(l->sysctl[0].key, "net.ipv4.ping_group_range");
	assert_string_equal(l->sysctl[0].value, "0 0");

	/* Device cgroup: deny everything first, then exactly 8 allows. */
	struct bh_spec_resources *r = &l->resources;
	assert_true(r->present);
	assert_int_equal(r->n_devices, 9);
	assert_false(r->devices[0].allow);
	assert_int_equal(r->devices[0].type, 'a');
	assert_int_equal(r->devices[0].major, -1);
	assert_string_equal(r->devices[0].access, "rwm");
	static const int mm[][2] = { { 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 },
		{ 1, 9 }, { 5, 0 }, { 5, 2 }, { 136, -1 } };
	for (size_t i = 0; i < 8; i++) {
		struct bh_spec_device_rule *d = &r->devices[i + 1];
		assert_true(d->allow);
		assert_int_equal(d->type, 'c');
		assert_int_equal(d->major, mm[i][0]);
		assert_int_equal(d->minor, mm[i][1]);
		assert_string_equal(d->access, "rwm");
	}

	/* Seccomp: an allow-list (default action is not ALLOW). */
	assert_non_null(l->seccomp);
	assert_int_not_equal(l->seccomp->default_action, BH_SCMP_ALLOW);
	assert_true(l->seccomp->n_rules > 0);
	bh_spec_free(s);
}

static void test_default_mounts(void **state)
{
	(void)state;
	struct bh_spec *s = load_default(false);
	assert_int_equal(s->n_mounts, 7);
	const struct bh_spec_mount *m = find_mount(s, "/proc");
	assert_non_null(m);
	assert_string_equal(m->type, "proc");
	m = find_mount(s, "/dev");
	assert_int_equal(m->flags, MS_NOSUID | MS_STRICTATIME);
	assert_string_equal(m->data, "mode=755,size=65536k");
	m = find_mount(s, "/dev/pts");
	assert_int_equal(m->flags, MS_NOSUID | MS_NOEXEC);
	assert_string_equal(m->data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
	m = find_mount(s, "/dev/shm");
	assert_int_equal(m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV);
	assert_string_equal(m->data, "mode=1777,size=65536k");
	m = find_mount(s, "/dev/mqueue");
	assert_string_equal(m->type, "mqueue");
	assert_int_equal(m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV);
	m = find_mount(s, "/sys");
	assert_string_equal(m->type, "sysfs");
	assert_int_equal(m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
	m = find_mount(s, "/sys/fs/cgroup");
	assert_string_equal(m->type, "cgroup");
	assert_int_equal(m->flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);
	bh_spec_free(s);
}

static void test_default_rootless(void **state)
{
	(void)state;
	struct bh_spec *s = load_default(true);
	struct bh_spec_linux *l = &s->linux;
	assert_int_equal(l->n_namespaces, 7);
	assert_non_null(bh_spec_namespace(s, CLONE_NEWUSER));
	assert_non_null(bh_spec_namespace(s, CLONE_NEWNET));
	assert_int_equal(l->n_uid_mappings, 1);
	assert_int_equal(l->uid_mappings[0].container_id, 0);
	assert_int_equal(l->uid_mappings[0].host_id, getuid());
	assert_int_equal(l->uid_mappings[0].size, 1);
	assert_int_equal(l->n_gid_mappings, 1);
	assert_int_equal(l->gid_mappings[0].host_id, getgid());
	assert_int_equal(l->gid_mappings[0].size, 1);
	/* gid=5 is not mapped in the user namespace. */
	const struct bh_spec_mount *m = find_mount(s, "/dev/pts");
	assert_null(strstr(m->data, "gid="));
	/* Same process hardening as the rootful spec. */
	assert_int_equal(__builtin_popcountll(s->process->caps.bounding), 11);
	assert_true(s->process->no_new_privileges);
	assert_non_null(l->seccomp);
	assert_int_equal(l->n_masked_paths, 11);
	bh_spec_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_process),
		cmocka_unit_test(test_default_caps),
		cmocka_unit_test(test_default_linux),
		cmocka_unit_test(test_default_mounts),
		cmocka_unit_test(test_default_rootless),
	};
	bh_log_open("/dev/null", 0, BH_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
