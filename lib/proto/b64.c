/* Base64 for the wire protocol's binary payloads (upload chunks), and the
 * upload name rule both sides check. */
#include "proto/proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char b64_tbl[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool bh_proto_upload_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > BH_PROTO_UPLOAD_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

char *bh_b64_encode(const void *in, size_t n)
{
	const unsigned char *s = in;
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		*o++ = b64_tbl[v >> 18 & 63];
		*o++ = b64_tbl[v >> 12 & 63];
		*o++ = i + 1 < n ? b64_tbl[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64_tbl[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int bh_b64_decode(const char *in, size_t n, unsigned char **out, size_t *outlen, size_t *bad_at)
{
	*out = NULL;
	*outlen = 0;
	if (bad_at)
		*bad_at = n;
	if (n % 4)
		return -EINVAL;
	unsigned char *o = malloc(n / 4 * 3 + 1);
	size_t k = 0;
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += 4) {
		int d[4];
		bool last = i + 4 == n;
		for (int j = 0; j < 4; j++) {
			unsigned char c = (unsigned char)in[i + j];
			/* '=' only at the end: "xx==" or "xxx=" */
			if (c == '=' && last && (j == 3 || (j == 2 && in[i + 3] == '='))) {
				d[j] = -2;
				continue;
			}
			d[j] = b64_digit(c);
			if (d[j] < 0) {
				if (bad_at)
					*bad_at = i + (size_t)j;
				free(o);
				return -EINVAL;
			}
		}
		unsigned v = (unsigned)d[0] << 18 | (unsigned)d[1] << 12 |
			     (unsigned)(d[2] < 0 ? 0 : d[2]) << 6 | (unsigned)(d[3] < 0 ? 0 : d[3]);
		o[k++] = (unsigned char)(v >> 16);
		if (d[2] >= 0)
			o[k++] = (unsigned char)(v >> 8);
		if (d[3] >= 0)
			o[k++] = (unsigned char)v;
	}
	*out = o;
	*outlen = k;
	return 0;
}
