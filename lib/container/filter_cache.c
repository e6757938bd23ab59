/* Compiled seccomp filters, cached.  Building a filter with libseccomp costs
 * ~10 ms of CPU for a Docker-sized profile, more than the rest of a container
 * start.  The parent builds (or finds) the BPF before the clone; the init
 * only loads it with seccomp(2).  A cache entry holds the full canonical
 * form of the profile it was built from and is used only on an exact match,
 * so a hash collision can never load the wrong filter. */
#include "container/rt_internal.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container/seccomp.h"
#include "util/cleanup.h"

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void buf_u64(struct buf *b, uint64_t v) { buf_add(b, &v, sizeof(v)); }

static void buf_str(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : (size_t)-1;
	buf_u64(b, n);
	if (s)
		buf_add(b, s, n);
}

static void buf_strv(struct buf *b, char **v, size_t n)
{
	buf_u64(b, n);
	for (size_t i = 0; i < n; i++)
		buf_str(b, v[i]);
}

/* Every field of the profile, unambiguously (length-prefixed). */
static int canon(const struct bh_spec_seccomp *sc, struct buf *b)
{
	buf_add(b, "bh-seccomp-1", 12);
	buf_u64(b, sc->default_action);
	buf_u64(b, (uint64_t)sc->default_errno);
	buf_strv(b, sc->architectures, sc->n_architectures);
	buf_strv(b, sc->flags, sc->n_flags);
	buf_u64(b, sc->n_rules);
	for (size_t i = 0; i < sc->n_rules; i++) {
		const struct bh_spec_seccomp_rule *r = &sc->rules[i];
		buf_strv(b, r->names, r->n_names);
		buf_u64(b, r->action);
		buf_u64(b, (uint64_t)r->errno_ret);
		buf_u64(b, r->n_args);
		for (size_t k = 0; k < r->n_args; k++) {
			buf_u64(b, r->args[k].index);
			buf_u64(b, r->args[k].value);
			buf_u64(b, r->args[k].value_two);
			buf_u64(b, r->args[k].op);
		}
	}
	return b->oom ? -ENOMEM : 0;
}

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static unsigned filter_flags(const struct bh_spec_seccomp *sc)
{
	unsigned f = 0;
	for (size_t i = 0; i < sc->n_flags; i++) {
		if (!strcmp(sc->flags[i], "SECCOMP_FILTER_FLAG_TSYNC"))
			f |= SECCOMP_FILTER_FLAG_TSYNC;
		else if (!strcmp(sc->flags[i], "SECCOMP_FILTER_FLAG_LOG"))
			f |= SECCOMP_FILTER_FLAG_LOG;
		else if (!strcmp(sc->flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			f |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
	}
	return f;
}

static char *read_all(int fd, size_t *n)
{
	struct stat sb;
	if (fstat(fd, &sb) < 0 || sb.st_size <= 0 || sb.st_size > (16 << 20))
		return NULL;
	char *p = malloc((size_t)sb.st_size);
	if (!p)
		return NULL;
	size_t off = 0;
	while (off < (size_t)sb.st_size) {
		ssize_t r = pread(fd, p + off, (size_t)sb.st_size - off, (off_t)off);
		if (r <= 0) {
			free(p);
			return NULL;
		}
		off += (size_t)r;
	}
	*n = off;
	return p;
}

static int cache_lookup(int dirfd, const char *name, const struct buf *key,
			struct bh_filter *f)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	size_t n;
	char *p = read_all(fd, &n);
	if (!p)
		return -EIO;
	uint64_t klen;
	if (n < sizeof(klen))
		goto bad;
	memcpy(&klen, p, sizeof(klen));
	if (klen != key->len || n - sizeof(klen) < klen ||
	    memcmp(p + sizeof(klen), key->p, klen) != 0)
		goto bad;
	size_t blen = n - sizeof(klen) - klen;
	if (blen == 0 || blen % sizeof(struct sock_filter) || blen / sizeof(struct sock_filter) > BPF_MAXINSNS)
		goto bad;
	f->insns = malloc(blen);
	if (!f->insns)
		goto bad;
	memcpy(f->insns, p + sizeof(klen) + klen, blen);
	f->n_insns = blen / sizeof(struct sock_filter);
	free(p);
	return 0;
bad:
	free(p);
	return -EINVAL;
}

static void cache_store(int dirfd, const char *name, const struct buf *key,
			const struct bh_filter *f)
{
	uint64_t klen = key->len;
	struct buf b = { 0 };
	buf_add(&b, &klen, sizeof(klen));
	buf_add(&b, key->p, key->len);
	buf_add(&b, f->insns, f->n_insns * sizeof(struct sock_filter));
	if (!b.oom)
		state_write_file(dirfd, name, b.p, b.len, NULL);
	free(b.p);
}

static int compile(const struct bh_spec_seccomp *sc, struct bh_filter *f,
		   struct bh_error *err)
{
	_cleanup_close_ int fd = (int)syscall(SYS_memfd_create, "bh-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return bh_error_set(err, errno, "seccomp: memfd_create");
	int r = bh_seccomp_export(sc, fd, err);
	if (r < 0)
		return r;
	size_t n;
	char *p = read_all(fd, &n);
	if (!p || n % sizeof(struct sock_filter)) {
		free(p);
		return bh_error_setx(err, EIO, "seccomp: bad exported filter");
	}
	f->insns = (struct sock_filter *)p;
	f->n_insns = n / sizeof(struct sock_filter);
	return 0;
}

int filter_prepare(const struct bh_spec_seccomp *sc, const char *root,
		   struct bh_filter *f, struct bh_error *err)
{
	memset(f, 0, sizeof(*f));
	if (!sc)
		return 0;
	f->present = true;
	f->flags = filter_flags(sc);
	struct buf key = { 0 };
	if (canon(sc, &key) < 0) {
		free(key.p);
		return bh_error_set(err, ENOMEM, "seccomp profile");
	}
	char name[64];
	snprintf(name, sizeof(name), "seccomp-%016llx.bpf",
		 (unsigned long long)fnv1a(key.p, key.len));
	int dirfd = -1, rootfd = -1;
	if (state_root_open(root, true, &rootfd, NULL) == 0) {
		if (mkdirat(rootfd, BH_CACHE_DIR, 0700) < 0 && errno != EEXIST) {
			/* no cache: fine */
		}
		dirfd = openat(rootfd, BH_CACHE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		close(rootfd);
	}
	int r = 0;
	if (dirfd < 0 || cache_lookup(dirfd, name, &key, f) < 0) {
		r = compile(sc, f, err);
		if (r == 0 && dirfd >= 0)
			cache_store(dirfd, name, &key, f);
	}
	if (dirfd >= 0)
		close(dirfd);
	free(key.p);
	return r;
}

int filter_load(const struct bh_filter *f, struct bh_error *err)
{
	struct sock_fprog prog = { .len = (unsigned short)f->n_insns, .filter = f->insns };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog) < 0)
		return bh_error_set(err, errno, "seccomp: load filter");
	return 0;
}

void filter_free(struct bh_filter *f)
{
	free(f->insns);
	memset(f, 0, sizeof(*f));
}
