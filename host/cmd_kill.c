/* kill [--all] <id> [signal]: default SIGTERM, names with or without SIG. */
#include "cli.h"
#include "vm_oci.h"

#include <getopt.h>
#include <signal.h>

int cmd_kill(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_error err = { 0 };
	bool all = false;
	int c;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+a", opts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else
			return cli_usage("kill", "unknown option");
	}
	if (optind >= argc)
		return cli_usage("kill", "missing container id");
	if (argc - optind > 2)
		return cli_usage("kill", "too many arguments");
	const char *id = argv[optind];
	int sig = SIGTERM;
	if (argc - optind == 2 && (sig = cli_parse_signal(argv[optind + 1])) < 0)
		return cli_failx("kill", "invalid signal %s", argv[optind + 1]);
	if (vm_oci_is_vm(cli.root, id))
		return vm_oci_kill(id, sig, all);
	if (bh_container_kill(cli.root, id, sig, all, &err) < 0)
		return cli_fail("kill", &err);
	return 0;
}
