/* Control socket (--api-sock PATH): a Unix stream socket taking one command
 * per line. "shutdown" stops the guest (exit status 4), "ping" answers
 * "pong". Connections are short: one line in, one line out, closed. */
#include "vmm/machine.h"

#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"

struct api {
	struct vmm *vm;
	int lfd;
};

static void api_free(void *opaque)
{
	struct api *a = opaque;
	if (a->lfd >= 0)
		close(a->lfd);
	free(a);
}

static void api_reply(int fd, const char *s)
{
	ssize_t r = send(fd, s, strlen(s), MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)r;
}

static void api_client(void *opaque, int fd, uint32_t events)
{
	struct vmm *vm = opaque;
	char buf[128];
	(void)events;
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n > 0) {
		buf[n] = 0;
		buf[strcspn(buf, "\r\n")] = 0;
		if (!strcmp(buf, "shutdown")) {
			api_reply(fd, "ok\n");
			vmm_request_exit(vm, VMM_EXIT_REQUESTED);
		} else if (!strcmp(buf, "ping")) {
			api_reply(fd, "pong\n");
		} else {
			api_reply(fd, "error: unknown command (want shutdown or ping)\n");
		}
	}
	vmm_loop_del(vm, fd);
	close(fd);
}

static void api_accept(void *opaque, int fd, uint32_t events)
{
	struct api *a = opaque;
	(void)events;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c < 0)
		return;
	struct bh_error err = { 0 };
	if (vmm_loop_add(a->vm, c, EPOLLIN | EPOLLRDHUP, api_client, a->vm, &err) < 0) {
		bh_log_warn("api: %s", err.msg);
		close(c);
	}
}

int vmm_api_listen(struct vmm *vm, const char *path, struct bh_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return bh_error_setx(err, ENAMETOOLONG, "api socket %s: path too long", path);
	strcpy(sa.sun_path, path);
	struct api *a = calloc(1, sizeof(*a));
	if (!a)
		return bh_error_set(err, ENOMEM, "api socket");
	a->vm = vm;
	a->lfd = -1;
	if (vmm_on_destroy(vm, api_free, a, err) < 0) {
		free(a);
		return -err->code;
	}
	a->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (a->lfd < 0)
		return bh_error_set(err, errno, "api socket %s", path);
	unlink(path);
	int r = 0;
	if (bind(a->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(a->lfd, 8) < 0)
		r = bh_error_set(err, errno, "api socket %s", path);
	else if ((r = vmm_loop_add(vm, a->lfd, EPOLLIN, api_accept, a, err)) < 0)
		unlink(path);
	return r;
}
