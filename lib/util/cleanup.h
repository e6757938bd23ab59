/* __attribute__((cleanup)) helpers, so early returns leak nothing. */
#ifndef BH_UTIL_CLEANUP_H
#define BH_UTIL_CLEANUP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void bh_freep(void *p) { free(*(void **)p); }
static inline void bh_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void bh_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void bh_closedirp(DIR **d) { if (*d) closedir(*d); }

#define _cleanup_free_     __attribute__((cleanup(bh_freep)))
#define _cleanup_close_    __attribute__((cleanup(bh_closep)))
#define _cleanup_fclose_   __attribute__((cleanup(bh_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(bh_closedirp)))

/* Hand ownership out of a cleanup variable. */
static inline int bh_steal_fd(int *fd) { int r = *fd; *fd = -1; return r; }
static inline void *bh_steal_ptr(void *pp)
{
	void **p = pp; void *r = *p; *p = NULL; return r;
}

#endif
