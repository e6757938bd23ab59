/* Blocking agent client with deadlines: every read and write is preceded
 * by poll() on what is left of the caller's timeout. */
#include "agent_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int64_t agent_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(int64_t deadline)
{
	if (deadline < 0)
		return -1;
	int64_t r = deadline - agent_now_ms();
	return r < 0 ? 0 : (int)(r > 1000000 ? 1000000 : r);
}

/* Wait for events on fd until deadline (-1: no deadline). */
static int wait_fd(int fd, short ev, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = ev };
		int r = poll(&p, 1, remaining(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		return 0;
	}
}

static int write_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	size_t off = 0;
	while (off < len) {
		int r = wait_fd(fd, POLLOUT, deadline);
		if (r < 0)
			return r;
		ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	return 0;
}

/* The hybrid vsock handshake: reply "OK <port>\n", read byte by byte so
 * nothing of the agent's stream is consumed. */
static int vsock_handshake(int fd, unsigned port, int64_t deadline, struct bh_error *err)
{
	char line[40];
	int n = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	int r = write_all(fd, line, (size_t)n, deadline);
	if (r < 0)
		return bh_error_set(err, -r, "vsock: send CONNECT %u", port);
	size_t len = 0;
	for (;;) {
		r = wait_fd(fd, POLLIN, deadline);
		if (r < 0)
			return bh_error_set(err, -r, "vsock: waiting for the VMM's OK to CONNECT %u", port);
		char ch;
		ssize_t got = read(fd, &ch, 1);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)   /* the VMM hangs up when nothing listens on the port yet */
			return bh_error_set(err, got < 0 ? errno : ECONNRESET,
					    "vsock: CONNECT %u refused (guest port not listening yet)", port);
		if (ch == '\n')
			break;
		if (len + 1 >= sizeof(line))
			return bh_error_setx(err, EPROTO, "vsock: reply to CONNECT %u too long", port);
		line[len++] = ch;
	}
	line[len] = '\0';
	if (strncmp(line, "OK ", 3) != 0)
		return bh_error_setx(err, EPROTO, "vsock: CONNECT %u: unexpected reply \"%.32s\"", port, line);
	return 0;
}

int agent_client_open(struct agent_client *c, enum agent_transport t, const char *path,
		      unsigned port, int timeout_ms, struct bh_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = agent_now_ms() + timeout_ms;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	/* A random first id: on the single virtio-serial channel a reply left
	 * over from a client that gave up must not match one of ours. */
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)agent_now_ms() ^ (uint32_t)getpid() << 12;
	c->next_id = ((uint64_t)rnd << 8) + 1;
	c->transport = t;
	bh_frame_decoder_init(&c->dec);
	if (strlen(path) >= sizeof(sa.sun_path))
		return bh_error_setx(err, ENAMETOOLONG, "agent socket %s: path too long", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return bh_error_set(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (e == EINPROGRESS || e == EAGAIN) {
			/* a full backlog: wait for the accept */
			int r = wait_fd(fd, POLLOUT, deadline);
			socklen_t sl = sizeof(e);
			if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e == 0)
				goto connected;
			if (r < 0)
				e = -r;
		}
		close(fd);
		return bh_error_set(err, e, "connect to agent socket %s", path);
	}
connected:
	if (t == AGENT_T_VSOCK) {
		int r = vsock_handshake(fd, port, deadline, err);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	c->fd = fd;
	return 0;
}

void agent_client_close(struct agent_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	bh_frame_decoder_reset(&c->dec);
}

static int send_request(struct agent_client *c, enum bh_proto_method m, json_t *params,
			int64_t deadline, uint64_t *id, struct bh_error *err)
{
	*id = c->next_id++;
	json_t *req = bh_proto_request(*id, m, params);
	char *f = NULL;
	size_t len;
	if (!req)
		return bh_error_setx(err, ENOMEM, "agent: %s: building the request", bh_proto_method_name(m));
	int r = bh_frame_encode(req, &f, &len, err);
	json_decref(req);
	if (r < 0)
		return r;
	r = write_all(c->fd, f, len, deadline);
	free(f);
	if (r < 0)
		return bh_error_set(err, -r, "agent: %s: sending the request", bh_proto_method_name(m));
	return 0;
}

/* Read frames until the reply to id; replies to other ids (left over from a
 * client that gave up, on the single virtio-serial channel) are dropped. */
static int recv_reply(struct agent_client *c, enum bh_proto_method m, uint64_t id,
		      int64_t deadline, json_t **result, struct bh_error *err)
{
	const char *mn = bh_proto_method_name(m);
	for (;;) {
		while (c->off < c->len) {
			size_t used = 0;
			json_t *msg = NULL;
			int r = bh_frame_feed(&c->dec, c->buf + c->off, c->len - c->off, &used, &msg, err);
			if (r < 0) {
				bh_error_wrap(err, "agent: %s: bad reply", mn);
				return r;
			}
			c->off += used;
			if (!msg)
				continue;
			json_t *jid = json_object_get(msg, "id");
			if (json_is_integer(jid) && (uint64_t)json_integer_value(jid) != id &&
			    json_integer_value(jid) != 0) {
				json_decref(msg);
				continue;
			}
			json_t *res = NULL;
			r = bh_proto_parse_reply(msg, id, &res, err);
			if (r == 0)
				*result = json_incref(res);
			else
				bh_error_wrap(err, "%s", mn);
			json_decref(msg);
			return r;
		}
		c->off = c->len = 0;
		int r = wait_fd(c->fd, POLLIN, deadline);
		if (r == -ETIMEDOUT)
			return bh_error_setx(err, ETIMEDOUT, "agent: %s: no reply in time (guest hung or too slow)", mn);
		if (r < 0)
			return bh_error_set(err, -r, "agent: %s: poll", mn);
		ssize_t n = read(c->fd, c->buf, sizeof(c->buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno != ECONNRESET)
			return bh_error_set(err, errno, "agent: %s: reading the reply", mn);
		if (n <= 0)
			return bh_error_setx(err, ECONNRESET,
					     "agent: %s: connection closed before the reply (VM gone or agent died)", mn);
		c->len = (size_t)n;
	}
}

int agent_call(struct agent_client *c, enum bh_proto_method m, json_t *params,
	       int timeout_ms, json_t **result, struct bh_error *err)
{
	int64_t deadline = timeout_ms < 0 ? -1 : agent_now_ms() + timeout_ms;
	uint64_t id;
	*result = NULL;
	if (c->fd < 0) {
		json_decref(params);
		return bh_error_setx(err, ENOTCONN, "agent: not connected");
	}
	int r = send_request(c, m, params, deadline, &id, err);
	if (r < 0)
		return r;
	return recv_reply(c, m, id, deadline, result, err);
}

int agent_send(struct agent_client *c, enum bh_proto_method m, json_t *params,
	       int timeout_ms, uint64_t *id, struct bh_error *err)
{
	if (c->fd < 0) {
		json_decref(params);
		return bh_error_setx(err, ENOTCONN, "agent: not connected");
	}
	return send_request(c, m, params, timeout_ms < 0 ? -1 : agent_now_ms() + timeout_ms, id, err);
}

int agent_recv(struct agent_client *c, enum bh_proto_method m, uint64_t id,
	       int timeout_ms, json_t **result, struct bh_error *err)
{
	*result = NULL;
	return recv_reply(c, m, id, timeout_ms < 0 ? -1 : agent_now_ms() + timeout_ms, result, err);
}

static bool retryable(int e)
{
	return e == ENOENT || e == ECONNREFUSED || e == ECONNRESET || e == EPIPE ||
	       e == ETIMEDOUT || e == EAGAIN;
}

int agent_wait_ready(struct agent_client *c, enum agent_transport t, const char *path,
		     int64_t deadline_ms, agent_alive_fn alive, void *opaque,
		     json_t **ping, struct bh_error *err)
{
	struct bh_error last = { 0 };
	bool sent = false;
	uint64_t id = 0;

	c->fd = -1;
	for (;;) {
		if (alive && !alive(opaque, err))
			goto fail;
		int64_t now = agent_now_ms();
		if (now >= deadline_ms) {
			bh_error_setx(err, ETIMEDOUT, "agent did not answer ping in time (last: %s)",
				      last.msg[0] ? last.msg : "no attempt");
			goto fail;
		}
		if (c->fd < 0) {
			int slice = (int)(deadline_ms - now < 1000 ? deadline_ms - now : 1000);
			int r = agent_client_open(c, t, path, AGENT_CLIENT_PORT, slice, &last);
			if (r < 0) {
				if (!retryable(-r)) {
					*err = last;
					goto fail;
				}
				usleep(20 * 1000);
				continue;
			}
			sent = false;
		}
		if (!sent) {
			if (send_request(c, BH_M_PING, NULL, deadline_ms, &id, &last) < 0) {
				agent_client_close(c);
				continue;
			}
			sent = true;
		}
		/* Over virtio-serial the ping waits in QEMU until the agent opens
		 * its port: keep the connection, look at the VM between slices. */
		int64_t slice_end = agent_now_ms() + 200;
		if (slice_end > deadline_ms)
			slice_end = deadline_ms;
		int r = recv_reply(c, BH_M_PING, id, slice_end, ping, &last);
		if (r == 0)
			return 0;
		if (last.code != ETIMEDOUT) {
			if (!retryable(last.code) && last.code != EPROTO) {
				*err = last;
				goto fail;
			}
			agent_client_close(c);
			usleep(20 * 1000);
		}
	}
fail:
	agent_client_close(c);
	return -(err->code ? err->code : EIO);
}
