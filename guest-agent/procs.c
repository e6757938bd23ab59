/* Processes the agent is the parent of (container inits and exec'd
 * processes): reaping, exit statuses, pending waits, captured output. */
#include "agent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "container/runtime.h"
#include "util/log.h"

static struct agent_proc procs[AGENT_MAX_PROCS];
static unsigned exec_seq;

unsigned procs_next_exec_id(void)
{
	return ++exec_seq;
}

struct agent_proc *procs_add(const char *id, unsigned exec_id, pid_t pid)
{
	for (int i = 0; i < AGENT_MAX_PROCS; i++) {
		struct agent_proc *p = &procs[i];
		if (p->used)
			continue;
		memset(p, 0, sizeof(*p));
		p->used = true;
		snprintf(p->id, sizeof(p->id), "%s", id);
		p->exec_id = exec_id;
		p->pid = pid;
		return p;
	}
	return NULL;
}

struct agent_proc *procs_find(const char *id, unsigned exec_id)
{
	for (int i = 0; i < AGENT_MAX_PROCS; i++)
		if (procs[i].used && procs[i].exec_id == exec_id &&
		    strcmp(procs[i].id, id) == 0)
			return &procs[i];
	return NULL;
}

static void proc_release(struct agent_proc *p)
{
	free(p->cap[0]);
	free(p->cap[1]);
	memset(p, 0, sizeof(*p));
}

void procs_forget(const char *id)
{
	for (int i = 0; i < AGENT_MAX_PROCS; i++)
		if (procs[i].used && strcmp(procs[i].id, id) == 0 &&
		    !procs[i].cap_open[0] && !procs[i].cap_open[1])
			proc_release(&procs[i]);
}

static char *b64_encode(const char *in, size_t n)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		*o++ = tbl[v >> 18 & 63];
		*o++ = tbl[v >> 12 & 63];
		*o++ = i + 1 < n ? tbl[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? tbl[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

void procs_try_complete(struct agent_proc *p)
{
	if (!p->exited || !p->waiter || p->cap_open[0] || p->cap_open[1])
		return;
	json_t *res = json_pack("{s:i}", "status", p->status);
	if (p->capture && res) {
		char *o = b64_encode(p->cap[0] ? p->cap[0] : "", p->cap_len[0]);
		char *e = b64_encode(p->cap[1] ? p->cap[1] : "", p->cap_len[1]);
		json_object_set_new(res, "stdout_b64", json_string(o ? o : ""));
		json_object_set_new(res, "stderr_b64", json_string(e ? e : ""));
		json_object_set_new(res, "truncated", json_boolean(p->cap_truncated));
		free(o);
		free(e);
	}
	server_send(p->waiter, bh_proto_reply(p->wait_req, res));
	p->waiter = NULL;
}

void procs_capture_append(struct agent_proc *p, int which, const char *buf, size_t n)
{
	if (p->cap_len[which] + n > AGENT_CAPTURE_MAX) {
		p->cap_truncated = true;
		n = AGENT_CAPTURE_MAX - p->cap_len[which];
	}
	if (n == 0)
		return;
	char *nb = realloc(p->cap[which], p->cap_len[which] + n);
	if (!nb) {
		p->cap_truncated = true;
		return;
	}
	memcpy(nb + p->cap_len[which], buf, n);
	p->cap[which] = nb;
	p->cap_len[which] += n;
}

void procs_capture_eof(struct agent_proc *p, int which)
{
	p->cap_open[which] = false;
	procs_try_complete(p);
}

void procs_reap(void)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid <= 0)
			return;
		for (int i = 0; i < AGENT_MAX_PROCS; i++) {
			struct agent_proc *p = &procs[i];
			if (!p->used || p->pid != pid || p->exited)
				continue;
			p->exited = true;
			p->status = bh_wait_status(st);
			bh_log_debug("container %s exec %u: pid %d exited %d", p->id,
				     p->exec_id, pid, p->status);
			procs_try_complete(p);
		}
	}
}

void procs_drop_waiter(struct agent_conn *c)
{
	for (int i = 0; i < AGENT_MAX_PROCS; i++)
		if (procs[i].waiter == c)
			procs[i].waiter = NULL;
}
