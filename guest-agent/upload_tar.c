/* The tar -> directory step of a rootfs upload (libarchive).  No agent
 * state here, so tests/fuzz/fuzz_agent_upload.c can include this file and
 * run the same code on arbitrary bytes. */
#include "guest-agent/upload_tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>

/* Entry names come from the tar: keep them printable ASCII, so the error
 * is a valid JSON string whatever the tar holds. */
static const char *tar_safe_name(const char *in, char *out, size_t n)
{
	size_t k = 0;
	for (; in && *in && k + 1 < n; in++)
		out[k++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
	out[k] = '\0';
	return out;
}

static int tar_fail(struct archive *a, struct archive_entry *e, const char *what,
		    struct bh_error *err)
{
	char name[160];
	int e_no = archive_errno(a) == ENOSPC ? ENOSPC : EINVAL;
	const char *msg = archive_error_string(a);
	char safe[256];
	tar_safe_name(msg ? msg : "unknown error", safe, sizeof(safe));
	if (e)
		return bh_error_setx(err, e_no, "%s %s: %s", what,
				     tar_safe_name(archive_entry_pathname(e), name, sizeof(name)), safe);
	return bh_error_setx(err, e_no, "%s: %s", what, safe);
}

int upload_tar_extract(struct archive *in, unsigned *skipped, struct bh_error *err)
{
	/* Entries may not climb out (..), be absolute, or be written through
	 * a symlink; the caller's chroot is the second wall. */
	const int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
			  ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
			  ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	struct archive *out = archive_write_disk_new();
	struct archive_entry *e;
	int r = 0;

	*skipped = 0;
	if (!out)
		return bh_error_setx(err, ENOMEM, "archive_write_disk_new");
	archive_write_disk_set_options(out, flags);
	for (;;) {
		int ar = archive_read_next_header(in, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			r = tar_fail(in, NULL, "reading the tar", err);
			goto out;
		}
		/* Devices come from the engine; a socket in a tar means nothing. */
		mode_t type = archive_entry_filetype(e);
		if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) {
			++*skipped;
			continue;
		}
		if (archive_write_header(out, e) < ARCHIVE_WARN) {
			r = tar_fail(out, e, "entry", err);
			goto out;
		}
		if (archive_entry_size(e) > 0) {
			const void *buf;
			size_t len;
			la_int64_t off;
			while ((ar = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK) {
				if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN) {
					r = tar_fail(out, e, "entry", err);
					goto out;
				}
			}
			if (ar != ARCHIVE_EOF) {
				r = tar_fail(in, e, "data of", err);
				goto out;
			}
		}
		if (archive_write_finish_entry(out) < ARCHIVE_WARN) {
			r = tar_fail(out, e, "entry", err);
			goto out;
		}
	}
	/* Directory modes and times are set last, at close. */
	if (archive_write_close(out) < ARCHIVE_WARN)
		r = tar_fail(out, NULL, "finishing", err);
out:
	archive_write_free(out);
	return r;
}

int upload_tar_open_fd(int fd, struct archive **a, struct bh_error *err)
{
	*a = archive_read_new();
	if (!*a)
		return bh_error_setx(err, ENOMEM, "archive_read_new");
	archive_read_support_format_tar(*a);
	archive_read_support_filter_none(*a);
	archive_read_support_filter_gzip(*a);
	if (archive_read_open_fd(*a, fd, 65536) != ARCHIVE_OK) {
		int r = tar_fail(*a, NULL, "opening the tar", err);
		archive_read_free(*a);
		*a = NULL;
		return r;
	}
	return 0;
}
