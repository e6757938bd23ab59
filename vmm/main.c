/* bulkhead-vmm: boot a microVM from a JSON config and/or flags; exits when
 * the guest ends (status says how, see docs/vmm.md) or on SIGTERM/SIGINT. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/config.h"
#include "vmm/machine.h"
#include "vmm/virtio.h"

enum { OPT_CONFIG = 256, OPT_KERNEL, OPT_INITRD, OPT_CMDLINE, OPT_MEMORY, OPT_VCPUS, OPT_DISK,
       OPT_VSOCK, OPT_CONSOLE, OPT_SERIAL, OPT_SERIAL_INPUT, OPT_RNG, OPT_HUGEPAGES, OPT_PVH, OPT_API,
       OPT_VERBOSE, OPT_HELP };

static const struct option vmm_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "vsock", required_argument, NULL, OPT_VSOCK },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "serial-input", no_argument, NULL, OPT_SERIAL_INPUT },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "hugepages", no_argument, NULL, OPT_HUGEPAGES },
	{ "pvh", no_argument, NULL, OPT_PVH },
	{ "api-sock", required_argument, NULL, OPT_API },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ 0 },
};

static void usage(FILE *f)
{
	fputs("usage: bulkhead-vmm [--config FILE] [--kernel PATH] [--initrd PATH] [--cmdline TEXT]\n"
	      "         [--memory MiB] [--vcpus N] [--disk PATH[,ro][,serial=S]]... [--vsock CID,UDS]\n"
	      "         [--console stdout|off|file:PATH] [--serial stdout|off|file:PATH] [--serial-input]\n"
	      "         [--rng] [--hugepages] [--pvh] [--api-sock PATH] [--verbose]\n"
	      "exit status: 0 guest powered off (halted), 1 error, 2 shutdown (triple fault),\n"
	      "             3 reset through the i8042, 4 stopped by the host (signal, api)\n", f);
}

static int parse_uint(const char *flag, const char *s, uint64_t min, uint64_t max, uint64_t *out,
		      struct bh_error *err)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return bh_error_setx(err, EINVAL, "--%s %s: want an integer in %llu..%llu", flag, s,
				     (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

/* Flags override the config file, whatever their order: --config is read
 * in a first pass. */
static int parse_args(int argc, char **argv, struct vmm_config *c, int *verbose, struct bh_error *err)
{
	int o, r = 0;
	uint64_t u;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "", vmm_opts, NULL)) != -1) {
		if (o == OPT_CONFIG && (r = vmm_config_load(c, optarg, err)) < 0)
			return r;
		if (o == OPT_HELP) {
			usage(stdout);
			exit(0);
		}
	}
	optind = 1;
	opterr = 1;
	while ((o = getopt_long(argc, argv, "", vmm_opts, NULL)) != -1) {
		switch (o) {
		case OPT_CONFIG: break;
		case OPT_KERNEL: r = set_str(&c->kernel, optarg); break;
		case OPT_INITRD: r = set_str(&c->initrd, optarg); break;
		case OPT_CMDLINE: r = set_str(&c->cmdline, optarg); break;
		case OPT_MEMORY:
			r = parse_uint("memory", optarg, 4, VMM_CONFIG_MAX_MEMORY_MIB, &u, err);
			c->memory_mib = u;
			break;
		case OPT_VCPUS:
			r = parse_uint("vcpus", optarg, 1, 32, &u, err);
			c->vcpus = (unsigned)u;
			break;
		case OPT_DISK: r = vmm_config_add_disk(c, optarg, err); break;
		case OPT_VSOCK: r = vmm_config_set_vsock(c, optarg, err); break;
		case OPT_CONSOLE:
			if ((r = vmm_config_set_out(&c->console, optarg, err)) < 0)
				bh_error_wrap(err, "--console");
			break;
		case OPT_SERIAL:
			if ((r = vmm_config_set_out(&c->serial, optarg, err)) < 0)
				bh_error_wrap(err, "--serial");
			break;
		case OPT_SERIAL_INPUT: c->serial_input = true; break;
		case OPT_RNG: c->rng = true; break;
		case OPT_HUGEPAGES: c->hugepages = true; break;
		case OPT_PVH: c->pvh = true; break;
		case OPT_API: r = set_str(&c->api_sock, optarg); break;
		case OPT_VERBOSE: (*verbose)++; break;
		default:
			usage(stderr);
			return bh_error_setx(err, EINVAL, "bad command line");
		}
		if (r == -ENOMEM)
			return bh_error_set(err, ENOMEM, "arguments");
		if (r < 0)
			return r;
	}
	if (optind < argc)
		return bh_error_setx(err, EINVAL, "unexpected argument \"%s\"", argv[optind]);
	return vmm_config_check(c, err);
}

static int open_out(const struct vmm_out_cfg *o, const char *what, struct bh_error *err)
{
	if (o->mode == VMM_OUT_OFF)
		return -1;
	if (o->mode == VMM_OUT_STDOUT)
		return STDOUT_FILENO;
	int fd = open(o->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return bh_error_set(err, errno, "%s output %s", what, o->path), -2;
	return fd;
}

/* VmHWM of this process image (not counting what the parent had before
 * exec, unlike ru_maxrss): the VMM's own peak RSS. */
static void log_peak_rss(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			bh_log_info("peak RSS%s", line + 6 + strspn(line + 6, " \t") - 1);
	if (f)
		fclose(f);
}

static int add_devices(struct vmm *vm, const struct vmm_config *c, struct bh_error *err)
{
	int r;
	int sfd = open_out(&c->serial, "serial", err);
	if (sfd == -2)
		return -err->code;
	struct vmm_serial_opts so = { .out_fd = sfd, .in_fd = c->serial_input ? STDIN_FILENO : -1 };
	if ((r = vmm_serial_add(vm, &so, err)) < 0 || (r = vmm_rtc_add(vm, err)) < 0 ||
	    (r = vmm_i8042_add(vm, err)) < 0)
		return r;
	for (size_t i = 0; i < c->ndrives; i++) {
		struct vmm_blk_opts b = { c->drives[i].path, c->drives[i].readonly, c->drives[i].serial };
		if ((r = virtio_blk_add(vm, &b, err)) < 0)
			return bh_error_wrap(err, "drive %zu", i);
	}
	if (c->vsock) {
		struct vmm_vsock_opts v = { c->vsock_cid, c->vsock_uds };
		if ((r = virtio_vsock_add(vm, &v, err)) < 0)
			return r;
	}
	if (c->console.mode != VMM_OUT_OFF) {
		int cfd = open_out(&c->console, "console", err);
		if (cfd == -2)
			return -err->code;
		if ((r = virtio_console_add(vm, c->serial_input ? -1 : STDIN_FILENO, cfd, err)) < 0)
			return r;
	}
	if (c->rng && (r = virtio_rng_add(vm, err)) < 0)
		return r;
	return 0;
}

int main(int argc, char **argv)
{
	struct vmm_config c;
	struct bh_error err = { 0 };
	struct vmm *vm = NULL;
	int verbose = 0, status = 1;
	uint64_t t0 = vmm_now_ns(), t_kvm = 0, t_boot = 0;

	/* Block the stop signals before any thread exists; the event loop
	 * reads them from a signalfd. A closed output pipe must not kill us. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	vmm_config_init(&c);
	if (parse_args(argc, argv, &c, &verbose, &err) < 0)
		goto out;
	bh_log_open(NULL, 0, verbose > 1 ? BH_LOG_DEBUG : verbose ? BH_LOG_INFO : BH_LOG_WARN);

	struct vmm_machine_opts mo = { .vcpus = c.vcpus, .memory_mib = c.memory_mib,
				       .hugepages = c.hugepages };
	if (vmm_create(&vm, &mo, &err) < 0)
		goto out;
	t_kvm = vmm_now_ns();
	if (vmm_cmdline_append(vm, c.cmdline ? c.cmdline : VMM_DEFAULT_CMDLINE, &err) < 0 ||
	    add_devices(vm, &c, &err) < 0 ||
	    vmm_boot_linux(vm, c.kernel, c.initrd, c.pvh, &err) < 0 ||
	    (c.api_sock && vmm_api_listen(vm, c.api_sock, &err) < 0))
		goto out;
	t_boot = vmm_now_ns();
	enum vmm_exit_reason why = vmm_run(vm, &err);
	/* Where start-up time goes (bench-vmm reads this). */
	bh_log_info("timing: kvm setup %.2f ms, devices+boot %.2f ms, first KVM_RUN at %.2f ms",
		    (double)(t_kvm - t0) / 1e6, (double)(t_boot - t_kvm) / 1e6,
		    (double)(atomic_load(&vm->first_run_ns) - t0) / 1e6);
	if (why == VMM_EXIT_ERROR && err.msg[0])
		goto out;
	bh_log_info("guest ended: %s", vmm_exit_name(why));
	log_peak_rss();
	status = vmm_exit_status(why);
	err.msg[0] = 0;
out:
	if (err.msg[0])
		fprintf(stderr, "bulkhead-vmm: %s\n", err.msg);
	if (c.api_sock && vm)
		unlink(c.api_sock);
	/* vCPUs and the loop have stopped: virtio devices close their files
	 * and sockets (and remove the vsock socket file). */
	virtio_devices_destroy();
	vmm_destroy(vm);
	vmm_config_free(&c);
	return status;
}
