/* Backend registry and the helpers the backends share. */
#include "vm_backend.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int vm_argv_add(struct vm_argv *a, const char *fmt, ...)
{
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		char **nv = realloc(a->v, cap * sizeof(char *));
		if (!nv)
			return -ENOMEM;
		a->v = nv;
		a->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&a->v[a->n], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	a->v[++a->n] = NULL;
	return 0;
}

void vm_argv_free(struct vm_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

const struct vm_backend *vm_backend_find(const char *name)
{
	if (!strcmp(name, "builtin"))
		return &vm_backend_builtin;
	if (!strcmp(name, "qemu"))
		return &vm_backend_qemu;
	if (!strcmp(name, "libvirt"))
		return &vm_backend_libvirt;
	return NULL;
}

bool vm_host_has_hw_virt(void)
{
	char line[4096];
	bool flag = false;
	if (access("/dev/kvm", R_OK | W_OK) != 0)
		return false;
	FILE *f = fopen("/proc/cpuinfo", "re");
	while (f && !flag && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && (strstr(line, " vmx") || strstr(line, " svm")))
			flag = true;
	if (f)
		fclose(f);
	return flag;
}

const struct vm_backend *vm_backend_default(bool *hw_virt)
{
	*hw_virt = vm_host_has_hw_virt();
	return *hw_virt ? &vm_backend_builtin : &vm_backend_qemu;
}

int vm_self_dir(char *out, size_t n)
{
	char exe[PATH_MAX];
	ssize_t r = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (r <= 0)
		return -errno;
	exe[r] = '\0';
	snprintf(out, n, "%s", dirname(exe));
	return 0;
}
