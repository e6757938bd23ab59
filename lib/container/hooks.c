/* OCI hooks: each one is run with the state JSON on stdin, its env and
 * args, and killed when its timeout passes. */
#include "container/rt_internal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

static int hook_run(const struct bh_spec_hook *h, const char *phase,
		    const char *state, struct bh_error *err)
{
	int in[2];
	/* A socket, not a pipe: MSG_NOSIGNAL spares us SIGPIPE handling when
	 * the hook does not read its stdin. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
		return bh_error_set(err, errno, "%s hook %s: pipe", phase, h->path);
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return bh_error_set(err, errno, "%s hook %s: fork", phase, h->path);
	}
	if (pid == 0) {
		dup2(in[0], 0);
		char *dflt[] = { h->path, NULL };
		char *empty[] = { NULL };
		execve(h->path, h->args ? h->args : dflt, h->env ? h->env : empty);
		dprintf(2, "bulkhead: %s hook %s: exec: %s\n", phase, h->path, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	shutdown(in[1], SHUT_RD);
	size_t len = strlen(state), off = 0;
	while (off < len) {
		ssize_t w = send(in[1], state + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			break; /* the exit status tells */
		off += (size_t)w;
	}
	close(in[1]);
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int status = 0;
	if (h->timeout != BH_UNSET && h->timeout > 0 && pfd >= 0) {
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		int ms = h->timeout > 2000000 ? 2000000000 : (int)h->timeout * 1000;
		int pr;
		do
			pr = poll(&p, 1, ms);
		while (pr < 0 && errno == EINTR);
		if (pr == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(pfd);
			return bh_error_setx(err, ETIMEDOUT, "%s hook %s: timed out after %lld s",
					     phase, h->path, (long long)h->timeout);
		}
	}
	if (pfd >= 0)
		close(pfd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return bh_error_setx(err, ECANCELED, "%s hook %s: killed by signal %d",
				     phase, h->path, WTERMSIG(status));
	return bh_error_setx(err, ECANCELED, "%s hook %s: exit status %d", phase,
			     h->path, WEXITSTATUS(status));
}

int hooks_run(const struct bh_spec_hook_list *hooks, const char *phase,
	      const char *state_json, struct bh_error *err)
{
	for (size_t i = 0; i < hooks->n; i++) {
		int r = hook_run(&hooks->hooks[i], phase, state_json, err);
		if (r < 0)
			return r;
	}
	return 0;
}
