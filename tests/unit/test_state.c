/* The state store and the runtime's pure helpers: id validation, wait
 * status mapping, state.json round trip, runc's state JSON shape, list. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#undef linux
#include "container/rt_internal.h"

static void test_id_validate(void **st)
{
	(void)st;
	struct bh_error e;
	assert_int_equal(bh_id_validate("abc-1_2.x", &e), 0);
	assert_int_equal(bh_id_validate("", &e), -EINVAL);
	assert_int_equal(bh_id_validate(NULL, &e), -EINVAL);
	assert_int_equal(bh_id_validate("a/b", &e), -EINVAL);
	assert_int_equal(bh_id_validate("..", &e), -EINVAL);
	assert_int_equal(bh_id_validate(".", &e), -EINVAL);
	assert_int_equal(bh_id_validate("a\nb", &e), -EINVAL);
	char *big = malloc(BH_ID_MAX + 2);
	memset(big, 'x', BH_ID_MAX + 1);
	big[BH_ID_MAX + 1] = '\0';
	assert_int_equal(bh_id_validate(big, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "longer"));
	big[BH_ID_MAX] = '\0';
	assert_int_equal(bh_id_validate(big, &e), 0);
	free(big);
}

static void test_wait_status(void **st)
{
	(void)st;
	assert_int_equal(bh_wait_status(42 << 8), 42);   /* exited 42 */
	assert_int_equal(bh_wait_status(9), 137);        /* killed by SIGKILL */
	assert_int_equal(bh_wait_status(15), 143);
}

static char root[64];

static int setup_root(void **st)
{
	(void)st;
	strcpy(root, "/tmp/bh-test-state.XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown_root(void **st)
{
	(void)st;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_roundtrip(void **unused)
{
	(void)unused;
	struct bh_state_dir sd;
	struct bh_error e;
	assert_int_equal(state_dir_open(root, "c1", true, &sd, &e), 0);
	struct bh_state st = {
		.oci_version = "1.0.2", .id = "c1", .pid = getpid(),
		.bundle = "/b", .rootfs = "/b/rootfs", .created = "2026-01-01T00:00:00Z",
		.owner = "", .cgroup_path = NULL, .creating = false,
	};
	char *k[] = { "a.b" }, *v[] = { "v\"1" };
	st.annot_keys = k;
	st.annot_values = v;
	st.n_annotations = 1;
	proc_start_time(getpid(), &st.start_time, NULL);
	assert_int_equal(state_write(&sd, &st, &e), 0);
	/* A second create of the same id is refused with runc's message. */
	struct bh_state_dir sd2;
	assert_int_equal(state_dir_open(root, "c1", true, &sd2, &e), -EEXIST);
	assert_string_equal(e.msg, "container c1 already exists");
	state_dir_close(&sd);

	struct bh_state *got;
	assert_int_equal(bh_container_state(root, "c1", &got, &e), 0);
	assert_int_equal(got->pid, getpid());
	assert_string_equal(got->bundle, "/b");
	/* Our own pid is alive and there is no fifo: running. */
	assert_int_equal(got->status, BH_STATUS_RUNNING);
	char *js = bh_state_to_json(got);
	json_error_t je;
	json_t *o = json_loads(js, 0, &je);
	assert_non_null(o);
	const char *keys[] = { "ociVersion", "id", "pid", "status", "bundle",
			       "rootfs", "created", "owner", "annotations" };
	size_t i = 0;
	const char *key;
	json_t *val;
	json_object_foreach(o, key, val) {
		assert_true(i < 9);
		assert_string_equal(key, keys[i++]);
	}
	assert_int_equal(i, 9);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "annotations"), "a.b")), "v\"1");
	assert_null(json_object_get(o, "bulkhead")); /* private fields stay private */
	json_decref(o);
	free(js);
	bh_state_free(got);
}

static void test_status_stopped_and_created(void **unused)
{
	(void)unused;
	struct bh_state_dir sd;
	struct bh_error e;
	assert_int_equal(state_dir_open(root, "c2", true, &sd, &e), 0);
	struct bh_state st = { .id = "c2", .pid = getpid(), .start_time = 1 };
	assert_int_equal(state_write(&sd, &st, &e), 0);
	struct bh_state *got;
	/* Right pid, wrong start time: a recycled pid is not our container. */
	assert_int_equal(state_read(&sd, "c2", &got, &e), 0);
	assert_int_equal(got->status, BH_STATUS_STOPPED);
	bh_state_free(got);
	proc_start_time(getpid(), &st.start_time, NULL);
	assert_int_equal(state_write(&sd, &st, &e), 0);
	assert_int_equal(mkfifoat(sd.fd, "exec.fifo", 0600), 0);
	assert_int_equal(state_read(&sd, "c2", &got, &e), 0);
	assert_int_equal(got->status, BH_STATUS_CREATED);
	bh_state_free(got);
	st.creating = true;
	assert_int_equal(state_write(&sd, &st, &e), 0);
	assert_int_equal(state_read(&sd, "c2", &got, &e), 0);
	assert_int_equal(got->status, BH_STATUS_CREATING);
	bh_state_free(got);
	state_dir_close(&sd);
}

static void test_list_and_missing(void **unused)
{
	(void)unused;
	struct bh_error e;
	char p[128];
	snprintf(p, sizeof(p), "%s/not-a-container", root);
	assert_int_equal(mkdir(p, 0700), 0);
	char **ids;
	size_t n;
	assert_int_equal(bh_container_list(root, &ids, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "c1");
	assert_string_equal(ids[1], "c2");
	assert_null(ids[2]);
	bh_strv_free(ids);
	struct bh_state *got;
	assert_int_equal(bh_container_state(root, "nope", &got, &e), -ENOENT);
	assert_string_equal(e.msg, "container nope does not exist");
	/* delete of a missing id: error; with force: fine. */
	assert_int_equal(bh_container_delete(root, "nope", false, &e), -ENOENT);
	assert_int_equal(bh_container_delete(root, "nope", true, &e), 0);
	/* A dir without state.json (create killed early) goes with delete. */
	assert_int_equal(bh_container_delete(root, "not-a-container", false, &e), 0);
	assert_int_equal(access(p, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_validate),
		cmocka_unit_test(test_wait_status),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_status_stopped_and_created),
		cmocka_unit_test(test_list_and_missing),
	};
	return cmocka_run_group_tests(tests, setup_root, teardown_root);
}
