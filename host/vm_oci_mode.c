/* Which mode an OCI bundle asks for: --mode/--tenant, else its
 * io.bulkhead.mode and io.bulkhead.tenant annotations. */
#include "vm_oci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int vm_oci_resolve_mode(json_t *config, bool *vm, const char **tenant, struct bh_error *err)
{
	json_t *an = json_object_get(config, "annotations");
	const char *amode = json_string_value(json_object_get(an, VM_OCI_MODE_ANNOTATION));
	const char *aten = json_string_value(json_object_get(an, VM_OCI_TENANT_ANNOTATION));
	const char *mode = cli.mode ? cli.mode : amode;
	*tenant = cli.tenant ? cli.tenant : aten;
	if (mode && strcmp(mode, "vm") && strcmp(mode, "bare"))
		return bh_error_setx(err, EINVAL, "%s \"%s\": expected vm or bare",
				     cli.mode ? "--mode" : "annotation " VM_OCI_MODE_ANNOTATION, mode);
	*vm = mode ? !strcmp(mode, "vm") : *tenant != NULL;
	if (!*vm) {
		*tenant = NULL;
		return 0;
	}
	if (!*tenant)
		return bh_error_setx(err, EINVAL, "VM mode needs a tenant: --tenant NAME or the annotation "
				     VM_OCI_TENANT_ANNOTATION "=NAME (bulkhead tenant up NAME first)");
	return tenant_name_validate(*tenant, err);
}
