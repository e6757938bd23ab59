/* Seccomp filters from the OCI spec (libseccomp), and the default profile. */
#ifndef BH_CONTAINER_SECCOMP_H
#define BH_CONTAINER_SECCOMP_H

#include <jansson.h>

/* gnu11 predefines linux=1, and spec.h has a field named linux. */
#undef linux
#include "container/spec.h"
#include "util/error.h"

/* Build the filter from the spec and load it in the calling process (must be
 * the last step before execve).  Requires no_new_privs or CAP_SYS_ADMIN.
 * Syscall names unknown on an architecture are skipped with a debug log
 * (like runc); an unknown action, architecture or flag is an error naming it.
 * SCMP_ACT_NOTIFY is refused as unsupported (no listener). */
int bh_seccomp_load(const struct bh_spec_seccomp *sc, struct bh_error *err);
/* Build without loading; write the BPF to fd (for tests and `bulkhead features`). */
int bh_seccomp_export(const struct bh_spec_seccomp *sc, int fd, struct bh_error *err);
/* The default profile, Docker/OCI JSON format (the object that goes into
 * linux.seccomp).  Caller json_decref()s. */
json_t *bh_seccomp_default_profile(void);

/* Name <-> enum helpers shared with the spec parser and `features`. */
int bh_seccomp_action_from_name(const char *name, enum bh_seccomp_action *out,
				struct bh_error *err);
const char *bh_seccomp_action_name(enum bh_seccomp_action a);
int bh_seccomp_op_from_name(const char *name, enum bh_seccomp_op *out,
			    struct bh_error *err);
const char *bh_seccomp_op_name(enum bh_seccomp_op op);
/* NULL-terminated lists of what we accept, for `bulkhead features`. */
extern const char *const bh_seccomp_arch_names[];
extern const char *const bh_seccomp_flag_names[];

#endif
