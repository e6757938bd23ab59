/* The qemu backend: qemu-system-x86_64 -M microvm with direct kernel boot;
 * TCG where the host has no VMX/SVM.  The agent channel is a virtio-serial
 * port whose host end is a Unix socket (QEMU is the server). */
#include "vm_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int qemu_argv(const struct vm_spec *s, struct vm_argv *a, struct bh_error *err)
{
	const char *qemu = getenv("QEMU");
	bool hw = vm_host_has_hw_virt();
	int r = 0;

	/* QEMU splits option values at ','; refuse paths that would be misread. */
	const char *paths[] = { s->kernel, s->initrd, s->sock, s->console };
	for (size_t i = 0; i < 4; i++)
		if (strchr(paths[i], ','))
			return bh_error_setx(err, EINVAL, "qemu backend: path %s contains ','", paths[i]);
	r |= vm_argv_add(a, "%s", qemu && *qemu ? qemu : "qemu-system-x86_64");
	r |= vm_argv_add(a, "-M");
	r |= vm_argv_add(a, "microvm,acpi=off");
	r |= vm_argv_add(a, "-accel");
	r |= vm_argv_add(a, "%s", hw ? "kvm" : "tcg");
	r |= vm_argv_add(a, "-cpu");
	r |= vm_argv_add(a, "%s", hw ? "host" : "max");
	r |= vm_argv_add(a, "-m");
	r |= vm_argv_add(a, "%ld", s->mem_mib);
	r |= vm_argv_add(a, "-smp");
	r |= vm_argv_add(a, "%d", s->vcpus);
	r |= vm_argv_add(a, "-nodefaults");
	r |= vm_argv_add(a, "-no-user-config");
	r |= vm_argv_add(a, "-nographic");
	r |= vm_argv_add(a, "-no-reboot");
	r |= vm_argv_add(a, "-monitor");
	r |= vm_argv_add(a, "none");
	r |= vm_argv_add(a, "-serial");
	r |= vm_argv_add(a, "file:%s", s->console);
	r |= vm_argv_add(a, "-kernel");
	r |= vm_argv_add(a, "%s", s->kernel);
	r |= vm_argv_add(a, "-initrd");
	r |= vm_argv_add(a, "%s", s->initrd);
	r |= vm_argv_add(a, "-append");
	r |= vm_argv_add(a, "%s", VM_CMDLINE);
	r |= vm_argv_add(a, "-device");
	r |= vm_argv_add(a, "virtio-rng-device");
	for (size_t i = 0; i < s->n_images; i++) {
		if (strchr(s->image_file[i], ','))
			return bh_error_setx(err, EINVAL, "image %s: file name %s contains ','",
					     s->image_name[i], s->image_file[i]);
		r |= vm_argv_add(a, "-drive");
		r |= vm_argv_add(a, "file=%s,if=none,format=raw,readonly=on,id=d%zu", s->image_file[i], i);
		r |= vm_argv_add(a, "-device");
		r |= vm_argv_add(a, "virtio-blk-device,drive=d%zu,serial=%s", i, s->image_name[i]);
	}
	r |= vm_argv_add(a, "-device");
	r |= vm_argv_add(a, "virtio-serial-device");
	r |= vm_argv_add(a, "-chardev");
	r |= vm_argv_add(a, "socket,id=agent,path=%s,server=on,wait=off", s->sock);
	r |= vm_argv_add(a, "-device");
	r |= vm_argv_add(a, "virtserialport,chardev=agent,name=org.bulkhead.agent.0");
	if (r)
		return bh_error_set(err, ENOMEM, "qemu backend: argv");
	return 0;
}

const struct vm_backend vm_backend_qemu = {
	.name = "qemu",
	.transport = AGENT_T_UNIX,
	.streams = false,
	.sock_name = "agent.sock",
	.build_argv = qemu_argv,
};
