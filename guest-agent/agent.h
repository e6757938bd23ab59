/* bulkhead-agent: PID 1 of a tenant microVM.  Serves the wire protocol
 * (lib/proto) on vsock port 1024 and on the virtio-serial port
 * org.bulkhead.agent.0, and makes containers with lib/container. */
#ifndef BH_AGENT_H
#define BH_AGENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/proto.h"
#include "util/error.h"

#define AGENT_VSOCK_PORT   1024
#define AGENT_SERIAL_NAME  "org.bulkhead.agent.0"
/* Overridable (--root) so the agent can also be tested on a host. */
extern const char *agent_state_root;   /* default /run/bulkhead */
extern char agent_bundles[512];        /* <state root>-agent/bundles */
#define AGENT_STATE_ROOT agent_state_root
#define AGENT_BUNDLES    agent_bundles
#define AGENT_MAX_CONNS    64
#define AGENT_MAX_PROCS    256

/* ---- pid1.c ---- */
/* Move off the initramfs (rootfs) onto a tmpfs and re-exec, so that
 * containers can pivot_root; returns only when not needed or on failure. */
void pid1_switch_root(char **argv);
int pid1_setup(struct bh_error *err);
/* The kernel command line (/proc/cmdline) holds word. */
bool pid1_cmdline_has(const char *word);
void pid1_poweroff(void) __attribute__((noreturn));
bool pid1_is_init(void);

struct agent_proc;
/* ---- server.c: connections and the event loop ---- */
struct agent_conn;
/* unix_path: also listen on a Unix socket (host-side tests). */
int server_run(const char *unix_path);
/* Send a frame on a request connection (reply or error). */
void server_send(struct agent_conn *c, json_t *msg);
/* A new stdio stream the host may attach to with a token.
 * fd: our end of the pipe; out: true if it carries data to the host. */
int server_stream_new(int fd, bool out, char token[33]);
void server_request_shutdown(void);
/* Collect fd's output into p's capture buffer `which` (0 stdout, 1 stderr). */
int server_capture(int fd, struct agent_proc *p, int which);

/* ---- procs.c: processes the agent waits for ---- */
struct agent_proc {
	bool used;
	char id[128];           /* container id */
	unsigned exec_id;       /* 0 = the container's init */
	pid_t pid;
	bool exited;
	int status;             /* shell-style exit status */
	struct agent_conn *waiter;
	uint64_t wait_req;
	/* stdio "capture": output returned in the wait reply */
	bool capture;
	bool cap_open[2];
	char *cap[2];
	size_t cap_len[2];
	bool cap_truncated;
};

/* Per stream: both, base64'd (4/3) in one wait reply, must fit in a frame
 * (BH_PROTO_MAX_FRAME, 1 MiB) with room to spare. */
#define AGENT_CAPTURE_MAX (256 * 1024)
struct agent_proc *procs_add(const char *id, unsigned exec_id, pid_t pid);
struct agent_proc *procs_find(const char *id, unsigned exec_id);
void procs_forget(const char *id);
/* Reap children; complete pending waits. */
void procs_reap(void);
/* A connection went away: drop its pending waits. */
void procs_drop_waiter(struct agent_conn *c);
unsigned procs_next_exec_id(void);
void procs_capture_append(struct agent_proc *p, int which, const char *buf, size_t n);
void procs_capture_eof(struct agent_proc *p, int which);
/* Reply to p's waiter if p has exited and its captured output is complete. */
void procs_try_complete(struct agent_proc *p);

/* ---- upload.c: rootfs tars sent by the host ---- */
/* --upload-max: cap on staged bytes (0: min(1 GiB, MemTotal / 2)). */
extern unsigned long long agent_upload_max;
/* One `upload` chunk; *size: bytes held for that name. */
int upload_chunk(json_t *params, long long *size, struct bh_error *err);
/* Consume upload `name`: extract it into a new tmpfs mounted on dir (made
 * here); on failure dir is unmounted and removed.  The staged tar is gone
 * either way. */
int upload_rootfs(const char *name, const char *dir, struct bh_error *err);
/* A create that failed before its upload was extracted still consumes it. */
void upload_discard_rootfs(json_t *rootfs);
/* Remove every staged upload (shutdown). */
void upload_cleanup_all(void);

/* ---- handlers.c ---- */
/* Handle one request; replies through server_send (maybe later, for wait). */
void handlers_dispatch(struct agent_conn *c, const struct bh_request *req);
/* Kill and delete every container (shutdown path). */
void handlers_cleanup_all(void);

#endif
