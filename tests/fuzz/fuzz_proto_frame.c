/* The agent's frame decoder and request validator on arbitrary bytes, fed in
 * arbitrary chunk sizes (the first byte of input picks the chunk size). */
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_frame_decoder d;
	struct bh_error err;
	size_t chunk;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	bh_frame_decoder_init(&d);
	while (size > 0) {
		size_t n = size < chunk ? size : chunk, used;
		json_t *msg = NULL;
		if (bh_frame_feed(&d, data, n, &used, &msg, &err) < 0)
			break;
		if (msg) {
			struct bh_request req;
			uint64_t id = 0;
			if (bh_proto_parse_request(msg, &req, &id, &err) < 0) {
				json_t *rep = bh_proto_error_reply(id, "EPROTO", err.msg);
				json_decref(rep);
			}
			json_decref(msg);
		}
		data += used;
		size -= used;
	}
	bh_frame_decoder_reset(&d);
	return 0;
}
