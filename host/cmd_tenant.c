/* bulkhead tenant up|down|ls|stats|run|exec|kill: VM mode.  One microVM
 * per tenant (vm_builtin.c, vm_qemu.c); the host talks to the agent in it
 * through agent_client.c.  State: <root>/tenants/<name>/ (tenant.c). */
#include "cli.h"
#include "tenant.h"
#include "vm_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"

#define TENANT_USAGE \
	"usage: bulkhead tenant up NAME [--memory SIZE] [--vcpus N] [--kernel FILE] [--initrd FILE]\n" \
	"                          [--image NAME=FILE]... [--backend builtin|qemu|libvirt] [--timeout S]\n" \
	"       bulkhead tenant down NAME [--force] [--timeout S]\n" \
	"       bulkhead tenant ls [--format table|json]\n" \
	"       bulkhead tenant stats NAME\n" \
	"       bulkhead tenant run NAME [--image NAME|--rootfs PATH|--upload HOSTDIR] [--memory SIZE] [--pids N]\n" \
	"                          [--env K=V]... [--detach --id ID] [-i] [--stdio capture|streams] -- CMD [ARGS...]\n" \
	"       bulkhead tenant exec NAME ID -- CMD [ARGS...]\n" \
	"       bulkhead tenant kill NAME ID [SIGNAL]\n" \
	"       bulkhead tenant rm NAME ID\n"

static int tenant_usage(const char *why)
{
	fprintf(stderr, "bulkhead: tenant: %s\n%s", why, TENANT_USAGE);
	return 1;
}

static bool image_name_ok(const char *s, size_t n)
{
	/* It becomes the virtio-blk serial (20 bytes) and a JSON key. */
	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

/* Remove the tenant dir: plain files and sockets, and the builtin VMM's
 * jail folder, which holds only its socket. */
static int tenant_remove_dir(const char *dir, struct bh_error *err)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : bh_error_set(err, errno, "open %s", dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno == EISDIR) {
			char sub[PATH_MAX];
			snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
			tenant_remove_dir(sub, err);
		}
	}
	if (rmdir(dir) < 0 && errno != ENOENT)
		return bh_error_set(err, errno, "remove %s", dir);
	return 0;
}

/* Wait until the VM process is gone: reap it when it is our child. */
static bool vm_wait_gone(const struct tenant *t, int64_t deadline)
{
	for (;;) {
		if (t->pid > 0)
			waitpid(t->pid, NULL, WNOHANG);
		if (!tenant_vm_alive(t))
			return true;
		if (agent_now_ms() >= deadline)
			return false;
		usleep(20 * 1000);
	}
}

/* Stop the VM: agent shutdown (unless force), deadline, then SIGKILL. */
static int vm_stop(const struct tenant *t, bool force, int timeout_ms, struct bh_error *err)
{
	if (!tenant_vm_alive(t))
		return 0;
	if (!force) {
		struct agent_client c;
		json_t *res = NULL;
		struct bh_error e2 = { 0 };
		if (agent_client_open(&c, t->transport, t->sock, AGENT_CLIENT_PORT, 2000, &e2) == 0) {
			agent_call(&c, BH_M_SHUTDOWN, NULL, 5000, &res, &e2);
			json_decref(res);
			agent_client_close(&c);
		}
		if (vm_wait_gone(t, agent_now_ms() + timeout_ms))
			return 0;
		fprintf(stderr, "bulkhead: tenant down: %s: VM did not stop in %d ms after shutdown; killing it\n",
			t->name, timeout_ms);
	}
	const struct vm_backend *be = vm_backend_find(t->backend);
	if (be && be->stop)
		return be->stop(t, err);
	kill(t->pid, SIGKILL);
	if (!vm_wait_gone(t, agent_now_ms() + 5000))
		return bh_error_setx(err, EBUSY, "tenant %s: VM pid %d survived SIGKILL", t->name, (int)t->pid);
	return 0;
}

/* ---- up ---- */
struct up_ctx {
	struct tenant *t;
	const struct vm_backend *be;
	char vmlog[PATH_MAX + 16];
};

static void file_tail(const char *path, char *out, size_t n)
{
	struct tenant tmp = { 0 };
	snprintf(tmp.console, sizeof(tmp.console), "%s", path);
	tenant_console_tail(&tmp, out, n);
}

static bool up_alive(void *opaque, struct bh_error *err)
{
	struct up_ctx *u = opaque;
	int ws;
	char vmerr[400], con[400];
	if (u->be->alive) {
		if (tenant_vm_alive(u->t))
			return true;
		tenant_console_tail(u->t, con, sizeof(con));
		bh_error_setx(err, ECHILD, "VM (%s) stopped before the agent answered; console: \"%s\"",
			      u->t->backend, con);
		return false;
	}
	pid_t w = waitpid(u->t->pid, &ws, WNOHANG);
	if (w == 0)
		return true;
	file_tail(u->vmlog, vmerr, sizeof(vmerr));
	tenant_console_tail(u->t, con, sizeof(con));
	bh_error_setx(err, ECHILD, "VM (%s) exited with status %d before the agent answered; "
		      "VM said: \"%s\"; console: \"%s\"", u->t->backend,
		      w > 0 ? bh_wait_status(ws) : -1, vmerr, con);
	return false;
}

static int path_check(const char *what, const char *path, struct bh_error *err)
{
	if (access(path, R_OK) < 0)
		return bh_error_set(err, errno, "%s %s", what, path);
	return 0;
}

/* Spawn the VM process.  The child waits on a pipe until its pid is in
 * state.json: if `tenant up` dies first, the child exits instead of
 * running a VM nobody knows about. */
static int vm_spawn(struct tenant *t, char **argv, const char *vmlog, struct bh_error *err)
{
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return bh_error_set(err, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(go[0]);
		close(go[1]);
		return bh_error_set(err, e, "fork");
	}
	if (pid == 0) {
		close(go[1]);
		setsid();
		char pp[PATH_MAX + 16], buf[24];
		snprintf(pp, sizeof(pp), "%s/vm.pid", t->dir);
		int fd = open(pp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
			if (write(fd, buf, (size_t)n) != n)
				_exit(127);
			close(fd);
		}
		int nul = open("/dev/null", O_RDWR);
		int log = open(vmlog, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (nul < 0 || log < 0)
			_exit(127);
		dup2(nul, 0);
		dup2(log, 1);
		dup2(log, 2);
		char c;
		if (read(go[0], &c, 1) != 1 || c != 'g')
			_exit(126);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		dprintf(2, "bulkhead: tenant up: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	t->pid = pid;
	t->start_time = tenant_proc_start_time(pid);
	int r = tenant_save(t, err);
	if (r == 0 && write(go[1], "g", 1) != 1)
		r = bh_error_set(err, errno, "starting the VM process");
	close(go[1]);
	return r;
}

static int tenant_up(int argc, char **argv)
{
	enum { O_MEM = 256, O_VCPUS, O_KERNEL, O_INITRD, O_IMAGE, O_BACKEND, O_TIMEOUT };
	static const struct option opts[] = {
		{ "memory", required_argument, NULL, O_MEM },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "initrd", required_argument, NULL, O_INITRD },
		{ "image", required_argument, NULL, O_IMAGE },
		{ "backend", required_argument, NULL, O_BACKEND },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_error err = { 0 };
	struct tenant t = { 0 };
	unsigned long long mem = 512ull << 20;
	long vcpus = 1, timeout_s = 120;
	const char *kernel = NULL, *initrd = NULL, *bname = NULL;
	int c, ret = 1;
	bool made_dir = false, started = false;
	const struct vm_backend *be = NULL;
	struct vm_argv va = { 0 };
	char *kabs = NULL, *iabs = NULL;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_MEM:
			if (tenant_parse_size(optarg, 1ull << 20, &mem) < 0 || mem < (64ull << 20) ||
			    mem > (1ull << 40))
				return tenant_usage("--memory: expected a size from 64M, such as 512M or 1G");
			break;
		case O_VCPUS:
			vcpus = strtol(optarg, NULL, 10);
			if (vcpus < 1 || vcpus > 64)
				return tenant_usage("--vcpus: expected 1..64");
			break;
		case O_KERNEL: kernel = optarg; break;
		case O_INITRD: initrd = optarg; break;
		case O_BACKEND: bname = optarg; break;
		case O_TIMEOUT:
			timeout_s = strtol(optarg, NULL, 10);
			if (timeout_s < 1 || timeout_s > 3600)
				return tenant_usage("--timeout: expected seconds, 1..3600");
			break;
		case O_IMAGE: {
			const char *eq = strchr(optarg, '=');
			if (!eq || !image_name_ok(optarg, (size_t)(eq - optarg)))
				return tenant_usage("--image: expected NAME=FILE, NAME of 1..20 letters, digits, '-' or '_'");
			if (t.n_images >= TENANT_MAX_IMAGES)
				return tenant_usage("--image: too many images");
			char *file = cli_abspath(eq + 1);
			if (!file || path_check("image", file, &err) < 0) {
				free(file);
				tenant_free(&t);
				return cli_fail("tenant up", &err);
			}
			t.image_name[t.n_images] = strndup(optarg, (size_t)(eq - optarg));
			t.image_file[t.n_images++] = file;
			break;
		}
		default:
			tenant_free(&t);
			return tenant_usage("up: unknown option");
		}
	}
	if (optind + 1 != argc) {
		tenant_free(&t);
		return tenant_usage(optind >= argc ? "up: missing tenant name" : "up: too many arguments");
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < t.n_images; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(t.image_name[i], t.image_name[j])) {
				bh_error_setx(&err, EINVAL, "--image %s given twice", t.image_name[i]);
				goto fail;
			}
	if (tenant_name_validate(name, &err) < 0)
		goto fail;

	bool hw = false;
	be = bname ? vm_backend_find(bname) : vm_backend_default(&hw);
	if (!be) {
		bh_error_setx(&err, EINVAL, "--backend %s: expected builtin, qemu or libvirt", bname);
		goto fail;
	}
	if (!bname && !hw)
		printf("tenant %s: no hardware virtualisation: using QEMU TCG\n", name);

	char kbuf[PATH_MAX], ibuf[PATH_MAX + 64], dir[PATH_MAX];
	if (!kernel) {
		const char *cache = getenv("BULKHEAD_CACHE");
		snprintf(kbuf, sizeof(kbuf), "%s/kernel/current/bzImage", cache && *cache ? cache : "/var/cache/bulkhead");
		kernel = kbuf;
		if (access(kernel, R_OK) < 0) {
			bh_error_set(&err, errno, "no guest kernel at %s (run `make kernel`, or pass --kernel)", kernel);
			goto fail;
		}
	}
	if (!initrd) {
		if (vm_self_dir(dir, sizeof(dir)) < 0) {
			bh_error_set(&err, errno, "locating the bulkhead binary");
			goto fail;
		}
		snprintf(ibuf, sizeof(ibuf), "%s/../images/agent-initramfs.cpio.gz", dir);
		initrd = ibuf;
		if (access(initrd, R_OK) < 0) {
			bh_error_set(&err, errno, "no agent initramfs at %s (run `make agent-initramfs`, or pass --initrd)", initrd);
			goto fail;
		}
	}
	kabs = cli_abspath(kernel);
	iabs = cli_abspath(initrd);
	if (!kabs || !iabs || path_check("kernel", kabs, &err) < 0 || path_check("initrd", iabs, &err) < 0)
		goto fail;

	/* The directory is the lock: a second `up` of the same name fails here. */
	if (tenant_base(cli.root, dir, sizeof(dir), true, &err) < 0)
		goto fail;
	snprintf(t.name, sizeof(t.name), "%s", name);
	if (snprintf(t.dir, sizeof(t.dir), "%s/%s", dir, name) >= (int)sizeof(t.dir) - 32) {
		bh_error_setx(&err, ENAMETOOLONG, "tenant dir under %s: path too long", dir);
		goto fail;
	}
	if (mkdir(t.dir, 0700) < 0) {
		if (errno == EEXIST)
			bh_error_setx(&err, EEXIST, "tenant %s already exists (%s); `bulkhead tenant down %s` first",
				      name, t.dir, name);
		else
			bh_error_set(&err, errno, "mkdir %s", t.dir);
		goto fail;
	}
	made_dir = true;
	snprintf(t.backend, sizeof(t.backend), "%s", be->name);
	snprintf(t.status, sizeof(t.status), "starting");
	t.transport = be->transport;
	t.streams = be->streams;
	snprintf(t.sock, sizeof(t.sock), "%s/%s", t.dir, be->sock_name);
	snprintf(t.console, sizeof(t.console), "%s/console.log", t.dir);
	snprintf(t.kernel, sizeof(t.kernel), "%s", kabs);
	snprintf(t.initrd, sizeof(t.initrd), "%s", iabs);
	t.mem_mib = (long)(mem >> 20);
	t.vcpus = (int)vcpus;
	if (strlen(t.sock) >= 100) {
		bh_error_setx(&err, ENAMETOOLONG, "agent socket %s: too long for a Unix socket (shorter --root or name)", t.sock);
		goto fail;
	}
	if (tenant_save(&t, &err) < 0)
		goto fail;

	struct vm_spec spec = {
		.name = t.name, .dir = t.dir, .kernel = t.kernel, .initrd = t.initrd, .sock = t.sock,
		.console = t.console, .mem_mib = t.mem_mib, .vcpus = t.vcpus,
		.n_images = t.n_images, .image_name = t.image_name, .image_file = t.image_file,
	};
	struct up_ctx u = { .t = &t, .be = be };
	snprintf(u.vmlog, sizeof(u.vmlog), "%s/vm.log", t.dir);
	int64_t t0 = agent_now_ms();
	if (be->start) {
		started = true;
		if (be->start(&spec, &t.pid, &err) < 0)
			goto fail;
	} else if (be->build_argv(&spec, &va, &err) < 0 || vm_spawn(&t, va.v, u.vmlog, &err) < 0) {
		goto fail;
	}
	struct agent_client ac;
	json_t *ping = NULL;
	if (agent_wait_ready(&ac, t.transport, t.sock, t0 + timeout_s * 1000, up_alive, &u, &ping, &err) < 0) {
		bh_error_wrap(&err, "tenant %s", name);
		if (err.code == ETIMEDOUT) {
			/* the guest's last words say where it got stuck */
			char con[300];
			size_t l = strlen(err.msg);
			tenant_console_tail(&t, con, sizeof(con));
			snprintf(err.msg + l, sizeof(err.msg) - l, "; console: \"%s\"", con);
		}
		goto fail;
	}
	agent_client_close(&ac);
	t.ready_s = (double)(agent_now_ms() - t0) / 1000.0;
	snprintf(t.status, sizeof(t.status), "running");
	if (tenant_save(&t, &err) < 0)
		goto fail_ping;
	printf("tenant %s: up (%s, pid %d, %ld MiB, %d vCPU), agent protocol %lld ready in %.2f s\n",
	       name, t.backend, (int)t.pid, t.mem_mib, t.vcpus,
	       (long long)json_integer_value(json_object_get(ping, "version")), t.ready_s);
	json_decref(ping);
	ret = 0;
	goto out;
fail_ping:
	json_decref(ping);
fail:
	if (started && be->stop)
		be->stop(&t, NULL);
	else if (t.pid > 0) {
		kill(t.pid, SIGKILL);
		waitpid(t.pid, NULL, 0);
	}
	if (made_dir)
		tenant_remove_dir(t.dir, NULL);
	cli_fail("tenant up", &err);
out:
	free(kabs);
	free(iabs);
	vm_argv_free(&va);
	tenant_free(&t);
	return ret;
}

/* ---- down ---- */
static int tenant_down(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false;
	long timeout_s = 10;
	int c;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 't' && (timeout_s = strtol(optarg, NULL, 10)) > 0)
			continue;
		else
			return tenant_usage("down: unknown option or bad --timeout");
	}
	if (optind + 1 != argc)
		return tenant_usage("down: expected one tenant name");
	const char *name = argv[optind];
	struct bh_error err = { 0 };
	struct tenant t;
	int r = tenant_load(cli.root, name, &t, &err);
	if (r < 0 && (!force || !t.dir[0] || r == -ENOENT)) {
		tenant_free(&t);
		return cli_fail("tenant down", &err);
	}
	if (!force && strcmp(t.status, "running") != 0) {
		tenant_free(&t);
		return cli_failx("tenant down", "tenant %s is %s (its `tenant up` may still be running, or died); "
				 "use --force", name, t.status);
	}
	if (vm_stop(&t, force, (int)timeout_s * 1000, &err) < 0) {
		tenant_free(&t);
		return cli_fail("tenant down", &err);
	}
	r = tenant_remove_dir(t.dir, &err);
	tenant_free(&t);
	if (r < 0)
		return cli_fail("tenant down", &err);
	return 0;
}

/* ---- ls ---- */
static const char *live_status(const struct tenant *t)
{
	if (!strcmp(t->status, "running") && !tenant_vm_alive(t))
		return "dead";
	return t->status[0] ? t->status : "broken";
}

static int tenant_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		if (c == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "table")))
			json = !strcmp(optarg, "json");
		else
			return tenant_usage("ls: expected --format table|json");
	}
	if (optind != argc)
		return tenant_usage("ls: too many arguments");
	struct bh_error err = { 0 };
	char **names;
	size_t n;
	if (tenant_list(cli.root, &names, &n, &err) < 0)
		return cli_fail("tenant ls", &err);
	json_t *arr = json_array();
	if (!json)
		printf("%-20s %-8s %-8s %-8s %-7s %-5s %s\n", "NAME", "BACKEND", "STATUS", "PID", "MEMORY", "VCPUS", "IMAGES");
	for (size_t i = 0; i < n; i++) {
		struct tenant t;
		tenant_load(cli.root, names[i], &t, NULL);
		char imgs[512] = "";
		json_t *ji = json_object();
		for (size_t k = 0; k < t.n_images; k++) {
			size_t l = strlen(imgs);
			snprintf(imgs + l, sizeof(imgs) - l, "%s%s", k ? "," : "", t.image_name[k]);
			json_object_set_new(ji, t.image_name[k], json_string(t.image_file[k]));
		}
		if (json) {
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:i,s:I,s:i,s:f,s:o}",
				"name", t.name, "backend", t.backend, "status", live_status(&t),
				"pid", (int)t.pid, "memory_mib", (json_int_t)t.mem_mib, "vcpus", t.vcpus,
				"ready_s", t.ready_s, "images", ji));
		} else {
			json_decref(ji);
			printf("%-20s %-8s %-8s %-8d %-7ld %-5d %s\n", t.name, t.backend[0] ? t.backend : "-",
			       live_status(&t), (int)t.pid, t.mem_mib, t.vcpus, imgs[0] ? imgs : "-");
		}
		tenant_free(&t);
		free(names[i]);
	}
	free(names);
	if (json) {
		char *s = json_dumps(arr, JSON_INDENT(2));
		if (s)
			puts(s);
		free(s);
	}
	json_decref(arr);
	return 0;
}

/* ---- stats ---- */
static int tenant_stats(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-')
		return tenant_usage("stats: expected one tenant name");
	struct bh_error err = { 0 };
	struct tenant t;
	struct agent_client ac;
	json_t *res = NULL;
	if (tenant_load(cli.root, argv[1], &t, &err) < 0 ||
	    tenant_connect(&t, &ac, 5000, &err) < 0) {
		tenant_free(&t);
		return cli_fail("tenant stats", &err);
	}
	int r = agent_call(&ac, BH_M_STATS, NULL, 10000, &res, &err);
	agent_client_close(&ac);
	if (r < 0) {
		if (!tenant_vm_alive(&t))
			bh_error_wrap(&err, "VM pid %d died", (int)t.pid);
		tenant_free(&t);
		return cli_fail("tenant stats", &err);
	}
	json_t *o = json_pack("{s:s,s:s,s:i,s:I,s:O}", "name", t.name, "backend", t.backend,
			      "vm_pid", (int)t.pid, "vm_rss_kib", (json_int_t)tenant_vm_rss_kib(&t),
			      "guest", res);
	char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	if (s)
		puts(s);
	free(s);
	json_decref(o);
	json_decref(res);
	tenant_free(&t);
	return 0;
}

int cmd_tenant(int argc, char **argv)
{
	if (argc < 2)
		return tenant_usage("missing subcommand");
	const char *sub = argv[1];
	optind = 0;
	/* A VM that goes away must give an error, not kill the CLI. */
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(sub, "up"))
		return tenant_up(argc - 1, argv + 1);
	if (!strcmp(sub, "down"))
		return tenant_down(argc - 1, argv + 1);
	if (!strcmp(sub, "ls") || !strcmp(sub, "list"))
		return tenant_ls(argc - 1, argv + 1);
	if (!strcmp(sub, "stats"))
		return tenant_stats(argc - 1, argv + 1);
	if (!strcmp(sub, "run"))
		return tenant_cmd_run(argc - 1, argv + 1);
	if (!strcmp(sub, "exec"))
		return tenant_cmd_exec(argc - 1, argv + 1);
	if (!strcmp(sub, "kill") || !strcmp(sub, "rm"))
		return tenant_cmd_kill(argc - 1, argv + 1);
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		fputs(TENANT_USAGE, stdout);
		return 0;
	}
	return tenant_usage("unknown subcommand");
}
