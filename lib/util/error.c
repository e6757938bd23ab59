#include "util/error.h"

#include <stdio.h>
#include <string.h>

static int error_vset(struct bh_error *err, int code, int with_errno,
		      const char *fmt, va_list ap)
{
	int ret = code > 0 ? -code : -EINVAL;

	if (!err)
		return ret;
	err->code = -ret;
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (with_errno && code > 0 && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s",
			 strerror(code));
	return ret;
}

int bh_error_set(struct bh_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int ret = error_vset(err, code, 1, fmt, ap);
	va_end(ap);
	return ret;
}

int bh_error_setx(struct bh_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int ret = error_vset(err, code, 0, fmt, ap);
	va_end(ap);
	return ret;
}

int bh_error_wrap(struct bh_error *err, const char *fmt, ...)
{
	char prefix[BH_ERROR_MAX];
	char old[BH_ERROR_MAX];
	va_list ap;

	if (!err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation is fine: the start of the message carries the context. */
	size_t p = strnlen(prefix, sizeof(err->msg) - 3);
	memcpy(err->msg, prefix, p);
	memcpy(err->msg + p, ": ", 2);
	size_t room = sizeof(err->msg) - p - 3;
	size_t o = strnlen(old, room);
	memcpy(err->msg + p + 2, old, o);
	err->msg[p + 2 + o] = '\0';
	return err->code ? -err->code : -EINVAL;
}

void bh_error_clear(struct bh_error *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
