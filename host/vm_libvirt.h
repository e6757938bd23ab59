/* The libvirt backend's parts (vm_libvirt.c: the C API, loaded with
 * dlopen; vm_libvirt_xml.c: the domain XML). */
#ifndef BH_HOST_VM_LIBVIRT_H
#define BH_HOST_VM_LIBVIRT_H

#include <stdbool.h>

#include "vm_backend.h"

/* Domain name for a tenant: "bulkhead-<tenant>".  Tenant names are
 * [A-Za-z0-9._-] (tenant.c), all valid in a libvirt domain name. */
#define VM_LIBVIRT_PREFIX "bulkhead-"

/* The transient domain for s: type kvm (hw) or qemu (TCG), machine microvm,
 * direct kernel boot, every virtio device on virtio-mmio (the guest kernel
 * has no PCI).  The tenant dir goes into <description>, so a domain of the
 * same name made for another --root is never taken for ours.
 * Returns malloc'd XML, NULL when out of memory. */
char *vm_libvirt_domain_xml(const struct vm_spec *s, bool hw);

#endif
