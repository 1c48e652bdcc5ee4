/* cc_config: environment variables -> struct cc_config, validated. */
#include "cc_config.h"
#include "cc_id.h"
#include "cc_redis.h"
#include "cc_url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool cc_config_parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (s == NULL || *s == '\0')
        return false;
    for (const char *p = s; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (p == s && *p == '-')))
            return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* digits only, at most 7 of them, value in [1, max] */
static bool parse_count(const char *s, size_t len, long max, int *out)
{
    long v = 0;

    if (len == 0 || len > 7)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > max)
        return false;
    *out = (int)v;
    return true;
}

bool cc_config_parse_rate(const char *s, size_t len, struct cc_rate *out)
{
    const char *slash;
    struct cc_rate r;

    if (s == NULL)
        return false;
    if ((len == 3 && memcmp(s, "off", 3) == 0) || (len == 1 && s[0] == '0')) {
        out->burst = 0;
        out->period_s = 0;
        return true;
    }
    slash = memchr(s, '/', len);
    if (slash == NULL || !parse_count(s, (size_t)(slash - s), CC_RATE_BURST_MAX, &r.burst) ||
        !parse_count(slash + 1, (size_t)(s + len - slash - 1), CC_RATE_PERIOD_MAX, &r.period_s))
        return false;
    *out = r;
    return true;
}

static cc_status get_rate(const char *name, const char *def, struct cc_rate *out, char *err,
                          size_t errlen)
{
    const char *s = getenv(name);

    if (s == NULL)
        s = def;
    if (!cc_config_parse_rate(s, strlen(s), out)) {
        snprintf(err, errlen,
                 "%s=\"%.40s\" is invalid: expected <requests>/<seconds> (1 to %d requests, 1 to "
                 "%d seconds, e.g. 30/60) or off",
                 name, s, CC_RATE_BURST_MAX, CC_RATE_PERIOD_MAX);
        return CC_ERR_CONFIG;
    }
    return CC_OK;
}

static cc_status get_long(const char *name, long def, long min, long max, long *out, char *err,
                          size_t errlen)
{
    const char *s = getenv(name);
    long v = def;

    if (s != NULL && !cc_config_parse_int(s, min, max, &v)) {
        snprintf(err, errlen, "%s=\"%.40s\" is invalid: expected an integer from %ld to %ld", name,
                 s, min, max);
        return CC_ERR_CONFIG;
    }
    *out = v;
    return CC_OK;
}

/* min and max are within int's range, so the value is too. */
static cc_status get_int(const char *name, long def, long min, long max, int *out, char *err,
                         size_t errlen)
{
    long v;
    cc_status st = get_long(name, def, min, max, &v, err, errlen);

    if (st == CC_OK)
        *out = (int)v;
    return st;
}

static cc_status get_str(const char *name, const char *def, char *out, size_t cap, char *err,
                         size_t errlen)
{
    const char *s = getenv(name);

    if (s == NULL)
        s = def;
    if (strlen(s) >= cap) {
        snprintf(err, errlen, "%s is too long (at most %zu characters)", name, cap - 1);
        return CC_ERR_CONFIG;
    }
    memcpy(out, s, strlen(s) + 1);
    return CC_OK;
}

static cc_status check_url(const char *name, const char *value, const char *scheme1,
                           const char *scheme2, char *err, size_t errlen)
{
    struct cc_url u;
    char why[128];

    if (cc_url_parse(&u, value, strlen(value), why, sizeof(why)) != CC_OK) {
        snprintf(err, errlen, "%s=\"%.80s\" is invalid: %s", name, value, why);
        return CC_ERR_CONFIG;
    }
    if (strcmp(u.scheme, scheme1) != 0 && (scheme2 == NULL || strcmp(u.scheme, scheme2) != 0)) {
        snprintf(err, errlen, "%s=\"%.80s\" is invalid: scheme must be %s://", name, value,
                 scheme1);
        return CC_ERR_CONFIG;
    }
    return CC_OK;
}

cc_status cc_config_load(struct cc_config *cfg, const char *service, char *err, size_t errlen)
{
    char host[64] = "host", rnd[CC_ID_LEN], level[16];
    char def_instance[96];
    cc_status st;

    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->service, sizeof(cfg->service), "%s", service);
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    cc_id_new(rnd);
    /* the random tail (last 6 hex digits) tells two processes on one host apart */
    snprintf(def_instance, sizeof(def_instance), "%s-%.40s-%s", service, host, rnd + 30);

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        if ((st = (expr)) != CC_OK)                                                                \
            return st;                                                                             \
    } while (0)

    TRY(get_str("CC_INSTANCE", def_instance, cfg->instance, sizeof(cfg->instance), err, errlen));
    TRY(get_str("CC_NATS_URL", "nats://127.0.0.1:4222", cfg->nats_url, sizeof(cfg->nats_url), err,
                errlen));
    TRY(get_str("CC_REDIS_URL", "redis://127.0.0.1:6379/0", cfg->redis_url, sizeof(cfg->redis_url),
                err, errlen));
    TRY(get_int("CC_REDIS_POOL", CC_REDIS_POOL_DEFAULT, 1, CC_REDIS_POOL_MAX, &cfg->redis_pool, err,
                errlen));
    TRY(get_str("CC_PG_URL", "postgresql://cc@127.0.0.1:5432/cc", cfg->pg_url, sizeof(cfg->pg_url),
                err, errlen));
    TRY(get_str("CC_HTTP_ADDR", "127.0.0.1", cfg->http_addr, sizeof(cfg->http_addr), err, errlen));
    {
        unsigned char addr[16];
        if (inet_pton(AF_INET, cfg->http_addr, addr) != 1 &&
            inet_pton(AF_INET6, cfg->http_addr, addr) != 1) {
            snprintf(err, errlen, "CC_HTTP_ADDR=\"%.60s\" is invalid: expected an IP address",
                     cfg->http_addr);
            return CC_ERR_CONFIG;
        }
    }
    TRY(get_int("CC_HTTP_PORT", 8080, 1, 65535, &cfg->http_port, err, errlen));
    TRY(get_str("CC_WEB_ROOT", "services/gateway/web", cfg->web_root, sizeof(cfg->web_root), err,
                errlen));
    TRY(get_str("CC_ADMIN_TOKEN", "", cfg->admin_token, sizeof(cfg->admin_token), err, errlen));
    if (cfg->admin_token[0] != '\0' && strlen(cfg->admin_token) < 16) {
        snprintf(err, errlen, "CC_ADMIN_TOKEN is too short: use at least 16 random characters");
        return CC_ERR_CONFIG;
    }
    TRY(get_str("CC_LOG_LEVEL", "info", level, sizeof(level), err, errlen));
    if (!cc_log_level_parse(level, strlen(level), &cfg->log_level)) {
        snprintf(err, errlen, "CC_LOG_LEVEL=\"%s\" is invalid: expected debug, info, warn or error",
                 level);
        return CC_ERR_CONFIG;
    }
    TRY(get_int("CC_CONNECT_TIMEOUT_MS", 30000, 0, 3600000, &cfg->connect_timeout_ms, err, errlen));
    TRY(get_int("CC_REQUEST_TIMEOUT_MS", 2000, 10, 600000, &cfg->request_timeout_ms, err, errlen));
    TRY(get_int("CC_PING_TIMEOUT_MS", 300, 10, 60000, &cfg->ping_timeout_ms, err, errlen));
    TRY(get_str("CC_MEDIA_ADDR", "127.0.0.1", cfg->media_addr, sizeof(cfg->media_addr), err,
                errlen));
    TRY(get_int("CC_MEDIA_PORT_MIN", 20000, 1024, 65535, &cfg->media_port_min, err, errlen));
    TRY(get_int("CC_MEDIA_PORT_MAX", 20999, 1024, 65535, &cfg->media_port_max, err, errlen));
    {
        struct in_addr a;
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        if (inet_pton(AF_INET, cfg->media_addr, &a) != 1) {
            snprintf(err, errlen, "CC_MEDIA_ADDR=\"%.60s\" is invalid: expected an IPv4 address",
                     cfg->media_addr);
            return CC_ERR_CONFIG;
        }
        cpus = cpus < 1 ? 1 : cpus > 64 ? 64 : cpus;
        TRY(get_int("CC_MEDIA_THREADS", cpus, 1, 64, &cfg->media_threads, err, errlen));
    }
    TRY(get_int("CC_MEDIA_TIMEOUT_S", 30, 1, 86400, &cfg->media_timeout_s, err, errlen));
    TRY(get_str("CC_MEDIA_RECORD_DIR", "recordings", cfg->media_record_dir,
                sizeof(cfg->media_record_dir), err, errlen));
    TRY(get_int("CC_HEARTBEAT_TIMEOUT_S", 30, 1, 3600, &cfg->heartbeat_timeout_s, err, errlen));
    TRY(get_int("CC_SESSION_TTL_S", 43200, 60, 30 * 86400, &cfg->session_ttl_s, err, errlen));
    TRY(get_int("CC_FOLLOWUP_S", 0, 0, 3600, &cfg->followup_s, err, errlen));
    TRY(get_int("CC_ENQUIRY_TTL_S", 86400, 60, 30 * 86400, &cfg->enquiry_ttl_s, err, errlen));
    TRY(get_int("CC_CHAT_IDLE_S", 1800, 5, 7 * 86400, &cfg->chat_idle_s, err, errlen));
    TRY(get_int("CC_OUTBOX_MAX", 100000, 0, 10000000, &cfg->outbox_max, err, errlen));
    TRY(get_int("CC_IDEMPOTENCY_TTL_S", 86400, 60, 7 * 86400, &cfg->idempotency_ttl_s, err,
                errlen));
    {
        long v;
        TRY(get_long("CC_EVENTS_MAX_BYTES", 1L << 30, CC_EVENTS_MAX_BYTES_MIN,
                     CC_EVENTS_MAX_BYTES_MAX, &v, err, errlen));
        cfg->events_max_bytes = v;
    }
    TRY(get_int("CC_CALLLOG_BATCH", 256, 1, CC_CALLLOG_BATCH_MAX, &cfg->calllog_batch, err,
                errlen));
    /* the defaults: what one visitor, one office or one busy channel of a
     * real contact centre does, with room (README.md, Configuration) */
    TRY(get_rate("CC_RATE_ENQUIRY_ADDRESS", "30/60", &cfg->rate_enquiry_address, err, errlen));
    TRY(get_rate("CC_RATE_ENQUIRY_CHANNEL", "600/60", &cfg->rate_enquiry_channel, err, errlen));
    TRY(get_rate("CC_RATE_CHAT_VISITOR", "30/60", &cfg->rate_chat_visitor, err, errlen));
    TRY(get_rate("CC_RATE_CHAT_ADDRESS", "120/60", &cfg->rate_chat_address, err, errlen));
    TRY(get_rate("CC_RATE_LOGIN_ACCOUNT", "10/300", &cfg->rate_login_account, err, errlen));
    TRY(get_rate("CC_RATE_LOGIN_ADDRESS", "60/60", &cfg->rate_login_address, err, errlen));
    {
        const char *tp = getenv("CC_TRUSTED_PROXIES");
        char why[128];
        if (tp != NULL &&
            cc_cidr_list_parse(&cfg->trusted_proxies, tp, strlen(tp), why, sizeof(why)) != CC_OK) {
            snprintf(err, errlen, "CC_TRUSTED_PROXIES is invalid: %s", why);
            return CC_ERR_CONFIG;
        }
    }
    {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        cpus = cpus < 1 ? 1 : cpus > 64 ? 64 : cpus;
        TRY(get_int("CC_PASSWORD_WORKERS", cpus, 1, 64, &cfg->password_workers, err, errlen));
    }
    if (cfg->media_port_max < cfg->media_port_min) {
        snprintf(err, errlen, "CC_MEDIA_PORT_MAX (%d) is below CC_MEDIA_PORT_MIN (%d)",
                 cfg->media_port_max, cfg->media_port_min);
        return CC_ERR_CONFIG;
    }
    TRY(check_url("CC_NATS_URL", cfg->nats_url, "nats", "tls", err, errlen));
    TRY(check_url("CC_REDIS_URL", cfg->redis_url, "redis", NULL, err, errlen));
    TRY(check_url("CC_PG_URL", cfg->pg_url, "postgresql", "postgres", err, errlen));
#undef TRY
    return CC_OK;
}
