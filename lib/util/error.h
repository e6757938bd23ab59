/* Errors with context: functions return 0 or a negative errno and fill a
 * struct bh_error whose message says what failed and why. */
#ifndef BH_UTIL_ERROR_H
#define BH_UTIL_ERROR_H

#include <errno.h>
#include <stdarg.h>

#define BH_ERROR_MAX 1024

struct bh_error {
	int code;                 /* positive errno, 0 when no error */
	char msg[BH_ERROR_MAX];   /* "what: why" */
};

/* Set err (if not NULL) to "fmt...: strerror(code)" and return -code.
 * code may be 0 for errors that have no errno; then -EINVAL is returned. */
int bh_error_set(struct bh_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, without appending strerror(code). */
int bh_error_setx(struct bh_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix an existing message with more context: "ctx: old". */
int bh_error_wrap(struct bh_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bh_error_clear(struct bh_error *err);

#endif
