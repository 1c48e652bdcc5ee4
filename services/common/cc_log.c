/* cc_log: JSON-lines logger. See cc_log.h for the format and threading. */
#include "cc_log.h"
#include "cc_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KV_MAX 32

static struct {
    char service[32];
    char instance[96];
    enum cc_log_level min;
} logger = {"-", "-", CC_LOG_INFO};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

bool cc_log_level_parse(const char *s, size_t len, enum cc_log_level *out)
{
    for (int i = 0; i <= CC_LOG_ERROR; i++) {
        if (strlen(level_names[i]) == len && memcmp(level_names[i], s, len) == 0) {
            *out = (enum cc_log_level)i;
            return true;
        }
    }
    return false;
}

const char *cc_log_level_str(enum cc_log_level level)
{
    return level <= CC_LOG_ERROR ? level_names[level] : "?";
}

void cc_log_setup(const char *service, const char *instance, enum cc_log_level min)
{
    snprintf(logger.service, sizeof(logger.service), "%s", service);
    snprintf(logger.instance, sizeof(logger.instance), "%s", instance);
    logger.min = min;
}

bool cc_log_enabled(enum cc_log_level level)
{
    return level >= logger.min;
}

/* Appends s as a JSON string (with quotes) at *pos, never past len - 2
 * (room is kept for the closing "}\n"). Returns false when it had to cut. */
static bool put_str(char *buf, size_t len, size_t *pos, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t p = *pos;
    size_t lim = len - 3; /* '"' + "}\n" ... NUL handled by caller */

    if (p + 2 > lim)
        return false;
    buf[p++] = '"';
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[7];
        size_t n;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            n = 2;
        } else if (c == '\n') {
            memcpy(esc, "\\n", 2);
            n = 2;
        } else if (c == '\t') {
            memcpy(esc, "\\t", 2);
            n = 2;
        } else if (c == '\r') {
            memcpy(esc, "\\r", 2);
            n = 2;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        } else {
            esc[0] = (char)c;
            n = 1;
        }
        if (p + n + 1 > lim) {
            buf[p++] = '"';
            *pos = p;
            return false;
        }
        memcpy(buf + p, esc, n);
        p += n;
    }
    buf[p++] = '"';
    *pos = p;
    return true;
}

static bool put_raw(char *buf, size_t len, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    if (*pos + n > len - 3)
        return false;
    memcpy(buf + *pos, s, n);
    *pos += n;
    return true;
}

static bool put_field(char *buf, size_t len, size_t *pos, const char *k, const char *v)
{
    size_t save = *pos;
    if (put_raw(buf, len, pos, ",") && put_str(buf, len, pos, k) && put_raw(buf, len, pos, ":") &&
        put_str(buf, len, pos, v))
        return true;
    *pos = save; /* drop the whole field rather than leave half of it */
    return false;
}

size_t cc_log_format(char *buf, size_t len, long long wall_ms, enum cc_log_level level,
                     const char *msg, const char *const *kv)
{
    char ts[32];
    size_t pos = 0;

    if (len < 64) {
        if (len > 0)
            buf[0] = '\0';
        return 0;
    }
    cc_time_iso(ts, sizeof(ts), wall_ms);
    put_raw(buf, len, &pos, "{\"ts\":");
    put_str(buf, len, &pos, ts);
    put_field(buf, len, &pos, "level", cc_log_level_str(level));
    put_field(buf, len, &pos, "service", logger.service);
    put_field(buf, len, &pos, "instance", logger.instance);
    if (!put_field(buf, len, &pos, "msg", msg)) {
        /* too long: keep as much of the message as fits */
        if (put_raw(buf, len, &pos, ",\"msg\":"))
            put_str(buf, len, &pos, msg);
    }
    for (size_t i = 0; kv != NULL && kv[i] != NULL && kv[i + 1] != NULL; i += 2) {
        if (!put_field(buf, len, &pos, kv[i], kv[i + 1]))
            break;
    }
    buf[pos++] = '}';
    buf[pos++] = '\n';
    buf[pos] = '\0';
    return pos;
}

static void emit(enum cc_log_level level, const char *msg, const char *const *kv)
{
    char line[CC_LOG_LINE_MAX];
    size_t n = cc_log_format(line, sizeof(line), cc_wall_ms(), level, msg, kv);
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w; /* nowhere better to report a failed log write */
}

void cc_log(enum cc_log_level level, const char *msg, ...)
{
    const char *kv[KV_MAX * 2 + 1];
    size_t n = 0;
    va_list ap;

    if (!cc_log_enabled(level))
        return;
    va_start(ap, msg);
    for (;;) {
        const char *s = va_arg(ap, const char *);
        if (s == NULL || n >= KV_MAX * 2)
            break;
        kv[n++] = s;
    }
    va_end(ap);
    kv[n & ~(size_t)1] = NULL; /* an odd trailing key is ignored */
    emit(level, msg, kv);
}

void cc_logf(enum cc_log_level level, const char *fmt, ...)
{
    char msg[CC_LOG_LINE_MAX / 2];
    va_list ap;

    if (!cc_log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    emit(level, msg, NULL);
}
