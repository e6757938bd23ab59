/* bulkhead: a runc-compatible OCI runtime CLI (bare mode).
 * Global flags come before the verb; each verb lives in cmd_<verb>.c. */
#include "cli.h"

#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/log.h"

#define BULKHEAD_VERSION "0.1.0"
#define OCI_VERSION "1.1.0"

struct cli_global cli;

/* VM mode lives in cmd_tenant.c; weak so bare mode builds without it. */
int cmd_tenant(int argc, char **argv) __attribute__((weak));

static const struct cli_verb verbs[] = {
	{ "create", cmd_create, "[options] <id>", "create a container (its process waits for start)" },
	{ "start", cmd_start, "<id>", "run the user process of a created container" },
	{ "run", cmd_run, "[options] <id>", "create and start a container, wait for it" },
	{ "state", cmd_state, "<id>", "print the state of a container as JSON" },
	{ "kill", cmd_kill, "[--all] <id> [signal]", "send a signal to the container's init" },
	{ "delete", cmd_delete, "[--force] <id>", "delete a container and its resources" },
	{ "exec", cmd_exec, "[options] <id> <command> [args...]", "run a process in a container" },
	{ "list", cmd_list, "[--format table|json] [-q]", "list containers" },
	{ "ps", cmd_ps, "[--format table|json] <id> [ps options]", "list the container's processes" },
	{ "spec", cmd_spec, "[--rootless] [--bundle dir]", "write a default config.json" },
	{ "features", cmd_features, "", "print the runtime's features as JSON" },
	{ "pause", cmd_pause, "<id>", "freeze every process of a container" },
	{ "resume", cmd_resume, "<id>", "thaw a paused container" },
	{ "update", cmd_update, "[options] <id>", "change a container's cgroup limits" },
	{ "tenant", cmd_tenant, "up|down|ls|stats|run|exec|kill ...", "VM mode: tenants in microVMs" },
};

static void print_help(FILE *f)
{
	fprintf(f, "usage: bulkhead [global options] <command> [options] <id>\n\n"
		"global options:\n"
		"  --root DIR           state directory (default %s)\n"
		"  --log FILE           log file (default stderr)\n"
		"  --log-format FORMAT  text or json\n"
		"  --debug              debug logging\n"
		"  --systemd-cgroup     use systemd for cgroups (needs systemd)\n"
		"  --mode vm|bare       where create/run put the container (default: the\n"
		"                       config's io.bulkhead.mode, else vm when a tenant is named)\n"
		"  --tenant NAME        VM mode: the tenant (or annotation io.bulkhead.tenant)\n"
		"  -v, --version        print the version\n"
		"  -h, --help           this help\n\ncommands:\n", BH_DEFAULT_ROOT);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].fn)
			fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
}

int cli_usage(const char *verb, const char *why)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].name, verb)) {
			fprintf(stderr, "bulkhead: %s: %s\nusage: bulkhead %s %s\n",
				verb, why, verb, verbs[i].usage);
			return 1;
		}
	fprintf(stderr, "bulkhead: %s\n", why);
	return 1;
}

int cli_only_id(const char *verb, int argc, char **argv, const char **id)
{
	if (argc < 2)
		return cli_usage(verb, "missing container id");
	if (argc > 2)
		return cli_usage(verb, "too many arguments");
	if (argv[1][0] == '-' && argv[1][1])
		return cli_usage(verb, "unknown option");
	*id = argv[1];
	return 0;
}

int cli_fail(const char *verb, const struct bh_error *err)
{
	const char *m = err && err->msg[0] ? err->msg : "failed";
	fprintf(stderr, "bulkhead: %s: %s\n", verb, m);
	if (cli.log)
		bh_log_error("%s: %s", verb, m);
	return 1;
}

int cli_failx(const char *verb, const char *fmt, ...)
{
	struct bh_error e = { .code = EINVAL };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	return cli_fail(verb, &e);
}

int cli_parse_signal(const char *s)
{
	char *end;
	if (!s || !*s)
		return -1;
	long n = strtol(s, &end, 10);
	if (!*end)
		return n > 0 && n <= SIGRTMAX ? (int)n : -1;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
		int base = toupper((unsigned char)s[3]) == 'I' ? SIGRTMIN : SIGRTMAX;
		if (!s[5])
			return base;
		long off = strtol(s + 5, &end, 10);
		if (*end)
			return -1;
		int sig = base + (int)off;
		return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
	}
	for (int i = 1; i < SIGRTMIN; i++) {
		const char *a = sigabbrev_np(i);
		if (a && !strcasecmp(a, s))
			return i;
	}
	return -1;
}

int cli_write_pid_file(const char *path, pid_t pid, struct bh_error *err)
{
	char tmp[PATH_MAX], buf[32];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return bh_error_setx(err, ENAMETOOLONG, "pid file %s", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return bh_error_set(err, errno, "write pid file %s", path);
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (write(fd, buf, (size_t)n) != n) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return bh_error_set(err, e, "write pid file %s", path);
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return bh_error_set(err, e, "rename pid file to %s", path);
	}
	return 0;
}

char *cli_read_file(const char *path, size_t *len, struct bh_error *err)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		bh_error_set(err, errno, "%s", path);
		return NULL;
	}
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (n < cap - 1)
			break;
		if (cap > (64u << 20)) {
			free(buf);
			buf = NULL;
			bh_error_setx(err, EFBIG, "%s: file too big", path);
			fclose(f);
			return NULL;
		}
		char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	fclose(f);
	if (!buf) {
		bh_error_set(err, ENOMEM, "read %s", path);
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

char *cli_abspath(const char *path)
{
	char *r = realpath(path, NULL);
	if (r)
		return r;
	if (path[0] == '/')
		return strdup(path);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return strdup(path);
	if (asprintf(&r, "%s/%s", cwd, path) < 0)
		return NULL;
	return r;
}

/* Signals that reach `run`/`exec` go to the container process. */
static volatile pid_t fwd_pid;
static void fwd_handler(int sig)
{
	if (fwd_pid > 0)
		kill(fwd_pid, sig);
}

int cli_wait_forward(pid_t pid)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1,
				    SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP };
	struct sigaction sa = { .sa_handler = fwd_handler, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	fwd_pid = pid;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	int ws = 0;
	for (;;) {
		pid_t w = waitpid(pid, &ws, 0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return 255;
	}
	fwd_pid = 0;
	return bh_wait_status(ws);
}

int main(int argc, char **argv)
{
	enum { O_LOG = 256, O_LOGFMT, O_DEBUG, O_SYSTEMD, O_CRIU, O_ROOTLESS, O_MODE, O_TENANT };
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, O_LOG },
		{ "log-format", required_argument, NULL, O_LOGFMT },
		{ "debug", no_argument, NULL, O_DEBUG },
		{ "systemd-cgroup", no_argument, NULL, O_SYSTEMD },
		{ "criu", required_argument, NULL, O_CRIU },
		{ "rootless", required_argument, NULL, O_ROOTLESS },
		{ "mode", required_argument, NULL, O_MODE },
		{ "tenant", required_argument, NULL, O_TENANT },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': cli.root = optarg; break;
		case O_LOG: cli.log = optarg; break;
		case O_LOGFMT:
			if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
				fprintf(stderr, "bulkhead: --log-format: unknown format %s (text or json)\n", optarg);
				return 1;
			}
			cli.log_json = !strcmp(optarg, "json");
			break;
		case O_DEBUG: cli.debug = true; break;
		case O_SYSTEMD: cli.systemd_cgroup = true; break;
		case O_CRIU: case O_ROOTLESS: break;
		case O_MODE:
			if (strcmp(optarg, "vm") && strcmp(optarg, "bare")) {
				fprintf(stderr, "bulkhead: --mode %s: expected vm or bare\n", optarg);
				return 1;
			}
			cli.mode = optarg;
			break;
		case O_TENANT: cli.tenant = optarg; break;
		case 'v':
			printf("bulkhead version %s\nspec: %s\n", BULKHEAD_VERSION, OCI_VERSION);
			return 0;
		case 'h':
			print_help(stdout);
			return 0;
		default:
			fprintf(stderr, "bulkhead: unknown global option %s\n", argv[optind - 1]);
			print_help(stderr);
			return 1;
		}
	}
	if (cli.log || cli.debug) {
		if (bh_log_open(cli.log, cli.log_json, cli.debug ? BH_LOG_DEBUG : BH_LOG_WARN) < 0) {
			fprintf(stderr, "bulkhead: --log %s: %s\n", cli.log, strerror(errno));
			return 1;
		}
	}
	if (cli.systemd_cgroup && access("/run/systemd/system", F_OK) != 0) {
		fprintf(stderr, "bulkhead: --systemd-cgroup: systemd is not running (no /run/systemd/system); use cgroupfs\n");
		if (cli.log)
			bh_log_error("--systemd-cgroup: systemd is not running (no /run/systemd/system); use cgroupfs");
		return 1;
	}
	if (!cli.root)
		cli.root = BH_DEFAULT_ROOT;
	if (optind >= argc) {
		print_help(stderr);
		return 1;
	}
	int vi = optind;
	const char *verb = argv[vi];
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verbs[i].name, verb) && verbs[i].fn) {
			optind = 0; /* full getopt reset for the verb's parser */
			return verbs[i].fn(argc - vi, argv + vi);
		}
	fprintf(stderr, "bulkhead: unknown command %s\n", verb);
	print_help(stderr);
	return 1;
}
