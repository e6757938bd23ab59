/* bh_spec_parse_process (exec --process FILE) and bh_spec_parse_seccomp
 * (a profile file) on arbitrary bytes: an error or a result, never a crash
 * or a leak.  The first byte picks the parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "container/spec.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct bh_error err;

	if (!init) {
		bh_log_open(NULL, 0, BH_LOG_ERROR);
		init = 1;
	}
	if (size < 1)
		return 0;
	const char *json = (const char *)data + 1;
	if (data[0] == 's') {
		struct bh_spec_seccomp *sc = NULL;
		if (bh_spec_parse_seccomp(json, size - 1, &sc, &err) == 0) {
			for (size_t i = 0; i < sc->n_rules; i++)
				if (sc->rules[i].n_names == 0 || sc->rules[i].n_args > 6)
					__builtin_trap();
			bh_spec_seccomp_free(sc);
		}
		return 0;
	}
	struct bh_spec_process *p = NULL;
	if (bh_spec_parse_process(json, size - 1, &p, &err) < 0)
		return 0;
	/* The contract the runtime relies on. */
	if (p->n_args < 1 || p->args[p->n_args] || p->cwd[0] != '/' || !p->env ||
	    p->env[p->n_env])
		__builtin_trap();
	bh_spec_process_free(p);
	return 0;
}
