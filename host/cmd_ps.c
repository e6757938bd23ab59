/* ps [--format table|json] <id> [ps args]: json prints the pids array,
 * table runs ps(1) and keeps the container's lines (like runc). */
#include "cli.h"
#include "vm_oci.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static bool pid_in(pid_t p, const pid_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == p)
			return true;
	return false;
}

int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_error err = { 0 };
	bool json = false;
	int c;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
			json = !strcmp(optarg, "json");
		else if (c == 'f')
			return cli_failx("ps", "invalid format option %s", optarg);
		else
			return cli_usage("ps", "unknown option");
	}
	if (optind >= argc)
		return cli_usage("ps", "missing container id");
	const char *id = argv[optind];
	if (vm_oci_is_vm(cli.root, id))
		return cli_failx("ps", "container %s is in a VM: its processes have no host pids "
				 "(bulkhead state shows the stand-in's)", id);
	pid_t *pids = NULL;
	size_t n = 0;
	if (bh_container_pids(cli.root, id, &pids, &n, &err) < 0)
		return cli_fail("ps", &err);
	if (json) {
		if (argc - optind > 1) {
			free(pids);
			return cli_failx("ps", "ps options cannot be used with --format json");
		}
		putchar('[');
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		puts("]");
		free(pids);
		return 0;
	}
	/* ps <args> (default -ef), keep the header and our pids' lines. */
	int pfd[2];
	if (pipe(pfd) < 0) {
		free(pids);
		return cli_failx("ps", "pipe: %s", strerror(errno));
	}
	pid_t child = fork();
	if (child == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		int na = argc - optind - 1;
		char **av = calloc((size_t)na + 2, sizeof(char *));
		if (!av)
			_exit(127);
		av[0] = "ps";
		if (na == 0)
			av[1] = "-ef";
		for (int i = 0; i < na; i++)
			av[i + 1] = argv[optind + 1 + i];
		execvp("ps", av);
		_exit(127);
	}
	close(pfd[1]);
	FILE *f = fdopen(pfd[0], "r");
	char line[8192];
	int pidcol = -1, rc = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (pidcol < 0) {
			/* the PID column of the header */
			char tmp[sizeof(line)];
			strcpy(tmp, line);
			int col = 0;
			for (char *t = strtok(tmp, " \t\n"); t; t = strtok(NULL, " \t\n"), col++)
				if (!strcmp(t, "PID")) {
					pidcol = col;
					break;
				}
			fputs(line, stdout);
			if (pidcol < 0) {
				rc = cli_failx("ps", "no PID column in the ps output");
				break;
			}
			continue;
		}
		char tmp[sizeof(line)];
		strcpy(tmp, line);
		char *t = strtok(tmp, " \t\n");
		for (int col = 0; t && col < pidcol; col++)
			t = strtok(NULL, " \t\n");
		if (t && pid_in((pid_t)atoi(t), pids, n))
			fputs(line, stdout);
	}
	if (f)
		fclose(f);
	int ws;
	waitpid(child, &ws, 0);
	free(pids);
	return rc;
}
