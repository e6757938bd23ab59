/* bulkhead tenant run|exec|kill|rm: containers inside a tenant's VM.
 * The OCI config starts from bh_spec_default_json, so a container in a VM
 * gets the same security defaults as one in bare mode. */
#include "cli.h"
#include "tenant.h"
#include "vm_stdio.h"
#include "vm_upload.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

/* ext4 or squashfs, from the image's magic. */
static int image_fstype(const char *file, const char **fstype, struct bh_error *err)
{
	unsigned char b[4];
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bh_error_set(err, errno, "image %s", file);
	if (pread(fd, b, 4, 0) == 4 && !memcmp(b, "hsqs", 4)) {
		*fstype = "squashfs";
		return 0;
	}
	if (pread(fd, b, 2, 1080) == 2 && b[0] == 0x53 && b[1] == 0xef) {
		*fstype = "ext4";
		return 0;
	}
	return bh_error_setx(err, EINVAL, "image %s: neither squashfs nor ext4 (no magic)", file);
}

static void env_set(json_t *env, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	for (size_t i = 0; i < json_array_size(env); i++) {
		const char *e = json_string_value(json_array_get(env, i));
		if (e && !strncmp(e, kv, klen) && e[klen] == '=') {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
}

static json_t *args_array(int argc, char **argv)
{
	json_t *a = json_array();
	for (int i = 0; i < argc; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

static json_t *default_config(struct bh_error *err)
{
	_cleanup_free_ char *text = bh_spec_default_json(false);
	json_error_t je;
	json_t *cfg = text ? json_loads(text, 0, &je) : NULL;
	if (!cfg)
		bh_error_setx(err, EINVAL, "default OCI config: %s", text ? je.text : "out of memory");
	return cfg;
}

/* Wait for a process, signals forwarded meanwhile, and relay its captured
 * output; returns its status. */
static int wait_and_relay(struct agent_client *ac, const struct tenant *t, const char *id,
			  unsigned exec_id, int *status, struct bh_error *err)
{
	json_t *res = NULL;
	vm_forward_signals(true);
	int r = vm_wait_forwarding(ac, id, exec_id, -1, &res, err);
	vm_forward_signals(false);
	if (r < 0) {
		/* A VM being killed closes the channel just before it is gone. */
		for (int i = 0; i < 20 && tenant_vm_alive(t); i++)
			usleep(50 * 1000);
		if (!tenant_vm_alive(t))
			bh_error_wrap(err, "tenant %s: VM (pid %d) died while container %s ran",
				      t->name, (int)t->pid, id);
		return -err->code;
	}
	*status = vm_wait_result(res, "tenant", id);
	json_decref(res);
	return 0;
}

static void report_oom(struct agent_client *ac, const char *id)
{
	json_t *res = NULL;
	struct bh_error e = { 0 };
	if (agent_call(ac, BH_M_STATS, json_pack("{s:s}", "id", id), 10000, &res, &e) < 0)
		return;
	long long ooms = json_integer_value(json_object_get(res, "oom_kills"));
	if (ooms > 0)
		fprintf(stderr, "bulkhead: tenant run: container %s: killed by the OOM killer "
			"(%lld OOM kill(s), memory limit %lld bytes)\n", id, ooms,
			(long long)json_integer_value(json_object_get(res, "mem_limit")));
	json_decref(res);
}

int tenant_cmd_run(int argc, char **argv)
{
	enum { O_IMAGE = 256, O_ROOTFS, O_UPLOAD, O_MEM, O_PIDS, O_ENV, O_DETACH, O_ID, O_STDIO, O_INTER };
	static const struct option opts[] = {
		{ "image", required_argument, NULL, O_IMAGE },
		{ "rootfs", required_argument, NULL, O_ROOTFS },
		{ "upload", required_argument, NULL, O_UPLOAD },
		{ "memory", required_argument, NULL, O_MEM },
		{ "pids", required_argument, NULL, O_PIDS },
		{ "env", required_argument, NULL, O_ENV },
		{ "detach", no_argument, NULL, O_DETACH },
		{ "id", required_argument, NULL, O_ID },
		{ "stdio", required_argument, NULL, O_STDIO },
		{ "interactive", no_argument, NULL, O_INTER },
		{ NULL, 0, NULL, 0 },
	};
	const char *image = NULL, *rootfs = NULL, *upload = NULL, *id = NULL;
	unsigned long long mem = 0;
	long pids = 0;
	bool detach = false;
	int want_streams = -1;      /* --stdio: default by channel */
	bool interactive = false;   /* -i: our stdin goes to the container (like docker -i) */
	struct bh_error err = { 0 };
	json_t *cfg = NULL, *env = NULL;
	int c;

	cfg = default_config(&err);
	if (!cfg)
		return cli_fail("tenant run", &err);
	json_t *proc = json_object_get(cfg, "process");
	env = json_object_get(proc, "env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(proc, "env", env);
	}
	while ((c = getopt_long(argc, argv, "e:di", opts, NULL)) != -1) {
		switch (c) {
		case O_IMAGE: image = optarg; break;
		case O_ROOTFS: rootfs = optarg; break;
		case O_UPLOAD: upload = optarg; break;
		case O_MEM:
			if (tenant_parse_size(optarg, 1, &mem) < 0 || mem < (1u << 20)) {
				json_decref(cfg);
				return cli_failx("tenant run", "--memory %s: expected a size of at least 1M", optarg);
			}
			break;
		case O_PIDS:
			pids = strtol(optarg, NULL, 10);
			if (pids < 1) {
				json_decref(cfg);
				return cli_failx("tenant run", "--pids %s: expected a positive number", optarg);
			}
			break;
		case 'e':
		case O_ENV:
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				json_decref(cfg);
				return cli_failx("tenant run", "--env %s: expected K=V", optarg);
			}
			env_set(env, optarg);
			break;
		case 'd':
		case O_DETACH: detach = true; break;
		case O_ID: id = optarg; break;
		case 'i':
		case O_INTER: interactive = true; break;
		case O_STDIO:
			if (strcmp(optarg, "capture") && strcmp(optarg, "streams")) {
				json_decref(cfg);
				return cli_failx("tenant run", "--stdio %s: expected capture or streams", optarg);
			}
			want_streams = !strcmp(optarg, "streams");
			break;
		default:
			json_decref(cfg);
			return cli_failx("tenant run", "unknown option (see bulkhead tenant --help)");
		}
	}
	if (optind >= argc) {
		json_decref(cfg);
		return cli_failx("tenant run", "missing tenant name");
	}
	const char *name = argv[optind++];
	if (optind >= argc) {
		json_decref(cfg);
		return cli_failx("tenant run", "missing command (bulkhead tenant run NAME [options] -- CMD [ARGS...])");
	}
	if (detach && !id) {
		json_decref(cfg);
		return cli_failx("tenant run", "--detach needs --id ID");
	}
	char idbuf[40];
	if (!id) {
		unsigned char rnd[8];
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			memset(rnd, 0, sizeof(rnd));
		snprintf(idbuf, sizeof(idbuf), "run-%02x%02x%02x%02x%02x%02x%02x%02x",
			 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
		id = idbuf;
	}
	json_object_set_new(proc, "args", args_array(argc - optind, argv + optind));
	json_object_set_new(proc, "terminal", json_false());
	json_t *linux_ = json_object_get(cfg, "linux");
	json_t *res_ = json_object_get(linux_, "resources");
	if (linux_ && !res_) {
		res_ = json_object();
		json_object_set_new(linux_, "resources", res_);
	}
	if (mem)
		json_object_set_new(res_, "memory", json_pack("{s:I}", "limit", (json_int_t)mem));
	if (pids)
		json_object_set_new(res_, "pids", json_pack("{s:I}", "limit", (json_int_t)pids));

	struct tenant t;
	struct agent_client ac = { .fd = -1 };
	json_t *jroot = NULL, *res = NULL;
	int status = 255, ret = 1;
	int sfd[3] = { -1, -1, -1 };
	bool created = false;
	char upname[BH_PROTO_UPLOAD_NAME_MAX + 1];
	if (tenant_load(cli.root, name, &t, &err) < 0)
		goto out;
	if (!!rootfs + !!upload + !!image > 1) {
		bh_error_setx(&err, EINVAL, "--image, --rootfs and --upload are exclusive");
		goto out;
	}
	if (upload) {
		/* The host tree goes over the agent channel as a tar; the agent
		 * unpacks it into a tmpfs that becomes the container's root. */
		vm_upload_name(id, upname, sizeof(upname));
		jroot = json_pack("{s:s}", "upload", upname);
	} else if (rootfs) {
		if (rootfs[0] != '/') {
			bh_error_setx(&err, EINVAL, "--rootfs %s: expected an absolute path in the guest", rootfs);
			goto out;
		}
		jroot = json_pack("{s:s}", "path", rootfs);
	} else {
		if (!image && t.n_images == 1)
			image = t.image_name[0];
		if (!image) {
			bh_error_setx(&err, EINVAL, "tenant %s has %zu images: pick one with --image NAME (or --rootfs)",
				      name, t.n_images);
			goto out;
		}
		const char *file = NULL, *fstype = NULL;
		for (size_t i = 0; i < t.n_images; i++)
			if (!strcmp(t.image_name[i], image))
				file = t.image_file[i];
		if (!file) {
			bh_error_setx(&err, ENOENT, "tenant %s has no image %s (tenant up --image %s=FILE)", name, image, image);
			goto out;
		}
		if (image_fstype(file, &fstype, &err) < 0)
			goto out;
		jroot = json_pack("{s:s,s:s}", "serial", image, "fstype", fstype);
	}
	if (tenant_connect(&t, &ac, 10000, &err) < 0)
		goto out;
	if (interactive && (detach || want_streams == 0 || !t.streams)) {
		bh_error_setx(&err, EINVAL, "-i needs stdio streams (the builtin backend's vsock), not %s%s",
			      detach ? "--detach" : "the ", detach ? "" : t.backend);
		goto out;
	}
	if (want_streams == 1 && !t.streams) {
		bh_error_setx(&err, EINVAL, "--stdio streams: tenant %s's channel (%s) carries one connection only",
			      name, t.backend);
		goto out;
	}
	bool streams = (want_streams < 0 ? t.streams : want_streams == 1) && !detach;
	if (upload && vm_upload_dir(&ac, upload, upname, 60000, &err) < 0) {
		bh_error_wrap(&err, "--upload %s", upload);
		goto out;
	}
	if (agent_call(&ac, BH_M_CREATE, json_pack("{s:s,s:O,s:O,s:s}", "id", id, "config", cfg,
						   "rootfs", jroot, "stdio",
						   detach ? "null" : streams ? "streams" : "capture"),
		       60000, &res, &err) < 0)
		goto out;
	created = true;
	if (streams) {
		json_t *st = json_object_get(res, "streams");
		if (vm_stream_open(&t, st, "stdin", &sfd[0], &err) < 0 ||
		    vm_stream_open(&t, st, "stdout", &sfd[1], &err) < 0 ||
		    vm_stream_open(&t, st, "stderr", &sfd[2], &err) < 0)
			goto out;
	}
	json_decref(res);
	res = NULL;
	if (agent_call(&ac, BH_M_START, json_pack("{s:s}", "id", id), 30000, &res, &err) < 0)
		goto out;
	json_decref(res);
	res = NULL;
	if (detach) {
		printf("%s\n", id);
		created = false;
		ret = 0;
		goto out;
	}
	if (streams) {
		if (!interactive) {
			/* Without -i the container's stdin is empty: never read
			 * ours (a background read from a tty would stop us). */
			shutdown(sfd[0], SHUT_WR);
			close(sfd[0]);
			sfd[0] = -1;
		}
		vm_forward_signals(true);
		vm_stream_relay(sfd[0] >= 0 ? 0 : -1, 1, 2, sfd, &ac, id, 0);
	}
	if (wait_and_relay(&ac, &t, id, 0, &status, &err) < 0)
		goto out;
	if (status == 128 + SIGKILL)
		report_oom(&ac, id);
	ret = status;
out:
	if (created && ac.fd >= 0) {
		struct bh_error e2 = { 0 };
		json_t *r2 = NULL;
		if (agent_call(&ac, BH_M_DELETE, json_pack("{s:s,s:b}", "id", id, "force", 1),
			       30000, &r2, &e2) < 0 && ret != 1)
			fprintf(stderr, "bulkhead: tenant run: delete %s: %s\n", id, e2.msg);
		json_decref(r2);
	}
	if (ret == 1 && err.code)
		cli_fail("tenant run", &err);
	for (int i = 0; i < 3; i++)
		if (sfd[i] >= 0)
			close(sfd[i]);
	agent_client_close(&ac);
	json_decref(res);
	json_decref(jroot);
	json_decref(cfg);
	tenant_free(&t);
	return ret;
}

int tenant_cmd_exec(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--"))
		return cli_failx("tenant exec", "usage: bulkhead tenant exec NAME ID -- CMD [ARGS...]");
	struct bh_error err = { 0 };
	json_t *cfg = default_config(&err);
	if (!cfg)
		return cli_fail("tenant exec", &err);
	json_t *proc = json_deep_copy(json_object_get(cfg, "process"));
	json_decref(cfg);
	json_object_set_new(proc, "args", args_array(argc - 4, argv + 4));
	json_object_set_new(proc, "terminal", json_false());
	struct tenant t;
	struct agent_client ac = { .fd = -1 };
	json_t *res = NULL;
	int status = 1;
	if (tenant_load(cli.root, argv[1], &t, &err) < 0 ||
	    tenant_connect(&t, &ac, 10000, &err) < 0 ||
	    agent_call(&ac, BH_M_EXEC, json_pack("{s:s,s:O,s:s}", "id", argv[2], "process", proc,
						 "stdio", "capture"), 30000, &res, &err) < 0)
		goto fail;
	unsigned eid = (unsigned)json_integer_value(json_object_get(res, "exec_id"));
	if (wait_and_relay(&ac, &t, argv[2], eid, &status, &err) < 0)
		goto fail;
	json_decref(res);
	json_decref(proc);
	agent_client_close(&ac);
	tenant_free(&t);
	return status;
fail:
	json_decref(res);
	json_decref(proc);
	agent_client_close(&ac);
	tenant_free(&t);
	return cli_fail("tenant exec", &err);
}

/* kill NAME ID [SIG], and rm NAME ID (delete --force) */
int tenant_cmd_kill(int argc, char **argv)
{
	bool rm = !strcmp(argv[0], "rm");
	const char *verb = rm ? "tenant rm" : "tenant kill";
	if (argc < 3 || argc > (rm ? 3 : 4))
		return cli_failx(verb, rm ? "usage: bulkhead tenant rm NAME ID"
				       : "usage: bulkhead tenant kill NAME ID [SIGNAL]");
	int sig = SIGTERM;
	if (!rm && argc == 4 && (sig = cli_parse_signal(argv[3])) < 0)
		return cli_failx(verb, "unknown signal %s", argv[3]);
	struct bh_error err = { 0 };
	struct tenant t;
	struct agent_client ac = { .fd = -1 };
	json_t *res = NULL;
	int r = tenant_load(cli.root, argv[1], &t, &err);
	if (r == 0)
		r = tenant_connect(&t, &ac, 10000, &err);
	if (r == 0)
		r = rm ? agent_call(&ac, BH_M_DELETE, json_pack("{s:s,s:b}", "id", argv[2], "force", 1),
				    30000, &res, &err)
		       : agent_call(&ac, BH_M_SIGNAL, json_pack("{s:s,s:i}", "id", argv[2], "signal", sig),
				    10000, &res, &err);
	json_decref(res);
	agent_client_close(&ac);
	tenant_free(&t);
	return r < 0 ? cli_fail(verb, &err) : 0;
}
