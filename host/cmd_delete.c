/* delete [--force] <id>: a missing id is an error except with --force. */
#include "cli.h"
#include "vm_oci.h"

#include <getopt.h>

int cmd_delete(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_error err = { 0 };
	bool force = false;
	int c;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+f", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else
			return cli_usage("delete", "unknown option");
	}
	if (optind != argc - 1)
		return cli_usage("delete", optind >= argc ? "missing container id" :
				 "too many arguments");
	if (vm_oci_is_vm(cli.root, argv[optind]))
		return vm_oci_delete(argv[optind], force);
	if (bh_container_delete(cli.root, argv[optind], force, &err) < 0)
		return cli_fail("delete", &err);
	return 0;
}
