/* A terminal for run/exec without --console-socket (runc's behaviour): the
 * container's pty master comes back over a socketpair and is proxied to our
 * stdio, with our terminal in raw mode and window size changes passed on. */
#include "cli.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int cli_console_pair(int *mine, int *theirs)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	*mine = sv[0];
	*theirs = sv[1];
	return 0;
}

int cli_console_recv(int sock)
{
	char name[256], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -EPIPE;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static volatile sig_atomic_t winch;
static volatile pid_t proxy_pid;
static void proxy_sig(int sig)
{
	if (sig == SIGWINCH)
		winch = 1;
	else if (proxy_pid > 0)
		kill(proxy_pid, sig);
}

static void copy_winsize(int master)
{
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

static bool pump(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN);
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		off += w;
	}
	return true;
}

int cli_console_proxy(int master, pid_t pid)
{
	struct termios saved, raw;
	bool tty = isatty(0) && tcgetattr(0, &saved) == 0;
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR; /* keep output readable */
		tcsetattr(0, TCSANOW, &raw);
		copy_winsize(master);
	}
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1,
				    SIGUSR2, SIGWINCH };
	struct sigaction sa = { .sa_handler = proxy_sig };
	sigemptyset(&sa.sa_mask);
	proxy_pid = pid;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p[3] = { { .fd = 0, .events = POLLIN },
			       { .fd = master, .events = POLLIN },
			       { .fd = pfd, .events = POLLIN } };
	bool in_open = true;
	for (;;) {
		if (winch) {
			winch = 0;
			copy_winsize(master);
		}
		p[0].fd = in_open ? 0 : -1;
		int r = poll(p, 3, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (p[1].revents & POLLIN) {
			if (!pump(master, 1))
				break;
		} else if (p[1].revents & (POLLHUP | POLLERR)) {
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			if (!pump(0, master)) {
				in_open = false;
				/* EOF on stdin: pass ^D on like a terminal would. */
				if (write(master, "\x04", 1) < 0) {
					/* the process is gone */
				}
			}
		}
		if (p[2].revents & POLLIN) {
			/* drain what the process wrote before it exited */
			fcntl(master, F_SETFL, O_NONBLOCK);
			for (;;) {
				char buf[16384];
				ssize_t n = read(master, buf, sizeof(buf));
				if (n <= 0 || write(1, buf, (size_t)n) != n)
					break;
			}
			break;
		}
	}
	if (tty)
		tcsetattr(0, TCSANOW, &saved);
	if (pfd >= 0)
		close(pfd);
	close(master);
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	proxy_pid = 0;
	return bh_wait_status(ws);
}
