/* The bulkhead CLI (bare mode): global options and helpers shared by the
 * verb files cmd_<verb>.c.  A thin layer over container/runtime.h. */
#ifndef BH_HOST_CLI_H
#define BH_HOST_CLI_H

#include <stdbool.h>
#include <stdio.h>

#undef linux
#include "container/runtime.h"
#include "util/error.h"

struct cli_global {
	const char *root;
	const char *log;
	bool log_json;
	bool debug;
	bool systemd_cgroup;
	const char *mode;    /* --mode vm|bare (create/run; NULL: from the config) */
	const char *tenant;  /* --tenant NAME: VM mode's tenant */
};

extern struct cli_global cli;

struct cli_verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;    /* synopsis after "bulkhead <verb> " */
	const char *summary;
};

/* Print "bulkhead: <verb>: <msg>" to stderr (and the --log file); returns 1. */
int cli_fail(const char *verb, const struct bh_error *err);
int cli_failx(const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Usage error for verb: prints the synopsis, returns 1. */
int cli_usage(const char *verb, const char *why);
/* "TERM", "SIGTERM", "15", "RTMIN+1" -> number; -1 when unknown. */
int cli_parse_signal(const char *s);
/* A verb whose only argument is an id; returns 1 after a usage error. */
int cli_only_id(const char *verb, int argc, char **argv, const char **id);
/* Write pid to path atomically (tmp + rename). */
int cli_write_pid_file(const char *path, pid_t pid, struct bh_error *err);
/* Read a whole file (NUL-terminated, caller frees). */
char *cli_read_file(const char *path, size_t *len, struct bh_error *err);
/* Absolute version of path (caller frees). */
char *cli_abspath(const char *path);
/* Forward signals to pid and wait for it; returns its shell-style status. */
int cli_wait_forward(pid_t pid);

struct create_args {
	const char *id, *bundle, *console_socket, *pid_file;
	int preserve_fds;
	bool no_pivot, no_new_keyring, detach, foreground;
	int console_mine;   /* out: >= 0 when cli_create made a pty socketpair */
	bool vm;            /* out: created in a tenant's VM (vm_oci.h); pid: the stand-in */
};
/* Parse create/run options; returns 1 after printing a usage error. */
int cli_parse_create(const char *verb, int argc, char **argv, bool run,
		     struct create_args *a);
/* Create from a->bundle; returns 0 or 1 after printing the error. */
int cli_create(const char *verb, struct create_args *a, pid_t *pid);

/* run/exec --tty without --console-socket: a socketpair for the runtime,
 * the pty master from it, then the proxy (returns the process's status). */
int cli_console_pair(int *mine, int *theirs);
int cli_console_recv(int sock);
int cli_console_proxy(int master, pid_t pid);

#define CLI_VERBS(X) \
	X(create) X(start) X(run) X(state) X(kill) X(delete) X(exec) \
	X(list) X(ps) X(spec) X(features) X(pause) X(resume) X(update)

#define X(v) int cmd_##v(int argc, char **argv);
CLI_VERBS(X)
#undef X

#endif
