/* pause and resume <id>: the cgroup freezer. */
#include "cli.h"
#include "vm_oci.h"

int cmd_pause(int argc, char **argv)
{
	struct bh_error err = { 0 };
	const char *id;
	if (cli_only_id("pause", argc, argv, &id))
		return 1;
	if (vm_oci_is_vm(cli.root, id))
		return cli_failx("pause", "container %s is in a VM: pause is not supported in VM mode yet", id);
	if (bh_container_pause(cli.root, id, &err) < 0)
		return cli_fail("pause", &err);
	return 0;
}

int cmd_resume(int argc, char **argv)
{
	struct bh_error err = { 0 };
	const char *id;
	if (cli_only_id("resume", argc, argv, &id))
		return 1;
	if (vm_oci_is_vm(cli.root, id))
		return cli_failx("resume", "container %s is in a VM: resume is not supported in VM mode yet", id);
	if (bh_container_resume(cli.root, id, &err) < 0)
		return cli_fail("resume", &err);
	return 0;
}
