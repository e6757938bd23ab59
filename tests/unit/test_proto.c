/* Wire protocol: framing and message validation, including hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/proto.h"

static size_t frame_raw(char *out, const char *body, uint32_t len)
{
	out[0] = (char)(len >> 24);
	out[1] = (char)(len >> 16);
	out[2] = (char)(len >> 8);
	out[3] = (char)len;
	memcpy(out + 4, body, strlen(body));
	return 4 + strlen(body);
}

static void test_roundtrip_byte_by_byte(void **state)
{
	(void)state;
	struct bh_error err = { 0 };
	json_t *req = bh_proto_request(7, BH_M_CREATE, json_pack("{s:s}", "id", "c1"));
	char *f;
	size_t len;
	assert_int_equal(bh_frame_encode(req, &f, &len, &err), 0);

	struct bh_frame_decoder d;
	bh_frame_decoder_init(&d);
	json_t *msg = NULL;
	for (size_t i = 0; i < len; i++) {
		size_t used;
		assert_null(msg);
		assert_int_equal(bh_frame_feed(&d, f + i, 1, &used, &msg, &err), 0);
		assert_int_equal(used, 1);
	}
	assert_non_null(msg);
	struct bh_request r;
	assert_int_equal(bh_proto_parse_request(msg, &r, NULL, &err), 0);
	assert_int_equal(r.id, 7);
	assert_int_equal(r.method, BH_M_CREATE);
	assert_string_equal(json_string_value(json_object_get(r.params, "id")), "c1");
	json_decref(msg);
	json_decref(req);
	free(f);
	bh_frame_decoder_reset(&d);
}

static void test_two_frames_in_one_buffer(void **state)
{
	(void)state;
	struct bh_error err = { 0 };
	char buf[128];
	size_t n = frame_raw(buf, "{\"id\":1,\"method\":\"ping\"}", 24);
	n += frame_raw(buf + n, "{\"id\":2,\"method\":\"stats\"}", 25);
	struct bh_frame_decoder d;
	bh_frame_decoder_init(&d);
	json_t *msg;
	size_t used;
	assert_int_equal(bh_frame_feed(&d, buf, n, &used, &msg, &err), 0);
	assert_int_equal(used, 28);
	assert_int_equal(json_integer_value(json_object_get(msg, "id")), 1);
	json_decref(msg);
	size_t used2;
	assert_int_equal(bh_frame_feed(&d, buf + used, n - used, &used2, &msg, &err), 0);
	assert_int_equal(used2, n - used);
	assert_int_equal(json_integer_value(json_object_get(msg, "id")), 2);
	json_decref(msg);
}

static void expect_feed_error(const char *buf, size_t n, int code, const char *needle)
{
	struct bh_error err = { 0 };
	struct bh_frame_decoder d;
	bh_frame_decoder_init(&d);
	json_t *msg = NULL;
	size_t used;
	assert_int_equal(bh_frame_feed(&d, buf, n, &used, &msg, &err), -code);
	assert_null(msg);
	assert_non_null(strstr(err.msg, needle));
	bh_frame_decoder_reset(&d);
}

static void test_oversized_frame_rejected_before_alloc(void **state)
{
	(void)state;
	/* 0x7fffffff: must be refused from the header alone. */
	expect_feed_error("\x7f\xff\xff\xff{}", 6, EMSGSIZE, "length");
	expect_feed_error("\x00\x00\x00\x00", 4, EMSGSIZE, "length");
}

static void test_not_json_and_not_object(void **state)
{
	(void)state;
	char buf[64];
	size_t n = frame_raw(buf, "{nope", 5);
	expect_feed_error(buf, n, EBADMSG, "not JSON");
	n = frame_raw(buf, "[1,2]", 5);
	expect_feed_error(buf, n, EBADMSG, "expected a JSON object");
	n = frame_raw(buf, "{\"id\":1,\"id\":2}", 15);
	expect_feed_error(buf, n, EBADMSG, "not JSON");
}

static void expect_request_error(const char *text, int code, const char *needle)
{
	struct bh_error err = { 0 };
	json_t *msg = json_loads(text, 0, NULL);
	assert_non_null(msg);
	struct bh_request r;
	assert_int_equal(bh_proto_parse_request(msg, &r, NULL, &err), -code);
	if (!strstr(err.msg, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
	json_decref(msg);
}

static void test_request_wrong_types(void **state)
{
	(void)state;
	expect_request_error("{\"method\":\"ping\"}", EPROTO, "missing \"id\"");
	expect_request_error("{\"id\":\"1\",\"method\":\"ping\"}", EPROTO, "\"id\"");
	expect_request_error("{\"id\":-1,\"method\":\"ping\"}", EPROTO, "\"id\"");
	expect_request_error("{\"id\":1,\"method\":5}", EPROTO, "\"method\"");
	expect_request_error("{\"id\":1,\"method\":\"format_disk\"}", ENOSYS, "unknown method");
	expect_request_error("{\"id\":1,\"method\":\"create\",\"params\":[]}", EPROTO, "\"params\"");
}

static void test_reply_error_carries_code(void **state)
{
	(void)state;
	struct bh_error err = { 0 };
	json_t *rep = bh_proto_error_reply(3, "ENOENT", "container x: not found");
	json_t *res;
	assert_int_equal(bh_proto_parse_reply(rep, 3, &res, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "container x: not found"));
	json_decref(rep);

	rep = bh_proto_reply(4, json_pack("{s:i}", "version", BH_PROTO_VERSION));
	assert_int_equal(bh_proto_parse_reply(rep, 4, &res, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "version")), BH_PROTO_VERSION);
	assert_int_equal(bh_proto_parse_reply(rep, 5, &res, &err), -EPROTO);
	json_decref(rep);
}

static void test_fd_read_write_and_truncation(void **state)
{
	(void)state;
	struct bh_error err = { 0 };
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	json_t *a = bh_proto_request(1, BH_M_PING, NULL);
	json_t *b = bh_proto_request(2, BH_M_WAIT, NULL);
	assert_int_equal(bh_frame_write(sv[0], a, &err), 0);
	assert_int_equal(bh_frame_write(sv[0], b, &err), 0);
	/* a truncated third frame, then EOF */
	assert_int_equal(write(sv[0], "\x00\x00\x00\x10{\"id\"", 9), 9);
	close(sv[0]);
	json_t *m;
	assert_int_equal(bh_frame_read(sv[1], &m, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 1);
	json_decref(m);
	assert_int_equal(bh_frame_read(sv[1], &m, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 2);
	json_decref(m);
	assert_int_equal(bh_frame_read(sv[1], &m, &err), -EPIPE);
	assert_non_null(strstr(err.msg, "truncated"));
	close(sv[1]);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_byte_by_byte),
		cmocka_unit_test(test_two_frames_in_one_buffer),
		cmocka_unit_test(test_oversized_frame_rejected_before_alloc),
		cmocka_unit_test(test_not_json_and_not_object),
		cmocka_unit_test(test_request_wrong_types),
		cmocka_unit_test(test_reply_error_carries_code),
		cmocka_unit_test(test_fd_read_write_and_truncation),
	};
	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
