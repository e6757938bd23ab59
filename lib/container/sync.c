/* Parent <-> container init messages: one record per SOCK_SEQPACKET
 * datagram, so no framing is needed. */
#include "container/rt_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int sync_send_text(int fd, int type, const char *text)
{
	static struct sync_msg m;   /* 64 KiB: keep it off the stack */
	m.type = type;
	m.code = 0;
	size_t l = text ? strnlen(text, sizeof(m.msg) - 1) : 0;
	if (text)
		memcpy(m.msg, text, l);
	m.msg[l] = '\0';
	size_t len = offsetof(struct sync_msg, msg) + l + 1;
	ssize_t w;
	do
		w = send(fd, &m, len, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w < 0 ? -errno : 0;
}

int sync_send(int fd, int type, const struct bh_error *err)
{
	struct {
		int type, code;
		char msg[BH_ERROR_MAX];
	} m;
	memset(&m, 0, sizeof(m));
	m.type = type;
	size_t len = offsetof(struct sync_msg, msg);
	if (err && type == SYNC_ERROR) {
		m.code = err->code ? err->code : EINVAL;
		size_t l = strnlen(err->msg, sizeof(m.msg) - 1);
		memcpy(m.msg, err->msg, l);
		len += l + 1;
	}
	ssize_t w;
	do
		w = send(fd, &m, len, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w < 0 ? -errno : 0;
}

int sync_recv(int fd, struct sync_msg *m)
{
	ssize_t n;
	do
		n = recv(fd, m, sizeof(*m) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n < (ssize_t)offsetof(struct sync_msg, msg))
		return -EPIPE;
	((char *)m)[n] = '\0';
	return 0;
}

int sync_expect(int fd, int type, struct bh_error *err)
{
	struct sync_msg *m = malloc(sizeof(*m));
	if (!m)
		return bh_error_set(err, ENOMEM, "sync");
	int r = sync_recv(fd, m);
	if (r < 0)
		r = bh_error_set(err, -r, "container init exited during setup");
	else if (m->type == SYNC_ERROR)
		r = bh_error_setx(err, m->code > 0 ? m->code : EINVAL, "%s", m->msg);
	else if (m->type != type)
		r = bh_error_setx(err, EPROTO, "sync: expected message %d, got %d",
				  type, m->type);
	free(m);
	return r;
}
