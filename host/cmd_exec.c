/* exec [options] <id> <command> [args...] | exec --process FILE <id>:
 * a process in the container, with the container's process settings as
 * defaults; exits with its status unless --detach. */
#include "cli.h"
#include "vm_oci.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container/caps.h"

#define EXEC_MAX_LIST 256

struct exec_args {
	const char *console_socket, *cwd, *user, *process, *pid_file;
	const char *env[EXEC_MAX_LIST], *caps[EXEC_MAX_LIST];
	size_t n_env, n_caps;
	gid_t gids[EXEC_MAX_LIST];
	size_t n_gids;
	int preserve_fds;
	bool tty, detach, nnp;
};

static int parse_user(const char *s, struct bh_spec_user *u)
{
	char *end;
	unsigned long uid = strtoul(s, &end, 10);
	if (end == s || (*end && *end != ':'))
		return -1;
	u->uid = (uid_t)uid;
	if (*end == ':') {
		const char *g = end + 1;
		unsigned long gid = strtoul(g, &end, 10);
		if (end == g || *end)
			return -1;
		u->gid = (gid_t)gid;
	}
	return 0;
}

/* env: the template's, then -e entries replacing same-named ones. */
static char **merge_env(char **base, size_t nbase, const char *const *add, size_t nadd)
{
	char **v = calloc(nbase + nadd + 1, sizeof(char *));
	size_t n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < nbase; i++)
		v[n++] = base[i];
	for (size_t i = 0; i < nadd; i++) {
		const char *eq = strchr(add[i], '=');
		size_t klen = eq ? (size_t)(eq - add[i]) : strlen(add[i]);
		size_t j;
		for (j = 0; j < n; j++)
			if (!strncmp(v[j], add[i], klen) && v[j][klen] == '=')
				break;
		v[j] = (char *)add[i];
		if (j == n)
			n++;
	}
	v[n] = NULL;
	return v;
}

static int exec_parse(int argc, char **argv, struct exec_args *a)
{
	enum { O_CONSOLE = 256, O_CWD, O_PIDFILE, O_NNP, O_PRESERVE, O_IGN };
	static const struct option opts[] = {
		{ "console-socket", required_argument, NULL, O_CONSOLE },
		{ "cwd", required_argument, NULL, O_CWD },
		{ "env", required_argument, NULL, 'e' },
		{ "tty", no_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "process", required_argument, NULL, 'p' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, O_PIDFILE },
		{ "process-label", required_argument, NULL, O_IGN },
		{ "apparmor", required_argument, NULL, O_IGN },
		{ "no-new-privs", no_argument, NULL, O_NNP },
		{ "cap", required_argument, NULL, 'c' },
		{ "preserve-fds", required_argument, NULL, O_PRESERVE },
		{ "cgroup", required_argument, NULL, O_IGN },
		{ "ignore-paused", no_argument, NULL, O_IGN },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	memset(a, 0, sizeof(*a));
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+e:tu:g:p:dc:", opts, NULL)) != -1) {
		switch (c) {
		case O_CONSOLE: a->console_socket = optarg; break;
		case O_CWD: a->cwd = optarg; break;
		case 'e':
			if (a->n_env == EXEC_MAX_LIST)
				return cli_usage("exec", "too many --env");
			a->env[a->n_env++] = optarg;
			break;
		case 't': a->tty = true; break;
		case 'u': a->user = optarg; break;
		case 'g': {
			char *end;
			unsigned long g = strtoul(optarg, &end, 10);
			if (*end || end == optarg || a->n_gids == EXEC_MAX_LIST)
				return cli_usage("exec", "--additional-gids: expected a gid");
			a->gids[a->n_gids++] = (gid_t)g;
			break;
		}
		case 'p': a->process = optarg; break;
		case 'd': a->detach = true; break;
		case O_PIDFILE: a->pid_file = optarg; break;
		case O_NNP: a->nnp = true; break;
		case 'c':
			if (a->n_caps == EXEC_MAX_LIST)
				return cli_usage("exec", "too many --cap");
			a->caps[a->n_caps++] = optarg;
			break;
		case O_PRESERVE: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > 65536)
				return cli_usage("exec", "--preserve-fds: expected a count");
			a->preserve_fds = (int)n;
			break;
		}
		case O_IGN: break;
		default:
			return cli_usage("exec", "unknown or incomplete option");
		}
	}
	return 0;
}

/* VM mode: the process as JSON for the agent, from --process or from the
 * saved config's process with the flags applied. */
static int exec_vm(const struct exec_args *a, const char *id, char **cmd, int ncmd)
{
	struct bh_error err = { 0 };
	json_t *p;
	if (a->preserve_fds || a->console_socket)
		return cli_failx("exec", "%s: not possible for a container in a VM",
				 a->preserve_fds ? "--preserve-fds" : "--console-socket");
	if (a->process) {
		size_t len;
		char *js = cli_read_file(a->process, &len, &err);
		struct bh_spec_process *chk = NULL;
		if (!js || bh_spec_parse_process(js, len, &chk, &err) < 0) {
			free(js);
			return cli_fail("exec", &err);
		}
		bh_spec_process_free(chk);
		p = json_loadb(js, len, 0, NULL);
		free(js);
	} else {
		p = vm_oci_process_template(id, &err);
		if (!p)
			return cli_fail("exec", &err);
		json_t *args = json_array();
		for (int i = 0; i < ncmd; i++)
			json_array_append_new(args, json_string(cmd[i]));
		json_object_set_new(p, "args", args);
		json_object_set_new(p, "terminal", json_boolean(a->tty));
		json_t *env = json_object_get(p, "env");
		if (!json_is_array(env)) {
			env = json_array();
			json_object_set_new(p, "env", env);
		}
		for (size_t i = 0; i < a->n_env; i++) {
			size_t klen = strcspn(a->env[i], "="), j;
			for (j = 0; j < json_array_size(env); j++) {
				const char *e = json_string_value(json_array_get(env, j));
				if (e && !strncmp(e, a->env[i], klen) && e[klen] == '=')
					break;
			}
			if (j < json_array_size(env))
				json_array_set_new(env, j, json_string(a->env[i]));
			else
				json_array_append_new(env, json_string(a->env[i]));
		}
		if (a->cwd)
			json_object_set_new(p, "cwd", json_string(a->cwd));
		if (a->user) {
			struct bh_spec_user u = { 0 };
			if (parse_user(a->user, &u) < 0) {
				json_decref(p);
				return cli_failx("exec", "--user %s: expected uid[:gid]", a->user);
			}
			json_object_set_new(p, "user", json_pack("{s:i,s:i}", "uid", (int)u.uid,
								 "gid", (int)u.gid));
		}
		if (a->nnp)
			json_object_set_new(p, "noNewPrivileges", json_true());
		if (a->n_caps || a->n_gids) {
			json_decref(p);
			return cli_failx("exec", "--cap/--additional-gids: use --process for a container in a VM");
		}
	}
	return vm_oci_exec(id, p, a->detach, a->pid_file);
}

int cmd_exec(int argc, char **argv)
{
	struct exec_args a;
	struct bh_error err = { 0 };
	if (exec_parse(argc, argv, &a))
		return 1;
	if (optind >= argc)
		return cli_usage("exec", "missing container id");
	const char *id = argv[optind];
	char **cmd = argv + optind + 1;
	int ncmd = argc - optind - 1;
	if (!a.process && ncmd == 0)
		return cli_usage("exec", "missing command (or --process)");
	if (vm_oci_is_vm(cli.root, id))
		return exec_vm(&a, id, cmd, ncmd);

	struct bh_spec_process *owned = NULL, local;
	const struct bh_spec_process *p;
	struct bh_spec *spec = NULL;
	struct bh_state *st = NULL;
	char **env = NULL;
	int rc = 1;
	if (a.process) {
		size_t len;
		char *js = cli_read_file(a.process, &len, &err);
		if (!js || bh_spec_parse_process(js, len, &owned, &err) < 0) {
			free(js);
			return cli_fail("exec", &err);
		}
		free(js);
		p = owned;
	} else {
		if (bh_container_load_spec(cli.root, id, &spec, &st, &err) < 0)
			return cli_fail("exec", &err);
		if (!spec->process) {
			rc = cli_failx("exec", "container %s has no process template", id);
			goto out;
		}
		local = *spec->process;
		local.args = cmd;
		local.n_args = (size_t)ncmd;
		local.terminal = a.tty;
		env = merge_env(local.env, local.n_env, a.env, a.n_env);
		if (!env) {
			rc = cli_failx("exec", "out of memory");
			goto out;
		}
		local.env = env;
		if (a.cwd)
			local.cwd = (char *)a.cwd;
		if (a.user) {
			if (parse_user(a.user, &local.user) < 0) {
				rc = cli_failx("exec", "--user %s: expected uid[:gid]", a.user);
				goto out;
			}
			if (!strchr(a.user, ':'))
				local.user.gid = 0;
		}
		if (a.n_gids) {
			local.user.additional_gids = a.gids;
			local.user.n_additional_gids = a.n_gids;
		}
		for (size_t i = 0; i < a.n_caps; i++) {
			int cap;
			if (bh_caps_from_name(a.caps[i], &cap, &err) < 0) {
				rc = cli_fail("exec", &err);
				goto out;
			}
			uint64_t bit = 1ULL << cap;
			local.caps.present = true;
			local.caps.bounding |= bit;
			local.caps.effective |= bit;
			local.caps.permitted |= bit;
			local.caps.inheritable |= bit;
		}
		if (a.nnp)
			local.no_new_privileges = true;
		p = &local;
	}
	if (p->terminal && !a.console_socket && a.detach) {
		rc = cli_failx("exec", "cannot allocate a tty for a detached process without --console-socket");
		goto out;
	}
	struct bh_exec_opts eo = { .console_socket = a.console_socket,
				   .preserve_fds = a.preserve_fds, .detach = a.detach };
	int mine = -1, theirs = -1;
	if (p->terminal && !a.console_socket) {
		if (cli_console_pair(&mine, &theirs) < 0) {
			rc = cli_failx("exec", "console socketpair: %s", strerror(errno));
			goto out;
		}
		eo.has_console_fd = true;
		eo.console_fd = theirs;
	}
	pid_t pid;
	int er = bh_container_exec(cli.root, id, p, &eo, &pid, &err);
	if (theirs >= 0)
		close(theirs);
	if (er < 0) {
		if (mine >= 0)
			close(mine);
		rc = cli_fail("exec", &err);
		goto out;
	}
	if (mine >= 0) {
		int master = cli_console_recv(mine);
		close(mine);
		if (a.pid_file && cli_write_pid_file(a.pid_file, pid, &err) < 0) {
			rc = cli_fail("exec", &err);
			goto out;
		}
		rc = master >= 0 ? cli_console_proxy(master, pid) : cli_wait_forward(pid);
		goto out;
	}
	if (a.pid_file && cli_write_pid_file(a.pid_file, pid, &err) < 0) {
		rc = cli_fail("exec", &err);
		goto out;
	}
	rc = a.detach ? 0 : cli_wait_forward(pid);
out:
	free(env);
	bh_spec_process_free(owned);
	bh_spec_free(spec);
	bh_state_free(st);
	return rc;
}
