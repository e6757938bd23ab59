/* The host <-> agent wire protocol (DESIGN.md §3).
 *
 * Framing: a 4-byte big-endian length, then one JSON object, at most
 * BH_PROTO_MAX_FRAME bytes.  Requests: {"id":N,"method":"create","params":{}};
 * replies: {"id":N,"result":{...}} or {"id":N,"error":{"code":"EINVAL","message":"..."}}.
 * The decoder is incremental because vsock and virtio-serial deliver a
 * stream, not messages.  It never trusts the peer: oversized frames, bad JSON,
 * wrong types and unknown methods are errors, never crashes. */
#ifndef BH_PROTO_H
#define BH_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define BH_PROTO_VERSION   1
#define BH_PROTO_MAX_FRAME (1u << 20)

enum bh_proto_method {
	BH_M_PING, BH_M_CREATE, BH_M_START, BH_M_EXEC, BH_M_WAIT, BH_M_SIGNAL,
	BH_M_STATS, BH_M_UPDATE, BH_M_DELETE, BH_M_SHUTDOWN, BH_M_UPLOAD,
	BH_M_COUNT
};

const char *bh_proto_method_name(enum bh_proto_method m);
/* -1 if unknown */
int bh_proto_method_from_name(const char *name);

/* ---- upload: a host file (a rootfs tar) sent to the agent in chunks ---- */
/* Raw bytes per chunk: base64 (4/3) plus the JSON around it stays well
 * inside one frame. */
#define BH_PROTO_UPLOAD_CHUNK (512u * 1024)
#define BH_PROTO_UPLOAD_NAME_MAX 64
/* 1-64 of [A-Za-z0-9_.-], not starting with '.': a file name on both sides. */
bool bh_proto_upload_name_valid(const char *name);
/* Strict base64 (RFC 4648, padding required): malloc'd result. */
char *bh_b64_encode(const void *in, size_t n);
/* -EINVAL on any character outside the alphabet, bad padding or a length
 * that is not a multiple of 4 (*bad_at: its offset); -ENOMEM. */
int bh_b64_decode(const char *in, size_t n, unsigned char **out, size_t *outlen, size_t *bad_at);

/* ---- framing ---- */
struct bh_frame_decoder {
	unsigned char hdr[4];
	size_t hdr_have;
	uint32_t len;
	char *buf;
	size_t have;
};

void bh_frame_decoder_init(struct bh_frame_decoder *d);
void bh_frame_decoder_reset(struct bh_frame_decoder *d);
/* Consume up to n bytes.  *consumed says how many were used; *msg is set to a
 * new JSON object when a frame completed (the rest of the input is left for
 * the next call).  On error the stream is unusable: close the connection. */
int bh_frame_feed(struct bh_frame_decoder *d, const void *data, size_t n,
		  size_t *consumed, json_t **msg, struct bh_error *err);
/* Encode a JSON object into a malloc'd frame. */
int bh_frame_encode(const json_t *msg, char **out, size_t *len, struct bh_error *err);
/* Blocking helpers for simple clients. */
int bh_frame_write(int fd, const json_t *msg, struct bh_error *err);
/* Returns 0 and *msg, or -EPIPE with *msg NULL on a clean EOF before a frame. */
int bh_frame_read(int fd, json_t **msg, struct bh_error *err);

/* ---- messages ---- */
struct bh_request {
	uint64_t id;
	enum bh_proto_method method;
	json_t *params;            /* borrowed from the message; an object, never NULL */
};

/* Validate a request object.  On error, *id_out (if given) holds the id when
 * one could be read, so the caller can still send an error reply. */
int bh_proto_parse_request(json_t *msg, struct bh_request *req,
			   uint64_t *id_out, struct bh_error *err);
/* New request; steals params (may be NULL). */
json_t *bh_proto_request(uint64_t id, enum bh_proto_method m, json_t *params);
/* New reply; steals result (may be NULL: empty object). */
json_t *bh_proto_reply(uint64_t id, json_t *result);
/* New error reply; code is an errno name such as "EINVAL". */
json_t *bh_proto_error_reply(uint64_t id, const char *code, const char *message);
/* Check a reply to request id: 0 and a borrowed *result, or the peer's error
 * in err ("agent: EINVAL: ...") with a negative errno. */
int bh_proto_parse_reply(json_t *msg, uint64_t expect_id, json_t **result,
			 struct bh_error *err);
/* errno <-> name, for error codes on the wire. */
const char *bh_proto_errno_name(int e);
int bh_proto_errno_from_name(const char *name);

#endif
