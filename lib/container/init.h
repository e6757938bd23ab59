/* The container init's context, shared by create.c (parent) and init.c. */
#ifndef BH_CONTAINER_INIT_H
#define BH_CONTAINER_INIT_H

#include "container/rt_internal.h"

struct init_ctx {
	const struct bh_spec *spec;
	int sync_fd;                 /* the child's end */
	int console_fd;              /* -1 without --console-socket */
	int state_dirfd;             /* for the exec fifo (own file description) */
	int lock_fds[2];             /* the parent's locked state dir fds: closed */
	int preserve_fds;
	unsigned long clone_flags;   /* namespaces made by clone() */
	unsigned long unshare_flags; /* namespaces made by unshare() in the child */
	bool in_userns;
	bool no_pivot;
	bool no_new_keyring;
	const char *id;
	struct bh_filter filter;      /* seccomp, built by the parent */
	bool cgroup_entered;         /* SYNC_CGROUP received */
	bool cgroup_done;            /* ... and the cgroup namespace made */
};

/* Never returns. */
int init_main(struct init_ctx *c) __attribute__((noreturn));

#endif
