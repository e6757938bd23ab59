/* The agent's event loop: listeners (vsock, virtio-serial), request
 * connections, stdio stream relays and signals, all on one epoll set.
 * Single-threaded on purpose: no locks, and a hostile peer can only make
 * its own connection fail. */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"

/* Intrusive lists of what the loop owns, so shutdown can free it all. */
#define LIST_ADD(head, x) do {                                   \
		(x)->prev = NULL;                                \
		(x)->next = (head);                              \
		if (head)                                        \
			(head)->prev = (x);                      \
		(head) = (x);                                    \
	} while (0)
#define LIST_DEL(head, x) do {                                   \
		if ((x)->prev)                                   \
			(x)->prev->next = (x)->next;             \
		else                                             \
			(head) = (x)->next;                      \
		if ((x)->next)                                   \
			(x)->next->prev = (x)->prev;             \
	} while (0)

enum watch_kind { W_LISTEN, W_SERIAL, W_CONN, W_RELAY_IN, W_RELAY_OUT, W_SIGNAL, W_TIMER, W_CAPTURE };

struct watch {
	enum watch_kind kind;
	int fd;
	void *obj;
};

struct agent_conn {
	struct watch w;
	struct bh_frame_decoder dec;
	bool serial;            /* the virtio-serial port: never closed, re-armed */
	bool stream_pending;    /* a vsock conn whose first frame may be a stream token */
	struct agent_conn *prev, *next;  /* all live connections, freed at shutdown */
};

/* One direction of stdio between a pipe and a host connection. */
struct relay {
	struct relay *prev, *next;  /* all live relays, freed at shutdown */
	struct watch in, out;
	char buf[16384];
	size_t len, off;
	bool in_eof;
};

/* Output of a process kept for the wait reply (stdio "capture"), for
 * transports that carry one connection only (virtio-serial). */
struct capture {
	struct capture *prev, *next;  /* all live captures, freed at shutdown */
	struct watch w;
	struct agent_proc *p;
	int which;
};

struct stream {
	bool used;
	char token[33];
	int fd;
	bool out;
};

static int ep = -1;
static int timer_fd = -1;
static bool shutting_down;
static struct stream streams[AGENT_MAX_PROCS * 3];
static struct agent_conn *serial_conn;
static char serial_path[256];

static int loop_add(struct watch *w, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = w };
	return epoll_ctl(ep, EPOLL_CTL_ADD, w->fd, &e);
}

static void loop_mod(struct watch *w, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = w };
	epoll_ctl(ep, EPOLL_CTL_MOD, w->fd, &e);
}

void server_request_shutdown(void)
{
	shutting_down = true;
}

static struct agent_conn *conns;
static struct relay *relays;
static struct capture *captures;

static void conn_unlink(struct agent_conn *c)
{
	LIST_DEL(conns, c);
}

static void conn_close(struct agent_conn *c)
{
	conn_unlink(c);
	procs_drop_waiter(c);
	epoll_ctl(ep, EPOLL_CTL_DEL, c->w.fd, NULL);
	close(c->w.fd);
	bh_frame_decoder_reset(&c->dec);
	if (c == serial_conn)
		serial_conn = NULL;
	free(c);
}

/* The serial port is non-blocking: a host that is not connected makes a
 * virtio-serial write block, and a blocked PID 1 would serve nobody.  Give
 * the host a few seconds, then drop the reply. */
static int serial_write(int fd, const char *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -errno;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, 5000) <= 0)
			return -ETIMEDOUT;
	}
	return 0;
}

void server_send(struct agent_conn *c, json_t *msg)
{
	struct bh_error err;
	if (c && c->serial) {
		char *f;
		size_t len;
		int r = bh_frame_encode(msg, &f, &len, &err);
		if (r == 0) {
			r = serial_write(c->w.fd, f, len);
			free(f);
			if (r < 0)
				bh_log_warn("reply on serial: %s (host not connected?)", strerror(-r));
		} else {
			bh_log_warn("reply: %s", err.msg);
		}
	} else if (c && bh_frame_write(c->w.fd, msg, &err) < 0) {
		bh_log_warn("reply: %s", err.msg);
	}
	json_decref(msg);
}

int server_stream_new(int fd, bool out, char token[33])
{
	unsigned char rnd[16];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		if (streams[i].used)
			continue;
		for (int k = 0; k < 16; k++)
			snprintf(token + 2 * k, 3, "%02x", rnd[k]);
		streams[i] = (struct stream){ .used = true, .fd = fd, .out = out };
		memcpy(streams[i].token, token, 33);
		return 0;
	}
	return -ENOSPC;
}

int server_capture(int fd, struct agent_proc *p, int which)
{
	struct capture *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->w = (struct watch){ W_CAPTURE, fd, c };
	c->p = p;
	c->which = which;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (loop_add(&c->w, EPOLLIN) < 0) {
		free(c);
		return -errno;
	}
	LIST_ADD(captures, c);
	return 0;
}

static void capture_readable(struct capture *c)
{
	char buf[16384];
	ssize_t n = read(c->w.fd, buf, sizeof(buf));
	if (n < 0 && errno == EAGAIN)
		return;
	if (n > 0) {
		procs_capture_append(c->p, c->which, buf, (size_t)n);
		return;
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c->w.fd, NULL);
	close(c->w.fd);
	LIST_DEL(captures, c);
	procs_capture_eof(c->p, c->which);
	free(c);
}

static void relay_free(struct relay *r)
{
	LIST_DEL(relays, r);
	if (r->in.fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, r->in.fd, NULL);
		close(r->in.fd);
	}
	if (r->out.fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, r->out.fd, NULL);
		close(r->out.fd);
	}
	free(r);
}

/* Move bytes until one side would block; pause the reader while the
 * writer is full, so a slow host applies back-pressure to the process. */
static void relay_pump(struct relay *r)
{
	for (;;) {
		if (r->off < r->len) {
			ssize_t w = write(r->out.fd, r->buf + r->off, r->len - r->off);
			if (w < 0 && errno == EAGAIN) {
				loop_mod(&r->out, EPOLLOUT);
				if (!r->in_eof)
					loop_mod(&r->in, 0);
				return;
			}
			if (w < 0) {  /* reader went away: drop the stream */
				relay_free(r);
				return;
			}
			r->off += (size_t)w;
			continue;
		}
		r->off = r->len = 0;
		if (r->in_eof) {
			relay_free(r);
			return;
		}
		ssize_t n = read(r->in.fd, r->buf, sizeof(r->buf));
		if (n < 0 && errno == EAGAIN) {
			loop_mod(&r->in, EPOLLIN);
			loop_mod(&r->out, 0);
			return;
		}
		if (n <= 0) {
			r->in_eof = true;
			continue;
		}
		r->len = (size_t)n;
	}
}

/* rest/nrest: bytes that came in the same read as the token frame; for
 * stdin they are the first bytes for the process and must not be lost. */
static void stream_attach(struct agent_conn *c, const char *token, const char *rest, size_t nrest)
{
	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		struct stream *s = &streams[i];
		if (!s->used || strcmp(s->token, token) != 0)
			continue;
		struct relay *r = calloc(1, sizeof(*r));
		if (!r)
			break;
		LIST_ADD(relays, r);
		int cfd = c->w.fd;
		/* The connection now belongs to the relay. */
		epoll_ctl(ep, EPOLL_CTL_DEL, cfd, NULL);
		bh_frame_decoder_reset(&c->dec);
		conn_unlink(c);
		free(c);
		if (s->out) {
			r->in = (struct watch){ W_RELAY_IN, s->fd, r };
			r->out = (struct watch){ W_RELAY_OUT, cfd, r };
		} else {
			r->in = (struct watch){ W_RELAY_IN, cfd, r };
			r->out = (struct watch){ W_RELAY_OUT, s->fd, r };
		}
		fcntl(r->in.fd, F_SETFL, O_NONBLOCK);
		fcntl(r->out.fd, F_SETFL, O_NONBLOCK);
		s->used = false;
		if (!s->out && nrest > 0) {
			memcpy(r->buf, rest, nrest < sizeof(r->buf) ? nrest : sizeof(r->buf));
			r->len = nrest < sizeof(r->buf) ? nrest : sizeof(r->buf);
		}
		loop_add(&r->in, EPOLLIN);
		loop_add(&r->out, 0);
		relay_pump(r);
		return;
	}
	bh_log_warn("stream: unknown token");
	json_t *e = bh_proto_error_reply(0, "ENOENT", "stream: unknown token");
	server_send(c, e);
	conn_close(c);
}

/* Returns true when c was consumed (became a stream or was closed). */
static bool conn_frame(struct agent_conn *c, json_t *msg, const char *rest, size_t nrest)
{
	struct bh_request req;
	struct bh_error err = { 0 };
	uint64_t id = 0;

	json_t *tok = json_object_get(msg, "stream");
	if (c->stream_pending && json_is_string(tok)) {
		char token[40];
		snprintf(token, sizeof(token), "%s", json_string_value(tok));
		json_decref(msg);
		stream_attach(c, token, rest, nrest);
		return true;
	}
	c->stream_pending = false;
	if (bh_proto_parse_request(msg, &req, &id, &err) < 0) {
		server_send(c, bh_proto_error_reply(id, bh_proto_errno_name(err.code), err.msg));
		json_decref(msg);
		return false;
	}
	handlers_dispatch(c, &req);
	json_decref(msg);
	return false;
}

static void conn_readable(struct agent_conn *c)
{
	char buf[8192];
	ssize_t n = read(c->w.fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->serial) {
			/* Host side of the port closed: poll again in 50 ms (the
			 * latency a new host client may see), since a virtio-serial
			 * port reports HUP until the host reconnects. */
			bh_frame_decoder_reset(&c->dec);
			/* That host client is gone: its pending waits are too. */
			procs_drop_waiter(c);
			epoll_ctl(ep, EPOLL_CTL_DEL, c->w.fd, NULL);
			struct itimerspec ts = { .it_value = { 0, 50 * 1000 * 1000 } };
			timerfd_settime(timer_fd, 0, &ts, NULL);
			return;
		}
		conn_close(c);
		return;
	}
	size_t off = 0;
	while (off < (size_t)n) {
		size_t used;
		json_t *msg = NULL;
		struct bh_error err = { 0 };
		if (bh_frame_feed(&c->dec, buf + off, (size_t)n - off, &used, &msg, &err) < 0) {
			/* The stream is out of sync: say why, then hang up. */
			server_send(c, bh_proto_error_reply(0, bh_proto_errno_name(err.code), err.msg));
			if (c->serial) {
				bh_frame_decoder_reset(&c->dec);
				return;
			}
			conn_close(c);
			return;
		}
		off += used;
		if (msg && (conn_frame(c, msg, buf + off, (size_t)n - off) || shutting_down))
			return;
	}
}

static struct agent_conn *conn_new(int fd, bool serial)
{
	struct agent_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->w = (struct watch){ W_CONN, fd, c };
	c->serial = serial;
	c->stream_pending = !serial;
	bh_frame_decoder_init(&c->dec);
	if (loop_add(&c->w, EPOLLIN) < 0) {
		close(fd);
		free(c);
		return NULL;
	}
	LIST_ADD(conns, c);
	return c;
}

static int listen_vsock(void)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = AGENT_VSOCK_PORT };
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* The port's device node is found by name in sysfs (vportNpM numbering
 * depends on probe order). */
static int find_serial_port(void)
{
	glob_t g;
	if (glob("/sys/class/virtio-ports/*/name", 0, NULL, &g) != 0)
		return -ENOENT;
	int ret = -ENOENT;
	for (size_t i = 0; i < g.gl_pathc && ret < 0; i++) {
		char name[128] = "";
		FILE *f = fopen(g.gl_pathv[i], "re");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f))
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
		if (strcmp(name, AGENT_SERIAL_NAME) != 0)
			continue;
		char *dir = strdup(g.gl_pathv[i]);
		if (!dir)
			break;
		char *slash = strrchr(dir, '/');
		*slash = '\0';
		snprintf(serial_path, sizeof(serial_path), "/dev/%s", strrchr(dir, '/') + 1);
		free(dir);
		ret = 0;
	}
	globfree(&g);
	return ret;
}

static void serial_open(void)
{
	if (!serial_path[0])
		return;
	if (serial_conn) {
		if (loop_add(&serial_conn->w, EPOLLIN) < 0)
			bh_log_warn("serial: re-arm: %s", strerror(errno));
		return;
	}
	int fd = open(serial_path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		bh_log_warn("serial: open %s: %s", serial_path, strerror(errno));
		return;
	}
	serial_conn = conn_new(fd, true);
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int server_run(const char *unix_path)
{
	static struct watch lw, sw, tw, uw;
	sigset_t mask;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGPWR);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sw = (struct watch){ W_SIGNAL, signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK), NULL };
	loop_add(&sw, EPOLLIN);
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	tw = (struct watch){ W_TIMER, timer_fd, NULL };
	loop_add(&tw, EPOLLIN);

	int vfd = listen_vsock();
	if (vfd >= 0) {
		lw = (struct watch){ W_LISTEN, vfd, NULL };
		loop_add(&lw, EPOLLIN);
		bh_log_info("listening on vsock port %d", AGENT_VSOCK_PORT);
	} else {
		bh_log_warn("vsock port %d: %s (serial only)", AGENT_VSOCK_PORT, strerror(-vfd));
	}
	int ufd = -1;
	if (unix_path) {
		ufd = listen_unix(unix_path);
		if (ufd < 0) {
			bh_log_error("listen on %s: %s", unix_path, strerror(-ufd));
			return ufd;
		}
		uw = (struct watch){ W_LISTEN, ufd, NULL };
		loop_add(&uw, EPOLLIN);
	}
	if (find_serial_port() == 0)
		serial_open();
	if (vfd < 0 && ufd < 0 && !serial_conn) {
		bh_log_error("no vsock and no virtio-serial port %s: nothing to serve", AGENT_SERIAL_NAME);
		return -ENODEV;
	}
	/* Tell the console we are ready (tests and humans read this line). */
	printf("bulkhead-agent: ready (protocol %d)\n", BH_PROTO_VERSION);
	fflush(stdout);

	while (!shutting_down) {
		struct epoll_event evs[32];
		int n = epoll_wait(ep, evs, 32, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n && !shutting_down; i++) {
			struct watch *w = evs[i].data.ptr;
			switch (w->kind) {
			case W_LISTEN: {
				int cfd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);
				if (cfd >= 0)
					conn_new(cfd, false);
				break;
			}
			case W_SERIAL:
			case W_CONN:
				conn_readable(w->obj);
				break;
			case W_RELAY_IN:
			case W_RELAY_OUT:
				relay_pump(w->obj);
				/* relay_pump may free the relay: stop touching this batch */
				i = n;
				break;
			case W_SIGNAL: {
				struct signalfd_siginfo si;
				while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGCHLD)
						procs_reap();
					else
						shutting_down = true;
				}
				break;
			}
			case W_TIMER: {
				uint64_t t;
				if (read(w->fd, &t, sizeof(t)) > 0)
					serial_open();
				break;
			}
			case W_CAPTURE:
				capture_readable(w->obj);
				i = n;
				break;
			}
		}
	}
	while (conns)
		conn_close(conns);
	while (relays)
		relay_free(relays);
	while (captures) {
		struct capture *c = captures;
		epoll_ctl(ep, EPOLL_CTL_DEL, c->w.fd, NULL);
		close(c->w.fd);
		LIST_DEL(captures, c);
		free(c);
	}
	return 0;
}
