/* Stdio and signals of a process in a tenant's VM, seen from the host:
 * the stream connections (vsock), the captured output in a wait reply
 * (virtio-serial), and host signals forwarded as `signal` requests.
 * Shared by `tenant run/exec` and the OCI stand-in process. */
#ifndef BH_HOST_VM_STDIO_H
#define BH_HOST_VM_STDIO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent_client.h"
#include "tenant.h"

void vm_write_all(int fd, const void *buf, size_t n);
/* Decode stdout_b64/stderr_b64 of a wait reply and write it to fd. */
void vm_relay_output(json_t *res, const char *key, int fd);

/* Open the stream named `which` (stdin/stdout/stderr) from the `streams`
 * object of a create/exec reply: a new connection that sends the token. */
int vm_stream_open(const struct tenant *t, json_t *streams, const char *which, int *fd,
		   struct bh_error *err);
/* Copy in_fd to the stdin stream and the two output streams to out_fd and
 * err_fd until both outputs end; forwards pending signals meanwhile. */
void vm_stream_relay(int in_fd, int out_fd, int err_fd, const int sfd[3],
		     struct agent_client *ac, const char *id, unsigned exec_id);

/* Catch HUP/INT/QUIT/TERM/USR1/USR2 (on) or restore the defaults (off). */
void vm_forward_signals(bool on);
/* Send a caught signal, if any, to the process as a `signal` request on
 * ac (its reply is dropped by agent_recv: another id). */
void vm_forward_pending(struct agent_client *ac, const char *id, unsigned exec_id);
bool vm_signal_pending(void);

/* `wait` on ac with signals forwarded meanwhile; timeout_ms < 0: for ever,
 * else -ETIMEDOUT when it passes (the request stays outstanding). */
int vm_wait_forwarding(struct agent_client *ac, const char *id, unsigned exec_id,
		       int timeout_ms, json_t **res, struct bh_error *err);
/* The status in a wait reply; captured output relayed to fds 1 and 2. */
int vm_wait_result(json_t *res, const char *verb, const char *id);

#endif
