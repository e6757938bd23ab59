/* bh_spec_parse (config.json) on arbitrary bytes: must return an error or
 * a spec, never crash or leak.  A parsed spec is walked so that every
 * string the parser produced is read (ASan checks the terminators). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "container/spec.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk_strv(char **v, size_t n)
{
	size_t t = 0;
	for (size_t i = 0; v && i < n; i++)
		t += strlen(v[i]);
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct bh_spec *s = NULL;
	struct bh_error err;

	if (!init) {
		/* Unknown-field warnings would only slow the fuzzer down. */
		bh_log_open(NULL, 0, BH_LOG_ERROR);
		init = 1;
	}
	/* The first byte picks whether a bundle is given (relative root.path). */
	const char *bundle = size && (data[0] & 1) ? "/bundle" : NULL;
	if (bh_spec_parse((const char *)data, size, bundle, &s, &err) < 0) {
		if (!memchr(err.msg, '\0', sizeof(err.msg)))
			__builtin_trap();
		return 0;
	}
	size_t t = strlen(s->oci_version) + strlen(s->root_path);
	if (s->process)
		t += walk_strv(s->process->args, s->process->n_args) +
		     walk_strv(s->process->env, s->process->n_env) +
		     strlen(s->process->cwd);
	for (size_t i = 0; i < s->n_mounts; i++)
		t += strlen(s->mounts[i].destination) +
		     (s->mounts[i].data ? strlen(s->mounts[i].data) : 0);
	if (s->linux.seccomp)
		for (size_t i = 0; i < s->linux.seccomp->n_rules; i++)
			t += walk_strv(s->linux.seccomp->rules[i].names,
				       s->linux.seccomp->rules[i].n_names);
	(void)bh_spec_annotation(s, "org.bulkhead.x");
	(void)bh_spec_namespace(s, 0);
	(void)t;
	bh_spec_free(s);
	return 0;
}
