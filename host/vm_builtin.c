/* The builtin backend: bulkhead-vmm (ours), agent over hybrid vsock. */
#include "vm_backend.h"

#include <errno.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Each tenant's VMM runs jailed under its own unprivileged uid, so a guest
 * that escapes into one VMM process cannot touch another tenant's VMM (which
 * runs under a different uid) even where seccomp would let it try. */
#define JAIL_UID_BASE 200000u
#define JAIL_UID_SPAN 100000u

static unsigned jail_uid(const char *tenant_dir)
{
	uint32_t h = 2166136261u;   /* FNV-1a of the tenant dir */
	for (const char *p = tenant_dir; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return JAIL_UID_BASE + h % JAIL_UID_SPAN;
}

/* The jail folder holds only the vsock socket: the VMM pivots into it. */
static int jail_prepare(const struct vm_spec *s, char *dir, size_t n, unsigned uid,
			struct bh_error *err)
{
	const char *slash = strrchr(s->sock, '/');
	if (!slash || (size_t)(slash - s->sock) >= n)
		return bh_error_setx(err, EINVAL, "builtin backend: socket path %s", s->sock);
	snprintf(dir, n, "%.*s", (int)(slash - s->sock), s->sock);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return bh_error_set(err, errno, "builtin backend: mkdir %s", dir);
	if (chown(dir, uid, uid) < 0)
		return bh_error_set(err, errno, "builtin backend: chown %s to the jail uid %u", dir, uid);
	return 0;
}

/* bulkhead-vmm: $BULKHEAD_VMM, else next to the bulkhead binary. */
static int find_vmm(char *out, size_t n, struct bh_error *err)
{
	const char *env = getenv("BULKHEAD_VMM");
	char dir[PATH_MAX - 32];
	if (env && *env) {
		snprintf(out, n, "%s", env);
	} else {
		if (vm_self_dir(dir, sizeof(dir)) < 0)
			return bh_error_set(err, errno, "builtin backend: locating the bulkhead binary");
		snprintf(out, n, "%s/bulkhead-vmm", dir);
	}
	if (access(out, X_OK) < 0)
		return bh_error_set(err, errno, "builtin backend: %s (set BULKHEAD_VMM or build bulkhead-vmm)", out);
	return 0;
}

static int builtin_argv(const struct vm_spec *s, struct vm_argv *a, struct bh_error *err)
{
	char vmm[PATH_MAX];
	int r = find_vmm(vmm, sizeof(vmm), err);
	if (r < 0)
		return r;
	r |= vm_argv_add(a, "%s", vmm);
	r |= vm_argv_add(a, "--kernel");
	r |= vm_argv_add(a, "%s", s->kernel);
	r |= vm_argv_add(a, "--initrd");
	r |= vm_argv_add(a, "%s", s->initrd);
	r |= vm_argv_add(a, "--cmdline");
	r |= vm_argv_add(a, "%s", VM_CMDLINE);
	r |= vm_argv_add(a, "--memory");
	r |= vm_argv_add(a, "%ld", s->mem_mib);
	r |= vm_argv_add(a, "--vcpus");
	r |= vm_argv_add(a, "%d", s->vcpus);
	r |= vm_argv_add(a, "--vsock");
	r |= vm_argv_add(a, "3,%s", s->sock);
	r |= vm_argv_add(a, "--console");
	r |= vm_argv_add(a, "file:%s", s->console);
	r |= vm_argv_add(a, "--rng");
	/* Jail unless not root (the jail needs root) or asked not to. */
	const char *nj = getenv("BULKHEAD_VMM_JAIL");
	if (geteuid() == 0 && !(nj && strcmp(nj, "0") == 0)) {
		char dir[PATH_MAX];
		unsigned uid = jail_uid(s->dir);
		int jr = jail_prepare(s, dir, sizeof(dir), uid, err);
		if (jr < 0)
			return jr;
		r |= vm_argv_add(a, "--jail");
		r |= vm_argv_add(a, "%u:%u", uid, uid);
		r |= vm_argv_add(a, "--jail-dir");
		r |= vm_argv_add(a, "%s", dir);
	}
	for (size_t i = 0; i < s->n_images; i++) {
		if (strchr(s->image_file[i], ','))
			return bh_error_setx(err, EINVAL, "image %s: file name %s contains ','",
					     s->image_name[i], s->image_file[i]);
		r |= vm_argv_add(a, "--disk");
		r |= vm_argv_add(a, "%s,ro,serial=%s", s->image_file[i], s->image_name[i]);
	}
	if (r)
		return bh_error_set(err, ENOMEM, "builtin backend: argv");
	return 0;
}

const struct vm_backend vm_backend_builtin = {
	.name = "builtin",
	.transport = AGENT_T_VSOCK,
	.streams = true,
	.sock_name = "jail/vsock.sock",
	.build_argv = builtin_argv,
};
