/* run: create + start; in the foreground wait for the process, forward
 * signals to it, delete the container and exit with its status. */
#include "cli.h"
#include "vm_oci.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "container/cgroup.h"

/* A container killed by SIGKILL may have been the memory limit: say so,
 * because exit status 137 alone does not tell an OOM kill from `kill -9`. */
static void run_report_oom(const char *id)
{
	struct bh_state *st = NULL;
	struct bh_cgroup *cg = NULL;
	struct bh_cgroup_stats cs;

	if (bh_container_state(cli.root, id, &st, NULL) == 0 && st->cgroup_path &&
	    bh_cgroup_open(st->cgroup_path, &cg, NULL) == 0 &&
	    bh_cgroup_stats(cg, &cs, NULL) == 0 && cs.oom_kills > 0)
		fprintf(stderr, "bulkhead: run: container %s: killed by the OOM killer "
			"(memory limit %llu bytes, %llu OOM kill(s))\n", id,
			(unsigned long long)cs.mem_limit, (unsigned long long)cs.oom_kills);
	if (cg)
		bh_cgroup_free(cg);
	bh_state_free(st);
}

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
	if (a.vm) {
		if (vm_oci_start("run", a.id)) {
			vm_oci_delete(a.id, true);
			return 1;
		}
		if (a.detach)
			return 0;
		int status = cli_wait_forward(pid);
		vm_oci_delete(a.id, true);
		return status;
	}
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
	if (status == 128 + 9)
		run_report_oom(a.id);
	if (bh_container_delete(cli.root, a.id, true, &err) < 0)
		cli_fail("run", &err);
	return status;
}
