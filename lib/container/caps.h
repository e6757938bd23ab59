/* Capabilities: names, the bounding set and the process sets. */
#ifndef BH_CONTAINER_CAPS_H
#define BH_CONTAINER_CAPS_H

#include <stdint.h>

/* gnu11 predefines linux=1, and spec.h has a field named linux. */
#undef linux
#include "container/spec.h"
#include "util/error.h"

/* The 11 default caps (DESIGN.md §4): CHOWN, DAC_OVERRIDE, FOWNER, FSETID,
 * KILL, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT. */
extern const uint64_t bh_caps_default_set;

/* "CAP_CHOWN" (case-insensitive, the "CAP_" prefix optional) -> 0. */
int bh_caps_from_name(const char *name, int *cap, struct bh_error *err);
/* 0 -> "CAP_CHOWN"; NULL for a number we have no name for. */
const char *bh_caps_to_name(int cap);
/* The kernel's highest cap number, from /proc/sys/kernel/cap_last_cap. */
int bh_caps_last_cap(void);

/* Drop from the bounding set every cap not in keep (needs CAP_SETPCAP). */
int bh_caps_drop_bounding(uint64_t keep, struct bh_error *err);

/* Set effective/permitted/inheritable (libcap cap_set_proc) and ambient
 * (prctl), clearing ambient first.  Called after setuid (with PR_SET_KEEPCAPS
 * set before it).  A cap the runtime itself lacks (not in its permitted set,
 * e.g. CAP_SYS_RESOURCE on a host whose bounding set lacks it) or that the
 * kernel does not know is skipped with a warning, like runc does for caps
 * unknown to the kernel: the container gets fewer privileges, never more. */
int bh_caps_apply(const struct bh_spec_caps *caps, struct bh_error *err);

/* The caps in want that the calling process could not grant (not in its
 * permitted set or beyond cap_last_cap); 0 when all can be granted. */
uint64_t bh_caps_unavailable(uint64_t want);

#endif
