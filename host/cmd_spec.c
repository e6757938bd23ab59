/* spec [--rootless] [--bundle DIR]: write a default config.json (refuses
 * to overwrite one, like runc). */
#include "cli.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_spec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rootless", no_argument, NULL, 'r' },
		{ "bundle", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bundle = ".";
	bool rootless = false;
	int c;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+b:", opts, NULL)) != -1) {
		if (c == 'r')
			rootless = true;
		else if (c == 'b')
			bundle = optarg;
		else
			return cli_usage("spec", "unknown option");
	}
	if (optind != argc)
		return cli_usage("spec", "too many arguments");
	char path[4096];
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	char *js = bh_spec_default_json(rootless);
	if (!js)
		return cli_failx("spec", "out of memory");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		free(js);
		if (e == EEXIST)
			return cli_failx("spec", "File %s exists. Remove it first", path);
		return cli_failx("spec", "create %s: %s", path, strerror(e));
	}
	size_t len = strlen(js);
	ssize_t w = write(fd, js, len);
	int e = errno;
	close(fd);
	free(js);
	if (w != (ssize_t)len)
		return cli_failx("spec", "write %s: %s", path, strerror(e));
	return 0;
}
