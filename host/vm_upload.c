/* vm_upload_dir: a directory walk (archive_read_disk) written as a pax tar
 * (archive_write) whose output callback cuts 512 KiB chunks and sends each
 * as one `upload` request; only one chunk is in memory at a time. */
#include "vm_upload.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/cleanup.h"

struct upload_sink {
	struct agent_client *c;
	const char *name;
	int timeout_ms;
	unsigned char *buf;
	size_t len;
	long long sent;             /* bytes the agent holds */
	struct bh_error *err;
	bool failed;
};

static int sink_flush(struct upload_sink *s)
{
	_cleanup_free_ char *b64 = bh_b64_encode(s->buf, s->len);
	json_t *res = NULL;
	if (!b64)
		return bh_error_setx(s->err, ENOMEM, "upload %s: out of memory", s->name);
	json_t *params = json_pack("{s:s,s:I,s:s}", "name", s->name, "offset", (json_int_t)s->sent,
				   "data", b64);
	if (!params)
		return bh_error_setx(s->err, ENOMEM, "upload %s: out of memory", s->name);
	int r = agent_call(s->c, BH_M_UPLOAD, params, s->timeout_ms, &res, s->err);
	if (r < 0)
		return bh_error_wrap(s->err, "upload %s at offset %lld", s->name, s->sent);
	json_t *sz = json_object_get(res, "size");
	long long want = s->sent + (long long)s->len;
	if (!json_is_integer(sz) || json_integer_value(sz) != want) {
		json_decref(res);
		return bh_error_setx(s->err, EPROTO, "upload %s: agent holds %lld bytes, expected %lld",
				     s->name, json_is_integer(sz) ? (long long)json_integer_value(sz) : -1LL, want);
	}
	json_decref(res);
	s->sent = want;
	s->len = 0;
	return 0;
}

static la_ssize_t sink_write(struct archive *a, void *opaque, const void *data, size_t n)
{
	struct upload_sink *s = opaque;
	size_t done = 0;
	if (s->failed)
		return -1;
	while (done < n) {
		size_t take = BH_PROTO_UPLOAD_CHUNK - s->len;
		if (take > n - done)
			take = n - done;
		memcpy(s->buf + s->len, (const char *)data + done, take);
		s->len += take;
		done += take;
		if (s->len == BH_PROTO_UPLOAD_CHUNK && sink_flush(s) < 0) {
			s->failed = true;
			archive_set_error(a, s->err->code, "%s", s->err->msg);
			return -1;
		}
	}
	return (la_ssize_t)n;
}

/* The tar's names are relative to dir: "./", "./bin/sh". */
static int entry_rename(struct archive_entry *e, const char *dir, size_t dlen)
{
	const char *p = archive_entry_pathname(e);
	char buf[PATH_MAX + 4];
	if (!p || strncmp(p, dir, dlen) != 0 || (p[dlen] != '\0' && p[dlen] != '/'))
		return -EINVAL;
	p += dlen;
	while (*p == '/')
		p++;
	snprintf(buf, sizeof(buf), "./%s", p);
	archive_entry_copy_pathname(e, buf);
	return 0;
}

static int copy_data(struct archive *disk, struct archive *out, struct archive_entry *e,
		     struct upload_sink *s, struct bh_error *err)
{
	static const char zeros[65536];
	const void *buf;
	size_t len;
	la_int64_t off, done = 0;
	int r;
	/* Holes of a sparse file come back as gaps between blocks; the tar
	 * writer wants the bytes in order (as bsdtar does it). */
	while ((r = archive_read_data_block(disk, &buf, &len, &off)) == ARCHIVE_OK) {
		while (done < off) {
			size_t z = off - done > (la_int64_t)sizeof(zeros) ? sizeof(zeros) : (size_t)(off - done);
			if (archive_write_data(out, zeros, z) < 0)
				goto write_failed;
			done += (la_int64_t)z;
		}
		if (len && archive_write_data(out, buf, len) < 0)
			goto write_failed;
		done += (la_int64_t)len;
	}
	if (r != ARCHIVE_EOF)
		return bh_error_setx(err, EIO, "read %s: %s", archive_entry_pathname(e),
				     archive_error_string(disk));
	return 0;
write_failed:
	if (s->failed)
		return -s->err->code;
	return bh_error_setx(err, EIO, "tar %s: %s", archive_entry_pathname(e), archive_error_string(out));
}

static int write_entry(struct archive *out, struct archive *disk, struct archive_entry *e,
		       struct upload_sink *s, struct bh_error *err)
{
	int r = archive_write_header(out, e);
	if (s->failed)
		return -s->err->code;
	if (r < ARCHIVE_WARN)
		return bh_error_setx(err, EIO, "tar %s: %s", archive_entry_pathname(e), archive_error_string(out));
	if (disk && archive_entry_size(e) > 0)
		return copy_data(disk, out, e, s, err);
	return 0;
}

/* Append dir's tree to the tar; the root entry only for the first dir,
 * so an overlay dir cannot change the root's mode. */
static int walk_dir(struct archive *out, struct archive_entry_linkresolver *links,
		    const char *dir, bool with_root, struct upload_sink *s, struct bh_error *err)
{
	char real[PATH_MAX];
	struct stat st;
	int r = 0;
	if (!realpath(dir, real))
		return bh_error_set(err, errno, "upload %s", dir);
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
		return bh_error_set(err, errno ? errno : ENOTDIR, "upload %s: not a directory", dir);
	struct archive *disk = archive_read_disk_new();
	if (!disk)
		return bh_error_setx(err, ENOMEM, "upload %s: out of memory", dir);
	/* Numeric owners only (no host user names); symlinks as links; stay
	 * on dir's file system; no xattrs, ACLs or file flags. */
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS |
				       ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL |
				       ARCHIVE_READDISK_NO_FFLAGS);
	if (archive_read_disk_open(disk, real) != ARCHIVE_OK) {
		r = bh_error_setx(err, EIO, "upload %s: %s", dir, archive_error_string(disk));
		goto done;
	}
	size_t dlen = strlen(real);
	for (;;) {
		struct archive_entry *e = archive_entry_new(), *spare = NULL;
		if (!e) {
			r = bh_error_setx(err, ENOMEM, "upload %s: out of memory", dir);
			goto done;
		}
		int ar = archive_read_next_header2(disk, e);
		if (ar == ARCHIVE_EOF) {
			archive_entry_free(e);
			break;
		}
		if (ar < ARCHIVE_WARN) {
			r = bh_error_setx(err, EIO, "upload %s: %s", dir, archive_error_string(disk));
			archive_entry_free(e);
			goto done;
		}
		archive_read_disk_descend(disk);
		bool is_root = strcmp(archive_entry_pathname(e), real) == 0;
		if (archive_entry_filetype(e) == AE_IFSOCK || (is_root && !with_root) ||
		    entry_rename(e, real, dlen) < 0) {
			archive_entry_free(e);
			continue;
		}
		/* A second name of a hard-linked file becomes a link entry (tar
		 * strategy: e stays ours, spare is never set). */
		archive_entry_linkify(links, &e, &spare);
		if (e)
			r = write_entry(out, disk, e, s, err);
		if (r == 0 && spare)
			r = write_entry(out, NULL, spare, s, err);
		archive_entry_free(e);
		archive_entry_free(spare);
		if (r < 0)
			goto done;
	}
done:
	archive_read_free(disk);
	return r;
}

int vm_upload_dirs(struct agent_client *c, const char *const *dirs, size_t n, const char *name,
		   int timeout_ms, struct bh_error *err)
{
	struct upload_sink s = { .c = c, .name = name, .timeout_ms = timeout_ms, .err = err };
	struct archive *out = NULL;
	struct archive_entry_linkresolver *links = NULL;
	int r = 0;

	if (!bh_proto_upload_name_valid(name))
		return bh_error_setx(err, EINVAL, "upload name \"%.80s\": expected 1-%d of [A-Za-z0-9_.-], not starting with '.'",
				     name, BH_PROTO_UPLOAD_NAME_MAX);
	if (n == 0)
		return bh_error_setx(err, EINVAL, "upload %s: no directory", name);
	s.buf = malloc(BH_PROTO_UPLOAD_CHUNK);
	out = archive_write_new();
	links = archive_entry_linkresolver_new();
	if (!s.buf || !out || !links) {
		r = bh_error_setx(err, ENOMEM, "upload %s: out of memory", name);
		goto done;
	}
	archive_write_set_format_pax_restricted(out);
	archive_write_add_filter_none(out);
	archive_write_set_bytes_in_last_block(out, 1);
	archive_entry_linkresolver_set_strategy(links, archive_format(out));
	if (archive_write_open(out, &s, NULL, sink_write, NULL) != ARCHIVE_OK) {
		r = bh_error_setx(err, EIO, "upload %s: tar writer: %s", name, archive_error_string(out));
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		if ((r = walk_dir(out, links, dirs[i], i == 0, &s, err)) < 0)
			goto done;
	if (archive_write_close(out) != ARCHIVE_OK) {
		r = s.failed ? -err->code
			     : bh_error_setx(err, EIO, "upload %s: tar writer: %s", name, archive_error_string(out));
		goto done;
	}
	/* The last partial chunk (or the only one, for a small tree). */
	if (s.len > 0 || s.sent == 0)
		r = sink_flush(&s);
done:
	if (links)
		archive_entry_linkresolver_free(links);
	if (out)
		archive_write_free(out);
	free(s.buf);
	return r;
}

int vm_upload_dir(struct agent_client *c, const char *dir, const char *name, int timeout_ms,
		  struct bh_error *err)
{
	return vm_upload_dirs(c, &dir, 1, name, timeout_ms, err);
}

void vm_upload_name(const char *id, char *out, size_t n)
{
	size_t k = 0;
	if (n == 0)
		return;
	for (; id && *id && k + 1 < n && k < BH_PROTO_UPLOAD_NAME_MAX; id++) {
		char ch = *id;
		bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || (ch == '.' && k > 0);
		out[k++] = ok ? ch : '_';
	}
	if (k == 0 && n > 1)
		out[k++] = '_';
	out[k] = '\0';
}
