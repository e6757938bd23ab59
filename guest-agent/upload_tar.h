/* Extracting a rootfs tar with libarchive (guest-agent/upload_tar.c). */
#ifndef BH_AGENT_UPLOAD_TAR_H
#define BH_AGENT_UPLOAD_TAR_H

#include <stddef.h>

#include "util/error.h"

struct archive;

/* A reader for tar (ustar, pax, GNU), plain or gzip'd, on fd. */
int upload_tar_open_fd(int fd, struct archive **a, struct bh_error *err);
/* Extract every entry of `in` below the current directory, keeping modes,
 * owners (numeric ids) and times; refuses .., absolute names and writes
 * through symlinks.  Device nodes and sockets are skipped (*skipped counts
 * them).  Errors are EINVAL (ENOSPC when the target is full) with
 * libarchive's message. */
int upload_tar_extract(struct archive *in, unsigned *skipped, struct bh_error *err);

#endif
