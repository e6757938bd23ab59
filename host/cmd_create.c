/* create (and the create half of run): parse the bundle, create the
 * container, write --pid-file. */
#include "cli.h"
#include "vm_oci.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* VM mode (--mode, the annotations): true when it took the create. */
static bool cli_create_vm(const char *verb, struct create_args *a, const char *json,
			  size_t len, pid_t *pid, int *rc)
{
	struct bh_error err = { 0 };
	const char *tenant;
	bool vm = false;
	/* a config without the words costs bare mode one strstr */
	if (!cli.mode && !cli.tenant && !memmem(json, len, "io.bulkhead.", 12))
		return false;
	json_t *cfg = json_loadb(json, len, 0, NULL);
	if (vm_oci_resolve_mode(cfg, &vm, &tenant, &err) < 0) {
		json_decref(cfg);
		*rc = cli_fail(verb, &err);
		return true;
	}
	if (vm) {
		a->vm = true;
		*rc = vm_oci_create(verb, a, tenant, pid);
	}
	json_decref(cfg);
	return vm;
}

int cli_create(const char *verb, struct create_args *a, pid_t *pid)
{
	struct bh_error err = { 0 };
	char *bundle = cli_abspath(a->bundle ? a->bundle : ".");
	char path[4096];
	if (!bundle)
		return cli_failx(verb, "bundle: out of memory");
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	size_t len = 0;
	char *json = cli_read_file(path, &len, &err);
	if (!json) {
		free(bundle);
		return cli_fail(verb, &err);
	}
	struct bh_spec *spec = NULL;
	int rc = 0, r;
	a->vm = false;
	if (cli_create_vm(verb, a, json, len, pid, &rc)) {
		free(json);
		free(bundle);
		return rc;
	}
	/* Our own relative paths mean the caller's cwd; make them absolute
	 * before moving to the bundle. */
	char *pid_file = a->pid_file ? cli_abspath(a->pid_file) : NULL;
	char *console = a->console_socket ? cli_abspath(a->console_socket) : NULL;
	a->pid_file = pid_file;
	a->console_socket = console;
	if (bh_spec_parse(json, len, bundle, &spec, &err) < 0) {
		rc = cli_fail(verb, &err);
		goto out;
	}
	/* Relative paths in the spec (hooks, mount sources) mean the bundle. */
	if (chdir(bundle) < 0) {
		bh_error_set(&err, errno, "chdir %s", bundle);
		rc = cli_fail(verb, &err);
		goto out;
	}
	struct bh_create_opts o = {
		.root = cli.root, .id = a->id, .config_json = json,
		.console_socket = a->console_socket, .preserve_fds = a->preserve_fds,
		.no_pivot = a->no_pivot, .no_new_keyring = a->no_new_keyring,
		.foreground = a->foreground,
	};
	int theirs = -1;
	a->console_mine = -1;
	if (spec->process && spec->process->terminal && !a->console_socket) {
		if (!a->foreground) {
			rc = cli_failx(verb, "process.terminal is set: --console-socket is required");
			goto out;
		}
		if (cli_console_pair(&a->console_mine, &theirs) < 0) {
			rc = cli_failx(verb, "console socketpair: %s", strerror(errno));
			goto out;
		}
		o.has_console_fd = true;
		o.console_fd = theirs;
	}
	r = bh_container_create(spec, &o, pid, &err);
	if (theirs >= 0)
		close(theirs);
	if (r < 0) {
		if (a->console_mine >= 0)
			close(a->console_mine);
		a->console_mine = -1;
		rc = cli_fail(verb, &err);
		goto out;
	}
	if (a->pid_file && cli_write_pid_file(a->pid_file, *pid, &err) < 0) {
		struct bh_error e2;
		bh_container_delete(cli.root, a->id, true, &e2);
		rc = cli_fail(verb, &err);
	}
out:
	free(pid_file);
	free(console);
	a->pid_file = a->console_socket = NULL;
	bh_spec_free(spec);
	free(json);
	free(bundle);
	return rc;
}

enum { O_CONSOLE = 256, O_PIDFILE, O_NOPIVOT, O_NOKEYRING, O_PRESERVE, O_KEEP,
       O_NOSUBREAPER };

static const struct option create_opts[] = {
	{ "bundle", required_argument, NULL, 'b' },
	{ "console-socket", required_argument, NULL, O_CONSOLE },
	{ "pid-file", required_argument, NULL, O_PIDFILE },
	{ "no-pivot", no_argument, NULL, O_NOPIVOT },
	{ "no-new-keyring", no_argument, NULL, O_NOKEYRING },
	{ "preserve-fds", required_argument, NULL, O_PRESERVE },
	{ "detach", no_argument, NULL, 'd' },
	{ "keep", no_argument, NULL, O_KEEP },
	{ "no-subreaper", no_argument, NULL, O_NOSUBREAPER },
	{ NULL, 0, NULL, 0 },
};

int cli_parse_create(const char *verb, int argc, char **argv, bool run,
		     struct create_args *a)
{
	int c;
	memset(a, 0, sizeof(*a));
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, run ? "+b:d" : "+b:", create_opts, NULL)) != -1) {
		switch (c) {
		case 'b': a->bundle = optarg; break;
		case O_CONSOLE: a->console_socket = optarg; break;
		case O_PIDFILE: a->pid_file = optarg; break;
		case O_NOPIVOT: a->no_pivot = true; break;
		case O_NOKEYRING: a->no_new_keyring = true; break;
		case O_PRESERVE: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > 65536)
				return cli_usage(verb, "--preserve-fds: expected a count");
			a->preserve_fds = (int)n;
			break;
		}
		case 'd':
			if (!run)
				return cli_usage(verb, "unknown option --detach");
			a->detach = true;
			break;
		case O_KEEP: case O_NOSUBREAPER: break;
		default:
			return cli_usage(verb, "unknown or incomplete option");
		}
	}
	if (optind != argc - 1)
		return cli_usage(verb, optind >= argc ? "missing container id" :
				 "too many arguments");
	a->id = argv[optind];
	return 0;
}

int cmd_create(int argc, char **argv)
{
	struct create_args a;
	pid_t pid;
	if (cli_parse_create("create", argc, argv, false, &a))
		return 1;
	return cli_create("create", &a, &pid);
}
