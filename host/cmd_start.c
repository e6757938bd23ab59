/* start <id>: let the created container's process run. */
#include "cli.h"
#include "vm_oci.h"

int cmd_start(int argc, char **argv)
{
	struct bh_error err = { 0 };
	const char *id;
	if (cli_only_id("start", argc, argv, &id))
		return 1;
	if (vm_oci_is_vm(cli.root, id))
		return vm_oci_start("start", id);
	if (bh_container_start(cli.root, id, &err) < 0)
		return cli_fail("start", &err);
	return 0;
}
