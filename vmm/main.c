/* bulkhead-vmm: boot a microVM from a JSON config and/or flags; exits when
 * the guest ends (status says how, see docs/vmm.md) or on SIGTERM/SIGINT. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/config.h"
#include "vmm/jail.h"
#include "vmm/machine.h"
#include "vmm/seccomp.h"
#include "vmm/virtio.h"

/* ASan/LSan's runtime (leak check at exit: a tracer thread, ptrace) needs
 * syscalls no filter allows: seccomp defaults to off in those builds. */
#if defined(__SANITIZE_ADDRESS__)
#define VMM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VMM_SANITIZED 1
#endif
#endif
#ifndef VMM_SANITIZED
#define VMM_SANITIZED 0
#endif

enum { OPT_CONFIG = 256, OPT_KERNEL, OPT_INITRD, OPT_CMDLINE, OPT_MEMORY, OPT_VCPUS, OPT_DISK,
       OPT_VSOCK, OPT_CONSOLE, OPT_SERIAL, OPT_SERIAL_INPUT, OPT_RNG, OPT_HUGEPAGES, OPT_PVH, OPT_API,
       OPT_VERBOSE, OPT_HELP, OPT_JAIL, OPT_JAIL_DIR, OPT_JAIL_CGROUP, OPT_JAIL_NO_NETNS, OPT_SECCOMP,
       OPT_NO_SECCOMP };

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
	{ "jail", required_argument, NULL, OPT_JAIL },
	{ "jail-dir", required_argument, NULL, OPT_JAIL_DIR },
	{ "jail-cgroup", required_argument, NULL, OPT_JAIL_CGROUP },
	{ "jail-no-netns", no_argument, NULL, OPT_JAIL_NO_NETNS },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
	{ 0 },
};

static void usage(FILE *f)
{
	fputs("usage: bulkhead-vmm [--config FILE] [--kernel PATH] [--initrd PATH] [--cmdline TEXT]\n"
	      "         [--memory MiB] [--vcpus N] [--disk PATH[,ro][,serial=S]]... [--vsock CID,UDS]\n"
	      "         [--console stdout|off|file:PATH] [--serial stdout|off|file:PATH] [--serial-input]\n"
	      "         [--rng] [--hugepages] [--pvh] [--api-sock PATH] [--verbose]\n"
	      "         [--jail UID:GID [--jail-dir DIR] [--jail-cgroup DIR]... [--jail-no-netns]]\n"
	      "         [--seccomp kill|log|off] [--no-seccomp]\n"
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
		case OPT_JAIL: r = vmm_config_set_jail(c, optarg, err); break;
		case OPT_JAIL_DIR: r = set_str(&c->jail.chroot_dir, optarg); break;
		case OPT_JAIL_CGROUP: r = vmm_config_add_cgroup(c, optarg, err); break;
		case OPT_JAIL_NO_NETNS: c->jail.keep_netns = true; break;
		case OPT_SECCOMP:
			if ((r = vmm_config_set_seccomp(c, optarg, err)) < 0)
				bh_error_wrap(err, "--seccomp");
			break;
		case OPT_NO_SECCOMP: c->seccomp = VMM_SECCOMP_OFF; break;
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
 * exec, unlike ru_maxrss): the VMM's own peak RSS. fd is /proc/self/status,
 * opened before the jail (no /proc inside, and no open() under seccomp);
 * reading it again from offset 0 gives fresh figures. */
static void log_peak_rss(int fd)
{
	char buf[2048];
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
	if (n <= 0)
		return;
	buf[n] = 0;
	char *l = strstr(buf, "\nVmHWM:");
	if (l) {
		l += 7;
		l[strcspn(l, "\n")] = 0;
		bh_log_info("peak RSS%s", l + strspn(l, " \t") - 1);
	}
}

/* Jail paths: the socket paths as the jailed VMM reaches them. */
struct jail_paths {
	char *root;               /* NULL: an empty tmpfs */
	char *vsock, *api;        /* inside the jail, or NULL */
};

static int jail_paths(const struct vmm_config *c, struct jail_paths *jp, struct bh_error *err)
{
	int r;
	if (!c->jail.on)
		return 0;
	if ((r = vmm_jail_root(&c->jail, c->vsock ? c->vsock_uds : NULL, c->api_sock, &jp->root, err)) < 0)
		return r;
	if (c->vsock && (r = vmm_jail_inside(jp->root, c->vsock_uds, "vsock socket", &jp->vsock, err)) < 0)
		return r;
	if (c->api_sock && (r = vmm_jail_inside(jp->root, c->api_sock, "api socket", &jp->api, err)) < 0)
		return r;
	return 0;
}

static int add_devices(struct vmm *vm, const struct vmm_config *c, const struct jail_paths *jp,
		       struct bh_error *err)
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
		struct vmm_vsock_opts v = { c->vsock_cid, c->vsock_uds, jp->vsock };
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
	struct vmm_seccomp *filters = NULL;
	struct jail_paths jp = { 0 };
	int verbose = 0, status = 1, status_fd = -1;
	bool jailed = false;
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
	if (c.seccomp == VMM_SECCOMP_DEFAULT)
		c.seccomp = VMM_SANITIZED ? VMM_SECCOMP_OFF : VMM_SECCOMP_KILL;
	else if (c.seccomp == VMM_SECCOMP_OFF)
		bh_log_warn("seccomp is off: a guest that takes over the VMM may make any system call");
	/* Before any guest memory exists, so that it is charged there. */
	if (vmm_jail_cgroups(&c.jail, &err) < 0 || jail_paths(&c, &jp, &err) < 0)
		goto out;

	struct vmm_machine_opts mo = { .vcpus = c.vcpus, .memory_mib = c.memory_mib,
				       .hugepages = c.hugepages };
	if (vmm_create(&vm, &mo, &err) < 0)
		goto out;
	t_kvm = vmm_now_ns();
	if (vmm_cmdline_append(vm, c.cmdline ? c.cmdline : VMM_DEFAULT_CMDLINE, &err) < 0 ||
	    add_devices(vm, &c, &jp, &err) < 0 ||
	    vmm_boot_linux(vm, c.kernel, c.initrd, c.pvh, &err) < 0 ||
	    (c.api_sock && vmm_api_listen(vm, c.api_sock, &err) < 0))
		goto out;
	if (verbose)
		status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	/* glibc reads /etc/localtime on the first time conversion (the RTC,
	 * logs): now, while open() is allowed and the file can be seen. */
	tzset();
	/* Everything is open: filters (they name the KVM fds), then the jail. */
	int vcpu_fds[VMM_MAX_VCPUS];
	for (unsigned i = 0; i < vm->nvcpus; i++)
		vcpu_fds[i] = vm->vcpus[i].fd;
	struct vmm_seccomp_params sp = { .mode = c.seccomp, .vm_fd = vm->vm_fd, .vcpu_fds = vcpu_fds,
					 .nvcpus = vm->nvcpus, .vcpu_devices = virtio_notify_on_vcpu() };
	if (vmm_seccomp_build(&sp, &filters, &err) < 0)
		goto out;
	int jr = vmm_jail_enter(&c.jail, jp.root, &jailed, &err);
	if (jailed)
		virtio_vsock_jailed();
	if (jr < 0)
		goto out;
	vm->seccomp = filters;
	t_boot = vmm_now_ns();
	enum vmm_exit_reason why = vmm_run(vm, &err);
	/* Where start-up time goes (bench-vmm reads this). */
	bh_log_info("timing: kvm setup %.2f ms, devices+boot %.2f ms, first KVM_RUN at %.2f ms",
		    (double)(t_kvm - t0) / 1e6, (double)(t_boot - t_kvm) / 1e6,
		    (double)(atomic_load(&vm->first_run_ns) - t0) / 1e6);
	if (why == VMM_EXIT_ERROR && err.msg[0])
		goto out;
	bh_log_info("guest ended: %s", vmm_exit_name(why));
	log_peak_rss(status_fd);
	status = vmm_exit_status(why);
	err.msg[0] = 0;
out:
	if (err.msg[0])
		fprintf(stderr, "bulkhead-vmm: %s\n", err.msg);
	if (c.api_sock && vm)
		unlink(jailed ? jp.api : c.api_sock);
	/* vCPUs and the loop have stopped: virtio devices close their files
	 * and sockets (and remove the vsock socket file). */
	virtio_devices_destroy();
	vmm_destroy(vm);
	vmm_seccomp_free(filters);
	vmm_config_free(&c);
	free(jp.root);
	free(jp.vsock);
	free(jp.api);
	if (status_fd >= 0)
		close(status_fd);
	return status;
}
