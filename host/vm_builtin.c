/* The builtin backend: bulkhead-vmm (ours), agent over hybrid vsock. */
#include "vm_backend.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	.sock_name = "vsock.sock",
	.build_argv = builtin_argv,
};
