/* Moving a host directory tree (an OCI bundle's rootfs) into a tenant VM:
 * packed as a tar on the fly and streamed to the agent as `upload` chunks
 * (docs/vm-mode.md, "Moving a host rootfs into the guest"). */
#ifndef BH_HOST_VM_UPLOAD_H
#define BH_HOST_VM_UPLOAD_H

#include <stddef.h>

#include "agent_client.h"
#include "util/error.h"

/* Pack dir (modes, numeric owners, times, symlinks, hard links; sockets
 * skipped; no xattrs or ACLs) into a pax tar and send it as upload `name`
 * (bh_proto_upload_name_valid), at most BH_PROTO_UPLOAD_CHUNK bytes per
 * request, without holding the whole tar in memory.  timeout_ms applies to
 * each chunk.  Afterwards `create` with rootfs {"upload": name} uses it. */
int vm_upload_dir(struct agent_client *c, const char *dir, const char *name, int timeout_ms,
		  struct bh_error *err);

/* The same with several trees overlaid in order into one tar (later
 * entries replace earlier ones; only dirs[0]'s root entry is kept). */
int vm_upload_dirs(struct agent_client *c, const char *const *dirs, size_t n, const char *name,
		   int timeout_ms, struct bh_error *err);

/* An upload name for container id: id's characters outside [A-Za-z0-9_.-]
 * become '_', cut to the name limit; out needs BH_PROTO_UPLOAD_NAME_MAX + 1. */
void vm_upload_name(const char *id, char *out, size_t n);

#endif
