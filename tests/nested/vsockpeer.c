/* vsockpeer: the L1 (host) side of bulkhead-vmm's hybrid vsock, for the
 * nested harness. Static; prints one TAP line.
 *   vsockpeer listen UDS_PORT_PATH TIMEOUT_S
 *       listens on "<uds>_<port>" (where guest connects to CID 2 land),
 *       accepts one connection, answers "echo: <line>".
 *   vsockpeer connect UDS_PATH PORT TIMEOUT_S
 *       connects to the VMM's socket, sends "CONNECT <port>\n", expects
 *       "OK <n>\n", sends "hello-from-l1 <nonce>\n" and expects
 *       "pong: hello-from-l1 <nonce>\n". Retries until TIMEOUT_S while the
 *       guest is not listening yet. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t got = 0;
	while (got < len - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		ssize_t r = read(fd, buf + got, 1);
		if (r <= 0)
			return -1;
		if (buf[got++] == '\n')
			break;
	}
	buf[got] = 0;
	return (int)got;
}

static int unix_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -1;
	strcpy(a->sun_path, path);
	return 0;
}

static int do_listen(const char *path, int timeout_s)
{
	struct sockaddr_un a;
	char line[256] = "", reply[300];
	const char *err = "";
	int c = -1, s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path);
	struct pollfd p = { .fd = s, .events = POLLIN };
	if (s < 0 || unix_addr(path, &a) || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(s, 1))
		err = strerror(errno);
	else if (poll(&p, 1, timeout_s * 1000) <= 0)
		err = "no connection from the guest";
	else if ((c = accept4(s, NULL, NULL, SOCK_CLOEXEC)) < 0)
		err = strerror(errno);
	else if (read_line(c, line, sizeof(line), 10000) < 0)
		err = "no line from the guest within 10 s";
	else {
		snprintf(reply, sizeof(reply), "echo: %s", line);
		if (write(c, reply, strlen(reply)) != (ssize_t)strlen(reply))
			err = "short write";
	}
	line[strcspn(line, "\n")] = 0;
	printf("%s - l1: vsock guest->host: listener %s got '%s'%s%s\n", err[0] ? "not ok" : "ok",
	       path, line, err[0] ? ": " : "", err);
	if (c >= 0)
		close(c);
	if (s >= 0)
		close(s);
	unlink(path);
	return err[0] ? 1 : 0;
}

static int do_connect(const char *path, const char *port, int timeout_s)
{
	struct sockaddr_un a;
	char msg[128], want[160], line[256] = "", last[300] = "never tried";
	double end = now() + timeout_s;
	int tries = 0;
	snprintf(msg, sizeof(msg), "hello-from-l1 %ld\n", (long)getpid() * 1000 + (long)(now() * 1000) % 1000);
	snprintf(want, sizeof(want), "pong: %s", msg);
	if (unix_addr(path, &a)) {
		printf("not ok - l1: vsock host->guest: path too long: %s\n", path);
		return 1;
	}
	while (now() < end) {
		tries++;
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "CONNECT %s\n", port);
		if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
			snprintf(last, sizeof(last), "connect %s: %s", path, strerror(errno));
		} else if (write(s, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
			snprintf(last, sizeof(last), "write CONNECT: %s", strerror(errno));
		} else if (read_line(s, line, sizeof(line), 5000) < 0) {
			snprintf(last, sizeof(last), "no reply to CONNECT %s (closed or silent)", port);
		} else if (strncmp(line, "OK ", 3) != 0) {
			line[strcspn(line, "\n")] = 0;
			snprintf(last, sizeof(last), "reply to CONNECT was '%s'", line);
		} else if (write(s, msg, strlen(msg)) != (ssize_t)strlen(msg) ||
			   read_line(s, line, sizeof(line), 10000) < 0) {
			snprintf(last, sizeof(last), "CONNECT OK, but no answer to our line");
		} else {
			close(s);
			line[strcspn(line, "\n")] = 0;
			want[strcspn(want, "\n")] = 0;
			int ok = strcmp(line, want) == 0;
			printf("%s - l1: vsock host->guest: CONNECT %s answered '%s' (try %d)\n",
			       ok ? "ok" : "not ok", port, line, tries);
			return ok ? 0 : 1;
		}
		if (s >= 0)
			close(s);
		usleep(500000);
	}
	printf("not ok - l1: vsock host->guest CONNECT %s: %s (%d tries in %d s)\n", port, last,
	       tries, timeout_s);
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(argv[1], "listen") == 0)
		return do_listen(argv[2], atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "connect") == 0)
		return do_connect(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: vsockpeer listen PATH TIMEOUT | connect PATH PORT TIMEOUT\n");
	return 2;
}
