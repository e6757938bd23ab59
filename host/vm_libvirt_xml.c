/* Domain XML for the libvirt backend.  libvirt 9.0 takes machine 'microvm'
 * and puts a device on virtio-mmio when it carries <address
 * type='virtio-mmio'/>; with the USB controller and the balloon turned off
 * it adds no PCI device, so our PCI-less guest kernel sees every device.
 * No <qemu:commandline> is needed. */
#include "vm_libvirt.h"

#include <stdio.h>
#include <stdlib.h>

/* Text or attribute value: paths may hold any byte but NUL. */
static void xml_put(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* fprintf with each %s escaped is clumsier than tag-by-tag output. */
static void xml_elem(FILE *f, const char *indent, const char *tag, const char *text)
{
	fprintf(f, "%s<%s>", indent, tag);
	xml_put(f, text);
	fprintf(f, "</%s>\n", tag);
}

char *vm_libvirt_domain_xml(const struct vm_spec *s, bool hw)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f, "<domain type='%s'>\n", hw ? "kvm" : "qemu");
	fprintf(f, "  <name>" VM_LIBVIRT_PREFIX);
	xml_put(f, s->name);
	fprintf(f, "</name>\n");
	xml_elem(f, "  ", "description", s->dir);
	fprintf(f, "  <memory unit='MiB'>%ld</memory>\n  <vcpu>%d</vcpu>\n", s->mem_mib, s->vcpus);
	fprintf(f, "  <os>\n    <type arch='x86_64' machine='microvm'>hvm</type>\n");
	xml_elem(f, "    ", "kernel", s->kernel);
	xml_elem(f, "    ", "initrd", s->initrd);
	xml_elem(f, "    ", "cmdline", VM_CMDLINE);
	fprintf(f, "  </os>\n");
	fprintf(f, "  <cpu mode='%s'/>\n", hw ? "host-passthrough" : "maximum");
	/* reboot=t: the agent's shutdown is a reboot; either way the domain
	 * is gone (transient), as the qemu backend's -no-reboot exits. */
	fprintf(f, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n"
		"  <on_crash>destroy</on_crash>\n");
	fprintf(f, "  <devices>\n");
	fprintf(f, "    <serial type='file'><source path='");
	xml_put(f, s->console);
	fprintf(f, "'/><target port='0'/></serial>\n");
	fprintf(f, "    <controller type='usb' model='none'/>\n    <memballoon model='none'/>\n");
	fprintf(f, "    <controller type='virtio-serial' index='0'><address type='virtio-mmio'/></controller>\n");
	fprintf(f, "    <channel type='unix'><source mode='bind' path='");
	xml_put(f, s->sock);
	fprintf(f, "'/><target type='virtio' name='org.bulkhead.agent.0'/></channel>\n");
	fprintf(f, "    <rng model='virtio'><backend model='random'>/dev/urandom</backend>"
		"<address type='virtio-mmio'/></rng>\n");
	for (size_t i = 0; i < s->n_images; i++) {
		fprintf(f, "    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='");
		xml_put(f, s->image_file[i]);
		/* 16 images at most (TENANT_MAX_IMAGES): vda..vdp */
		fprintf(f, "'/><target dev='vd%c' bus='virtio'/><readonly/><serial>", (char)('a' + i % 26));
		xml_put(f, s->image_name[i]);
		fprintf(f, "</serial><address type='virtio-mmio'/></disk>\n");
	}
	fprintf(f, "  </devices>\n</domain>\n");
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
