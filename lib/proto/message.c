/* Request and reply objects of the wire protocol, validated field by field. */
#include "proto/proto.h"

#include <errno.h>
#include <string.h>

static const char *const method_names[BH_M_COUNT] = {
	[BH_M_PING] = "ping",     [BH_M_CREATE] = "create", [BH_M_START] = "start",
	[BH_M_EXEC] = "exec",     [BH_M_WAIT] = "wait",     [BH_M_SIGNAL] = "signal",
	[BH_M_STATS] = "stats",   [BH_M_UPDATE] = "update", [BH_M_DELETE] = "delete",
	[BH_M_SHUTDOWN] = "shutdown", [BH_M_UPLOAD] = "upload",
};

const char *bh_proto_method_name(enum bh_proto_method m)
{
	return (unsigned)m < BH_M_COUNT ? method_names[m] : "?";
}

int bh_proto_method_from_name(const char *name)
{
	for (int i = 0; i < BH_M_COUNT; i++)
		if (strcmp(method_names[i], name) == 0)
			return i;
	return -1;
}

static const struct { int e; const char *name; } errno_names[] = {
	{ EPERM, "EPERM" },   { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
	{ EINTR, "EINTR" },   { EIO, "EIO" },       { E2BIG, "E2BIG" },
	{ ENOEXEC, "ENOEXEC" }, { ECHILD, "ECHILD" }, { EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
	{ EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" }, { EPIPE, "EPIPE" },
	{ ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" }, { ENOTSUP, "ENOTSUP" },
	{ EBADMSG, "EBADMSG" }, { EMSGSIZE, "EMSGSIZE" }, { ETIMEDOUT, "ETIMEDOUT" },
	{ ECANCELED, "ECANCELED" }, { EPROTO, "EPROTO" },
};

const char *bh_proto_errno_name(int e)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].e == e)
			return errno_names[i].name;
	return "EIO";
}

int bh_proto_errno_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (strcmp(errno_names[i].name, name) == 0)
			return errno_names[i].e;
	return EIO;
}

/* Ids are JSON integers in [0, 2^53) so every JSON peer reads them exactly. */
static int message_id(json_t *msg, uint64_t *id, struct bh_error *err)
{
	json_t *j = json_object_get(msg, "id");
	if (!j)
		return bh_error_setx(err, EPROTO, "message: missing \"id\"");
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    json_integer_value(j) >= (json_int_t)1 << 53)
		return bh_error_setx(err, EPROTO, "message: \"id\": expected an integer in 0..2^53");
	*id = (uint64_t)json_integer_value(j);
	return 0;
}

int bh_proto_parse_request(json_t *msg, struct bh_request *req,
			   uint64_t *id_out, struct bh_error *err)
{
	if (!json_is_object(msg))
		return bh_error_setx(err, EPROTO, "request: expected a JSON object");
	int r = message_id(msg, &req->id, err);
	if (r < 0)
		return bh_error_wrap(err, "request");
	if (id_out)
		*id_out = req->id;
	json_t *m = json_object_get(msg, "method");
	if (!json_is_string(m))
		return bh_error_setx(err, EPROTO, "request %llu: \"method\": expected a string",
				     (unsigned long long)req->id);
	int mi = bh_proto_method_from_name(json_string_value(m));
	if (mi < 0)
		return bh_error_setx(err, ENOSYS, "request %llu: unknown method \"%.64s\"",
				     (unsigned long long)req->id, json_string_value(m));
	req->method = (enum bh_proto_method)mi;
	json_t *p = json_object_get(msg, "params");
	if (p && !json_is_object(p))
		return bh_error_setx(err, EPROTO, "request %llu: \"params\": expected an object",
				     (unsigned long long)req->id);
	if (!p) {
		p = json_object();
		if (!p || json_object_set_new(msg, "params", p) < 0)
			return bh_error_set(err, ENOMEM, "request");
	}
	req->params = p;
	return 0;
}

json_t *bh_proto_request(uint64_t id, enum bh_proto_method m, json_t *params)
{
	return json_pack("{s:I,s:s,s:o}", "id", (json_int_t)id, "method",
			 bh_proto_method_name(m), "params",
			 params ? params : json_object());
}

json_t *bh_proto_reply(uint64_t id, json_t *result)
{
	return json_pack("{s:I,s:o}", "id", (json_int_t)id, "result",
			 result ? result : json_object());
}

json_t *bh_proto_error_reply(uint64_t id, const char *code, const char *message)
{
	return json_pack("{s:I,s:{s:s,s:s}}", "id", (json_int_t)id, "error",
			 "code", code, "message", message);
}

int bh_proto_parse_reply(json_t *msg, uint64_t expect_id, json_t **result,
			 struct bh_error *err)
{
	uint64_t id;

	*result = NULL;
	if (!json_is_object(msg))
		return bh_error_setx(err, EPROTO, "reply: expected a JSON object");
	if (message_id(msg, &id, err) < 0)
		return bh_error_wrap(err, "reply");
	if (id != expect_id)
		return bh_error_setx(err, EPROTO, "reply: id %llu, expected %llu",
				     (unsigned long long)id, (unsigned long long)expect_id);
	json_t *e = json_object_get(msg, "error");
	if (e) {
		json_t *c = json_object_get(e, "code"), *m = json_object_get(e, "message");
		if (!json_is_string(c) || !json_is_string(m))
			return bh_error_setx(err, EPROTO, "reply %llu: malformed \"error\"",
					     (unsigned long long)id);
		int en = bh_proto_errno_from_name(json_string_value(c));
		return bh_error_setx(err, en, "agent: %s: %.900s", json_string_value(c),
				     json_string_value(m));
	}
	json_t *r = json_object_get(msg, "result");
	if (!json_is_object(r))
		return bh_error_setx(err, EPROTO, "reply %llu: \"result\": expected an object",
				     (unsigned long long)id);
	*result = r;
	return 0;
}
