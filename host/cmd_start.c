/* start <id>: let the created container's process run. */
#include "cli.h"

int cmd_start(int argc, char **argv)
{
	struct bh_error err = { 0 };
	const char *id;
	if (cli_only_id("start", argc, argv, &id))
		return 1;
	if (bh_container_start(cli.root, id, &err) < 0)
		return cli_fail("start", &err);
	return 0;
}
