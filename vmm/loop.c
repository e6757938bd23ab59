/* The event loop (epoll), on its own thread while the vCPU threads run
 * the guest: device fd callbacks, the exit request eventfd, SIGTERM/SIGINT
 * through a signalfd, and the halt-poll timer. */
#include "vmm/machine.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/seccomp.h"

struct vmm_loop_entry {
	vmm_fd_cb cb;
	void *opaque;
};

/* Halt-poll period: fast at first (a tiny guest is done in microseconds),
 * then backing off so a long-running guest is barely disturbed. */
#define TICK_FIRST_NS 250000L
#define TICK_MAX_NS   20000000L

int vmm_loop_init(struct vmm *vm, struct bh_error *err)
{
	vm->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (vm->epfd < 0)
		return bh_error_set(err, errno, "epoll_create1");
	vm->exit_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->exit_efd < 0)
		return bh_error_set(err, errno, "eventfd");
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = vm->exit_efd };
	if (epoll_ctl(vm->epfd, EPOLL_CTL_ADD, vm->exit_efd, &ev) < 0)
		return bh_error_set(err, errno, "epoll_ctl");
	return 0;
}

void vmm_loop_free(struct vmm *vm)
{
	for (int i = 0; i < vm->loop_nfds; i++)
		free(vm->loop_fds[i]);
	free(vm->loop_fds);
	vm->loop_fds = NULL;
	vm->loop_nfds = 0;
	if (vm->epfd >= 0)
		close(vm->epfd);
	if (vm->exit_efd >= 0)
		close(vm->exit_efd);
	vm->epfd = vm->exit_efd = -1;
}

int vmm_loop_add(struct vmm *vm, int fd, uint32_t events, vmm_fd_cb cb,
		 void *opaque, struct bh_error *err)
{
	if (fd < 0 || !cb)
		return bh_error_setx(err, EINVAL, "event loop: bad fd %d", fd);
	struct vmm_loop_entry *e = malloc(sizeof(*e));
	if (!e)
		return bh_error_set(err, ENOMEM, "event loop entry");
	*e = (struct vmm_loop_entry){ cb, opaque };
	pthread_mutex_lock(&vm->loop_lock);
	if (fd >= vm->loop_nfds) {
		int n = fd + 16;
		struct vmm_loop_entry **a = realloc(vm->loop_fds, (size_t)n * sizeof(*a));
		if (!a) {
			pthread_mutex_unlock(&vm->loop_lock);
			free(e);
			return bh_error_set(err, ENOMEM, "event loop table");
		}
		memset(a + vm->loop_nfds, 0, (size_t)(n - vm->loop_nfds) * sizeof(*a));
		vm->loop_fds = a;
		vm->loop_nfds = n;
	}
	if (vm->loop_fds[fd]) {
		pthread_mutex_unlock(&vm->loop_lock);
		free(e);
		return bh_error_setx(err, EEXIST, "event loop: fd %d already watched", fd);
	}
	vm->loop_fds[fd] = e;
	pthread_mutex_unlock(&vm->loop_lock);
	struct epoll_event ev = { .events = events, .data.fd = fd };
	if (epoll_ctl(vm->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = bh_error_set(err, errno, "event loop: epoll_ctl add fd %d", fd);
		pthread_mutex_lock(&vm->loop_lock);
		vm->loop_fds[fd] = NULL;
		pthread_mutex_unlock(&vm->loop_lock);
		free(e);
		return r;
	}
	return 0;
}

int vmm_loop_mod(struct vmm *vm, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };
	return epoll_ctl(vm->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void vmm_loop_del(struct vmm *vm, int fd)
{
	if (fd < 0)
		return;
	epoll_ctl(vm->epfd, EPOLL_CTL_DEL, fd, NULL);
	pthread_mutex_lock(&vm->loop_lock);
	if (fd < vm->loop_nfds) {
		free(vm->loop_fds[fd]);
		vm->loop_fds[fd] = NULL;
	}
	pthread_mutex_unlock(&vm->loop_lock);
}

static int loop_signalfd(struct vmm *vm)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -1;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	if (epoll_ctl(vm->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void tick_arm(int tfd, long ns)
{
	struct itimerspec it = { .it_value = { ns / 1000000000L, ns % 1000000000L } };
	timerfd_settime(tfd, 0, &it, NULL);
}

void vmm_loop_run(struct vmm *vm, void (*tick_cb)(struct vmm *))
{
	/* SIGTERM/SIGINT/SIGHUP are blocked in every thread (main does that
	 * before creating any) and read here. */
	int sfd = loop_signalfd(vm);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	long tick = TICK_FIRST_NS;
	if (tfd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = tfd };
		if (epoll_ctl(vm->epfd, EPOLL_CTL_ADD, tfd, &ev) == 0)
			tick_arm(tfd, tick);
	}
	/* Its fds exist: from here on only the event loop's syscalls. */
	int sr = vmm_seccomp_install(vm->seccomp, VMM_THREAD_LOOP, 0);
	if (sr < 0) {
		bh_log_error("event loop: seccomp filter: %s", strerror(-sr));
		vmm_request_exit(vm, VMM_EXIT_ERROR);
	}
	struct epoll_event evs[16];
	while (atomic_load(&vm->exit_reason) == VMM_EXIT_NONE) {
		int n = epoll_wait(vm->epfd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			bh_log_error("event loop: epoll_wait: %s", strerror(errno));
			vmm_request_exit(vm, VMM_EXIT_ERROR);
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == vm->exit_efd) {
				uint64_t v;
				ssize_t r = read(fd, &v, sizeof(v));
				(void)r;
			} else if (fd == sfd) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					bh_log_info("signal %u: stopping the guest", si.ssi_signo);
					vmm_request_exit(vm, VMM_EXIT_REQUESTED);
				}
			} else if (fd == tfd) {
				uint64_t v;
				ssize_t r = read(fd, &v, sizeof(v));
				(void)r;
				tick_cb(vm);
				tick = tick * 2 > TICK_MAX_NS ? TICK_MAX_NS : tick * 2;
				tick_arm(tfd, tick);
			} else {
				struct vmm_loop_entry e = { 0 };
				pthread_mutex_lock(&vm->loop_lock);
				if (fd < vm->loop_nfds && vm->loop_fds[fd])
					e = *vm->loop_fds[fd];
				pthread_mutex_unlock(&vm->loop_lock);
				if (e.cb)
					e.cb(e.opaque, fd, evs[i].events);
			}
		}
	}
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
}
