/* Stdio relays and signal forwarding for processes in a tenant VM. */
#include "vm_stdio.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void vm_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

void vm_relay_output(json_t *res, const char *key, int fd)
{
	const char *s = json_string_value(json_object_get(res, key));
	char *buf;
	size_t n;
	if (!s || !*s)
		return;
	if (tenant_b64_decode(s, strlen(s), &buf, &n) < 0) {
		fprintf(stderr, "bulkhead: agent sent bad base64 in %s\n", key);
		return;
	}
	vm_write_all(fd, buf, n);
	free(buf);
}

int vm_wait_result(json_t *res, const char *verb, const char *id)
{
	vm_relay_output(res, "stdout_b64", 1);
	vm_relay_output(res, "stderr_b64", 2);
	if (json_is_true(json_object_get(res, "truncated")))
		fprintf(stderr, "bulkhead: %s: output of %s was truncated by the agent\n", verb, id);
	json_t *st = json_object_get(res, "status");
	return json_is_integer(st) ? (int)json_integer_value(st) : 255;
}

static volatile sig_atomic_t fwd_sig;
static void fwd_handler(int sig)
{
	fwd_sig = sig;
}

void vm_forward_signals(bool on)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };
	struct sigaction sa = { .sa_handler = on ? fwd_handler : SIG_DFL };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

bool vm_signal_pending(void)
{
	return fwd_sig != 0;
}

void vm_forward_pending(struct agent_client *ac, const char *id, unsigned exec_id)
{
	int sig = fwd_sig;
	if (!sig)
		return;
	uint64_t sid;
	struct bh_error e2 = { 0 };
	fwd_sig = 0;
	json_t *sp = json_pack("{s:s,s:i}", "id", id, "signal", sig);
	if (exec_id)
		json_object_set_new(sp, "exec_id", json_integer(exec_id));
	if (agent_send(ac, BH_M_SIGNAL, sp, 5000, &sid, &e2) < 0)
		fprintf(stderr, "bulkhead: forwarding signal %d to %s: %s\n", sig, id, e2.msg);
}

int vm_wait_forwarding(struct agent_client *ac, const char *id, unsigned exec_id,
		       int timeout_ms, json_t **res, struct bh_error *err)
{
	uint64_t wid;
	json_t *p = json_pack("{s:s}", "id", id);
	if (exec_id)
		json_object_set_new(p, "exec_id", json_integer(exec_id));
	int r = agent_send(ac, BH_M_WAIT, p, 10000, &wid, err);
	if (r < 0)
		return r;
	int64_t deadline = timeout_ms < 0 ? -1 : agent_now_ms() + timeout_ms;
	for (;;) {
		int slice = 250;
		if (deadline >= 0) {
			int64_t left = deadline - agent_now_ms();
			if (left <= 0)
				return bh_error_setx(err, ETIMEDOUT, "wait for %s: still running", id);
			if (left < slice)
				slice = (int)left;
		}
		r = agent_recv(ac, BH_M_WAIT, wid, slice, res, err);
		if (r != -ETIMEDOUT)
			return r;
		vm_forward_pending(ac, id, exec_id);
	}
}

int vm_stream_open(const struct tenant *t, json_t *streams, const char *which, int *fd,
		   struct bh_error *err)
{
	const char *tok = json_string_value(json_object_get(streams, which));
	struct agent_client c;
	*fd = -1;
	if (!tok)
		return bh_error_setx(err, EPROTO, "agent: create reply has no %s stream", which);
	if (agent_client_open(&c, t->transport, t->sock, AGENT_CLIENT_PORT, 10000, err) < 0)
		return bh_error_wrap(err, "%s stream", which);
	json_t *m = json_pack("{s:s}", "stream", tok);
	int r = bh_frame_write(c.fd, m, err);
	json_decref(m);
	if (r < 0) {
		agent_client_close(&c);
		return bh_error_wrap(err, "%s stream", which);
	}
	*fd = c.fd;   /* the decoder holds nothing: no frame was read */
	return 0;
}

void vm_stream_relay(int in_fd, int out_fd, int err_fd, const int sfd[3],
		     struct agent_client *ac, const char *id, unsigned exec_id)
{
	struct pollfd p[3] = { { .fd = in_fd, .events = POLLIN },
			       { .fd = sfd[1], .events = POLLIN },
			       { .fd = sfd[2], .events = POLLIN } };
	const int dst[3] = { sfd[0], out_fd, err_fd };
	char buf[16384];
	if (sfd[0] < 0)
		p[0].fd = -1;
	while (p[1].fd >= 0 || p[2].fd >= 0) {
		vm_forward_pending(ac, id, exec_id);
		int pr = poll(p, 3, 250);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			break;
		for (int i = 0; i < 3; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				if (i == 0)
					shutdown(sfd[0], SHUT_WR);   /* EOF for the process */
				p[i].fd = -1;
				continue;
			}
			vm_write_all(dst[i], buf, (size_t)n);
		}
	}
}
