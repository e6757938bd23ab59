/* Length-prefixed JSON frames: incremental decoder and blocking helpers. */
#include "proto/proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void bh_frame_decoder_init(struct bh_frame_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

void bh_frame_decoder_reset(struct bh_frame_decoder *d)
{
	free(d->buf);
	bh_frame_decoder_init(d);
}

static int frame_finish(struct bh_frame_decoder *d, json_t **msg,
			struct bh_error *err)
{
	json_error_t jerr;
	/* JSON_REJECT_DUPLICATES: a peer must not smuggle a second "method". */
	json_t *j = json_loadb(d->buf, d->len, JSON_REJECT_DUPLICATES, &jerr);

	free(d->buf);
	d->buf = NULL;
	d->hdr_have = 0;
	d->have = 0;
	if (!j)
		return bh_error_setx(err, EBADMSG, "frame: not JSON: %s at byte %d",
				     jerr.text, jerr.position);
	if (!json_is_object(j)) {
		json_decref(j);
		return bh_error_setx(err, EBADMSG, "frame: expected a JSON object");
	}
	*msg = j;
	return 0;
}

int bh_frame_feed(struct bh_frame_decoder *d, const void *data, size_t n,
		  size_t *consumed, json_t **msg, struct bh_error *err)
{
	const unsigned char *p = data;
	size_t used = 0;

	*msg = NULL;
	*consumed = 0;
	while (used < n) {
		if (d->hdr_have < 4) {
			d->hdr[d->hdr_have++] = p[used++];
			if (d->hdr_have < 4)
				continue;
			d->len = (uint32_t)d->hdr[0] << 24 | (uint32_t)d->hdr[1] << 16 |
				 (uint32_t)d->hdr[2] << 8 | d->hdr[3];
			if (d->len == 0 || d->len > BH_PROTO_MAX_FRAME) {
				*consumed = used;
				return bh_error_setx(err, EMSGSIZE,
					"frame: length %u outside 1..%u", d->len,
					BH_PROTO_MAX_FRAME);
			}
			d->buf = malloc(d->len);
			if (!d->buf) {
				*consumed = used;
				return bh_error_set(err, ENOMEM, "frame: %u bytes", d->len);
			}
			d->have = 0;
			continue;
		}
		size_t want = d->len - d->have;
		size_t take = n - used < want ? n - used : want;
		memcpy(d->buf + d->have, p + used, take);
		d->have += take;
		used += take;
		if (d->have == d->len) {
			*consumed = used;
			return frame_finish(d, msg, err);
		}
	}
	*consumed = used;
	return 0;
}

int bh_frame_encode(const json_t *msg, char **out, size_t *len,
		    struct bh_error *err)
{
	char *body = json_dumps(msg, JSON_COMPACT);
	if (!body)
		return bh_error_setx(err, EINVAL, "frame: cannot serialise message");
	size_t blen = strlen(body);
	if (blen > BH_PROTO_MAX_FRAME) {
		free(body);
		return bh_error_setx(err, EMSGSIZE, "frame: message of %zu bytes exceeds %u",
				     blen, BH_PROTO_MAX_FRAME);
	}
	char *f = malloc(blen + 4);
	if (!f) {
		free(body);
		return bh_error_set(err, ENOMEM, "frame");
	}
	f[0] = (char)(blen >> 24);
	f[1] = (char)(blen >> 16);
	f[2] = (char)(blen >> 8);
	f[3] = (char)blen;
	memcpy(f + 4, body, blen);
	free(body);
	*out = f;
	*len = blen + 4;
	return 0;
}

int bh_frame_write(int fd, const json_t *msg, struct bh_error *err)
{
	char *f;
	size_t len, off = 0;
	int r = bh_frame_encode(msg, &f, &len, err);
	if (r < 0)
		return r;
	while (off < len) {
		ssize_t w = write(fd, f + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EPIPE;
			free(f);
			return bh_error_set(err, e, "frame: write");
		}
		off += (size_t)w;
	}
	free(f);
	return 0;
}

int bh_frame_read(int fd, json_t **msg, struct bh_error *err)
{
	struct bh_frame_decoder d;
	char buf[4096];
	int started = 0;

	bh_frame_decoder_init(&d);
	*msg = NULL;
	for (;;) {
		/* Read no further than the current frame, so a second frame that
		 * follows stays in the socket for the next call. */
		size_t want = d.hdr_have < 4 ? 4 - d.hdr_have : d.len - d.have;
		if (want > sizeof(buf))
			want = sizeof(buf);
		ssize_t n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			bh_frame_decoder_reset(&d);
			return bh_error_set(err, e, "frame: read");
		}
		if (n == 0) {
			bh_frame_decoder_reset(&d);
			if (!started)
				return bh_error_setx(err, EPIPE, "frame: peer closed the connection");
			return bh_error_setx(err, EPIPE, "frame: truncated frame (peer closed mid-frame)");
		}
		started = 1;
		size_t used;
		int r = bh_frame_feed(&d, buf, (size_t)n, &used, msg, err);
		if (r < 0 || *msg) {
			bh_frame_decoder_reset(&d);
			return r;
		}
	}
}
