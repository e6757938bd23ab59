/* Base64 decoding of the agent's captured output.  Self-contained (no CLI
 * dependencies) so tests/fuzz/fuzz_tenant_b64.c can include it. */
#include "tenant.h"

#include <errno.h>
#include <stdlib.h>

/* Base64 from the agent (stdout_b64/stderr_b64): a hostile guest may send
 * anything, so bad input is an error, never an overrun. */
int tenant_b64_decode(const char *in, size_t n, char **out, size_t *outlen)
{
	unsigned char *o = malloc(n / 4 * 3 + 3);
	size_t k = 0;
	unsigned v = 0;
	int bits = 0, pad = 0;
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];
		int d;
		if (ch >= 'A' && ch <= 'Z') d = ch - 'A';
		else if (ch >= 'a' && ch <= 'z') d = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9') d = ch - '0' + 52;
		else if (ch == '+') d = 62;
		else if (ch == '/') d = 63;
		else if (ch == '=') { pad++; continue; }
		else { free(o); return -EINVAL; }
		if (pad) { free(o); return -EINVAL; }
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	if (pad > 2) {
		free(o);
		return -EINVAL;
	}
	*out = (char *)o;
	*outlen = k;
	return 0;
}

