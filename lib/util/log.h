/* Logging to stderr or to a --log file, as text or runc-style JSON lines
 * ({"level":"error","msg":"...","time":"..."}) for containerd/podman. */
#ifndef BH_UTIL_LOG_H
#define BH_UTIL_LOG_H

enum bh_log_level { BH_LOG_ERROR, BH_LOG_WARN, BH_LOG_INFO, BH_LOG_DEBUG };

/* path NULL: stderr. json: one JSON object a line. */
int bh_log_open(const char *path, int json, enum bh_log_level level);
void bh_log(enum bh_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The log fd (for handing to children); -1 when logging to stderr. */
int bh_log_fd(void);

#define bh_log_error(...) bh_log(BH_LOG_ERROR, __VA_ARGS__)
#define bh_log_warn(...)  bh_log(BH_LOG_WARN, __VA_ARGS__)
#define bh_log_info(...)  bh_log(BH_LOG_INFO, __VA_ARGS__)
#define bh_log_debug(...) bh_log(BH_LOG_DEBUG, __VA_ARGS__)

#endif
