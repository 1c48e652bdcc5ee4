/*
 * cc_log: structured logging, one JSON object per line on stderr.
 *
 *   {"ts":"2026-11-25T03:04:05.678Z","level":"warn","service":"queue",
 *    "instance":"queue-ab12cd","msg":"malformed protobuf dropped",
 *    "subject":"cc.queue.ping","bytes":"7"}
 *
 * The logger is configured once at start-up (cc_log_setup) before any thread
 * exists and is read-only afterwards; each line goes out in a single write(2),
 * so lines from different threads never interleave.
 */
#ifndef CC_LOG_H
#define CC_LOG_H
#include <stdbool.h>
#include <stddef.h>

enum cc_log_level { CC_LOG_DEBUG = 0, CC_LOG_INFO, CC_LOG_WARN, CC_LOG_ERROR };

#define CC_LOG_LINE_MAX 4096 /* longer lines are cut, keeping the JSON valid */

/* Parses "debug", "info", "warn" or "error" (s need not be NUL-terminated). */
bool cc_log_level_parse(const char *s, size_t len, enum cc_log_level *out);
const char *cc_log_level_str(enum cc_log_level level);

/* Strings are copied. Call before starting threads. */
void cc_log_setup(const char *service, const char *instance, enum cc_log_level min);
bool cc_log_enabled(enum cc_log_level level);

/* Logs msg with key/value string pairs, terminated by NULL: ("k1", "v1", NULL). */
void cc_log(enum cc_log_level level, const char *msg, ...) __attribute__((sentinel));
/* Logs a printf-formatted message with no extra fields. */
void cc_logf(enum cc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Formats one log line into buf (for tests and for the writer above); returns
 * its length, always < len, and ends it with '\n'. kv is a NULL-terminated
 * array of key, value pointers.
 */
size_t cc_log_format(char *buf, size_t len, long long wall_ms, enum cc_log_level level,
                     const char *msg, const char *const *kv);

#endif
