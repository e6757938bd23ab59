/* The stand-in: a host process for a process in a tenant's VM.  It holds
 * what a supervisor (conmon, containerd's shim, a shell) expects of a
 * container process: its stdio carries the container's, signals sent to
 * it reach the container, and it exits with the container's status.
 *
 * With stdio streams (vsock) it keeps one connection with `wait`
 * outstanding.  On a one-connection channel (virtio-serial) holding it
 * would lock every other command out of the tenant, so it waits in short
 * turns and lets go in between; the agent answers a repeated `wait` with
 * the same status and output, so a reply lost at a hand-over costs
 * nothing. */
#include "vm_oci.h"
#include "vm_stdio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STANDIN_TURN_MS 400     /* how long one turn holds the serial channel */
#define STANDIN_GAP_MS 100      /* and how long it leaves it to others */

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void record_exit(const char *file, int status)
{
	char tmp[4300], buf[16];
	if (!file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	int n = snprintf(buf, sizeof(buf), "%d\n", status);
	vm_write_all(fd, buf, (size_t)n);
	close(fd);
	if (rename(tmp, file) < 0)
		unlink(tmp);
}

/* Exit as the container did: a signal death is re-raised, so a parent
 * sees WIFSIGNALED just as with a bare-mode container. */
static void __attribute__((noreturn)) exit_like(int status)
{
	int sig = status - 128;
	if (status > 128 && sig < SIGRTMIN && sig != SIGSTOP && sig != SIGTSTP &&
	    sig != SIGTTIN && sig != SIGTTOU && sig != SIGCHLD && sig != SIGCONT &&
	    sig != SIGURG && sig != SIGWINCH) {
		struct rlimit nocore = { 0, 0 };
		sigset_t all;
		setrlimit(RLIMIT_CORE, &nocore);
		signal(sig, SIG_DFL);
		sigemptyset(&all);
		sigaddset(&all, sig);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		raise(sig);
	}
	_exit(status & 0xff);
}

static void __attribute__((noreturn)) standin_fail(const struct vm_standin_args *s,
						   const struct bh_error *err)
{
	if (err->code == ENOENT) {
		/* the agent answered: the container was deleted under us */
		fprintf(stderr, "bulkhead: container %s: deleted while the process ran\n", s->id);
		record_exit(s->exit_file, 128 + SIGKILL);
		exit_like(128 + SIGKILL);
	}
	/* the VM closes the channel just before it is gone */
	for (int i = 0; i < 20 && tenant_vm_alive(s->t); i++)
		sleep_ms(50);
	if (!tenant_vm_alive(s->t))
		fprintf(stderr, "bulkhead: container %s: the VM of tenant %s (pid %d) died under it\n",
			s->id, s->t->name, (int)s->t->pid);
	else
		fprintf(stderr, "bulkhead: container %s: lost the agent: %s\n", s->id, err->msg);
	record_exit(s->exit_file, 255);
	_exit(255);
}

static void signal_ready(const struct vm_standin_args *s)
{
	if (s->ready_fd >= 0) {
		vm_write_all(s->ready_fd, "1", 1);
		close(s->ready_fd);
	}
}

/* streams: one connection, held until the process exits. */
static int standin_streams(const struct vm_standin_args *s, json_t **res, struct bh_error *err)
{
	int sfd[3] = { -1, -1, -1 };
	struct agent_client ac = { .fd = -1 };
	static const char *const names[3] = { "stdin", "stdout", "stderr" };
	for (int i = 0; i < 3; i++)
		if (vm_stream_open(s->t, s->streams, names[i], &sfd[i], err) < 0)
			return -err->code;
	if (tenant_connect(s->t, &ac, 10000, err) < 0)
		return -err->code;
	signal_ready(s);
	vm_stream_relay(0, 1, 2, sfd, &ac, s->id, s->exec_id);
	for (int i = 0; i < 3; i++)
		close(sfd[i]);
	int r = vm_wait_forwarding(&ac, s->id, s->exec_id, -1, res, err);
	agent_client_close(&ac);
	return r;
}

/* capture over a one-connection channel: wait in turns. */
static int standin_turns(const struct vm_standin_args *s, json_t **res, struct bh_error *err)
{
	signal_ready(s);
	int failures = 0;
	for (;;) {
		struct agent_client ac = { .fd = -1 };
		int r = tenant_connect(s->t, &ac, 30000, err);
		if (r == 0) {
			r = vm_wait_forwarding(&ac, s->id, s->exec_id, STANDIN_TURN_MS, res, err);
			agent_client_close(&ac);
			if (r == 0)
				return 0;
		}
		if (r != -ETIMEDOUT && (!tenant_vm_alive(s->t) || ++failures > 3))
			return r;
		if (r == -ETIMEDOUT)
			failures = 0;
		sleep_ms(STANDIN_GAP_MS);
	}
}

void vm_standin_main(const struct vm_standin_args *s)
{
	struct bh_error err = { 0 };
	json_t *res = NULL;
	prctl(PR_SET_NAME, "bulkhead-ctr", 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	vm_forward_signals(true);
	int r = s->streams ? standin_streams(s, &res, &err) : standin_turns(s, &res, &err);
	if (r < 0)
		standin_fail(s, &err);
	int status = vm_wait_result(res, "container", s->id);
	json_decref(res);
	record_exit(s->exit_file, status);
	vm_forward_signals(false);
	exit_like(status);
}

int vm_standin_spawn(const struct vm_standin_args *s, pid_t *pid, struct bh_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return bh_error_set(err, errno, "stand-in: pipe");
	fflush(NULL);
	pid_t child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return bh_error_set(err, errno, "stand-in: fork");
	}
	if (child == 0) {
		struct vm_standin_args a = *s;
		close(p[0]);
		a.ready_fd = p[1];
		vm_standin_main(&a);
	}
	close(p[1]);
	char b = 0;
	ssize_t n;
	while ((n = read(p[0], &b, 1)) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n != 1) {
		int ws = 0;
		waitpid(child, &ws, 0);
		return bh_error_setx(err, EIO, "stand-in for %s exited before attaching (status %d)",
				     s->id, bh_wait_status(ws));
	}
	*pid = child;
	return 0;
}
