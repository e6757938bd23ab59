/* run: create + start; in the foreground wait for the process, forward
 * signals to it, delete the container and exit with its status. */
#include "cli.h"

#include <stdlib.h>
#include <unistd.h>

int cmd_run(int argc, char **argv)
{
	struct create_args a;
	struct bh_error err = { 0 };
	pid_t pid;
	if (cli_parse_create("run", argc, argv, true, &a))
		return 1;
	a.foreground = !a.detach;
	if (cli_create("run", &a, &pid))
		return 1;
	if (bh_container_start(cli.root, a.id, &err) < 0) {
		struct bh_error e2;
		bh_container_delete(cli.root, a.id, true, &e2);
		return cli_fail("run", &err);
	}
	if (a.detach)
		return 0;
	int status;
	if (a.console_mine >= 0) {
		int master = cli_console_recv(a.console_mine);
		close(a.console_mine);
		status = master >= 0 ? cli_console_proxy(master, pid) : cli_wait_forward(pid);
	} else {
		status = cli_wait_forward(pid);
	}
	if (bh_container_delete(cli.root, a.id, true, &err) < 0)
		cli_fail("run", &err);
	return status;
}
