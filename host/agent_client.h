/* Host side of the wire protocol (lib/proto): a blocking client with
 * deadlines, over the builtin VMM's hybrid vsock socket ("CONNECT 1024\n")
 * or over a plain Unix socket (QEMU's virtio-serial chardev, the agent's
 * --unix).  A hung or hostile guest can make a call fail, never hang it
 * past its deadline. */
#ifndef BH_HOST_AGENT_CLIENT_H
#define BH_HOST_AGENT_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/proto.h"
#include "util/error.h"

#define AGENT_CLIENT_PORT 1024

enum agent_transport {
	AGENT_T_UNIX,    /* the socket is the agent's stream */
	AGENT_T_VSOCK,   /* hybrid vsock: "CONNECT <port>\n", "OK <n>\n" first */
};

struct agent_client {
	int fd;
	enum agent_transport transport;
	uint64_t next_id;
	struct bh_frame_decoder dec;
	/* bytes read past the end of the last frame */
	char buf[4096];
	size_t off, len;
};

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
int64_t agent_now_ms(void);

/* Connect to path; for AGENT_T_VSOCK also run the CONNECT handshake to
 * guest port `port`.  -ECONNREFUSED/-ENOENT/-ECONNRESET mean "not there
 * yet" (retry); anything else is final. */
int agent_client_open(struct agent_client *c, enum agent_transport t, const char *path,
		      unsigned port, int timeout_ms, struct bh_error *err);
void agent_client_close(struct agent_client *c);

/* One request and its reply.  params is stolen (NULL: {}); *result is a new
 * reference.  timeout_ms < 0 waits for ever (wait on a long process).
 * The agent's error comes back as its errno and message. */
int agent_call(struct agent_client *c, enum bh_proto_method m, json_t *params,
	       int timeout_ms, json_t **result, struct bh_error *err);

/* The two halves of agent_call, for callers that send more requests while
 * one reply is outstanding (a signal while waiting).  agent_recv returns
 * -ETIMEDOUT with the connection still usable when timeout_ms passes. */
int agent_send(struct agent_client *c, enum bh_proto_method m, json_t *params,
	       int timeout_ms, uint64_t *id, struct bh_error *err);
int agent_recv(struct agent_client *c, enum bh_proto_method m, uint64_t id,
	       int timeout_ms, json_t **result, struct bh_error *err);

/* Open a connection to the agent and ping it until it answers or the
 * deadline passes.  alive (may be NULL) is asked between tries whether the
 * VM is still running, so a dead VM fails fast with its reason in err. */
typedef bool (*agent_alive_fn)(void *opaque, struct bh_error *err);
int agent_wait_ready(struct agent_client *c, enum agent_transport t, const char *path,
		     int64_t deadline_ms, agent_alive_fn alive, void *opaque,
		     json_t **ping, struct bh_error *err);

#endif
