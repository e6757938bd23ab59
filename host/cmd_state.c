/* state <id>: the OCI state as runc prints it. */
#include "cli.h"
#include "vm_oci.h"

#include <stdlib.h>

int cmd_state(int argc, char **argv)
{
	struct bh_error err = { 0 };
	struct bh_state *st;
	const char *id;
	if (cli_only_id("state", argc, argv, &id))
		return 1;
	if ((vm_oci_is_vm(cli.root, id) ? vm_oci_state(cli.root, id, &st, &err)
				       : bh_container_state(cli.root, id, &st, &err)) < 0)
		return cli_fail("state", &err);
	char *js = bh_state_to_json(st);
	bh_state_free(st);
	if (!js)
		return cli_failx("state", "encode state: out of memory");
	puts(js);
	free(js);
	return 0;
}
