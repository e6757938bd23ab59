/* The agent's rootfs upload path on arbitrary bytes: the upload params
 * (name, base64 data) and the tar extraction (guest-agent/upload_tar.c,
 * libarchive) into a scratch directory.  The agent extracts in a chrooted
 * child; here it is one process, cwd = a fresh directory per input. */
#include <archive.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../guest-agent/upload_tar.c"
#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[64];

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void params_check(const uint8_t *data, size_t size)
{
	unsigned char *out = NULL;
	size_t n = 0, bad = 0;
	if (bh_b64_decode((const char *)data, size, &out, &n, &bad) == 0) {
		if (n > size / 4 * 3)
			abort();
		/* what we encode decodes to the same bytes */
		char *back = bh_b64_encode(out, n);
		unsigned char *again = NULL;
		size_t m = 0;
		if (!back || strlen(back) != size ||
		    bh_b64_decode(back, size, &again, &m, NULL) < 0 || m != n || memcmp(again, out, n) != 0)
			abort();
		free(again);
		free(back);
		free(out);
	} else if (bad > size) {
		abort();
	}
	char name[80];
	size_t k = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, k);
	name[k] = '\0';
	if (bh_proto_upload_name_valid(name) && (strchr(name, '/') || name[0] == '.' || !name[0]))
		abort();
}

static void scratch_remove(void)
{
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/root", scratch);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	rmdir(scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	params_check(data, size);
	if (!scratch[0]) {
		snprintf(scratch, sizeof(scratch), "/tmp/fuzz-agent-upload.XXXXXX");
		if (!mkdtemp(scratch))
			abort();
		atexit(scratch_remove);
	}
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/root", scratch);
	mkdir(dir, 0755);
	int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (here < 0 || chdir(dir) < 0)
		abort();
	struct archive *a = archive_read_new();
	struct bh_error err = { 0 };
	unsigned skipped = 0;
	archive_read_support_format_tar(a);
	archive_read_support_filter_none(a);
	archive_read_support_filter_gzip(a);
	if (archive_read_open_memory(a, data, size) == ARCHIVE_OK)
		upload_tar_extract(a, &skipped, &err);
	archive_read_free(a);
	if (fchdir(here) < 0)
		abort();
	close(here);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
