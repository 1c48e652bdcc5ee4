/* cc_config: environment variables -> struct cc_config, validated. */
#include "cc_config.h"
#include "cc_id.h"
#include "cc_origin.h"
#include "cc_redis.h"
#include "cc_url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

bool cc_config_valid_realm(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > CC_SIP_REALM_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
            return false;
    return true;
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

/* The URL is quoted in errors with its password redacted. */
static cc_status check_url(const char *name, const char *value, const char *scheme1,
                           const char *scheme2, char *err, size_t errlen)
{
    struct cc_url u;
    char why[128], shown[96];

    cc_url_redact(shown, sizeof(shown), value, strlen(value));
    if (cc_url_parse(&u, value, strlen(value), why, sizeof(why)) != CC_OK) {
        snprintf(err, errlen, "%s=\"%.80s\" is invalid: %s", name, shown, why);
        return CC_ERR_CONFIG;
    }
    if (strcmp(u.scheme, scheme1) != 0 && (scheme2 == NULL || strcmp(u.scheme, scheme2) != 0)) {
        snprintf(err, errlen, "%s=\"%.80s\" is invalid: scheme must be %s://", name, shown,
                 scheme1);
        return CC_ERR_CONFIG;
    }
    return CC_OK;
}

/* The gateway's admission limits (docs/api.md, "Limits"). One address must
 * not be able to take every connection, so a per-address limit that is not
 * below the process's total is refused. CC_WS_ORIGINS is checked by the
 * gateway, which parses it. */
static cc_status load_admission(struct cc_config *cfg, char *err, size_t errlen)
{
    cc_status st;

    if ((st = get_int("CC_HTTP_MAX_CONN", 4096, CC_HTTP_MAX_CONN_MIN, CC_HTTP_MAX_CONN_MAX,
                      &cfg->http_max_conn, err, errlen)) != CC_OK ||
        (st = get_int("CC_HTTP_PER_IP_MAX", 256, 0, CC_HTTP_MAX_CONN_MAX, &cfg->http_per_ip_max,
                      err, errlen)) != CC_OK ||
        (st = get_int("CC_HTTP_TIMEOUT_S", 15, 1, 3600, &cfg->http_timeout_s, err, errlen)) !=
            CC_OK ||
        (st = get_int("CC_WS_PER_STAFF_MAX", 4, 1, 1000, &cfg->ws_per_staff_max, err, errlen)) !=
            CC_OK ||
        (st = get_int("CC_WS_PER_VISITOR_MAX", 2, 1, 1000, &cfg->ws_per_visitor_max, err,
                      errlen)) != CC_OK ||
        (st = get_int("CC_WS_QUEUE_MAX_BYTES", 1 << 20, 1 << 16, 1 << 30, &cfg->ws_queue_max_bytes,
                      err, errlen)) != CC_OK ||
        (st = get_int("CC_WS_PANEL_MS", 500, 50, 60000, &cfg->ws_panel_ms, err, errlen)) != CC_OK ||
        (st = get_str("CC_WS_ORIGINS", "", cfg->ws_origins, sizeof(cfg->ws_origins), err,
                      errlen)) != CC_OK)
        return st;
    {
        char why[200];
        if (!cc_origin_list_valid(cfg->ws_origins, strlen(cfg->ws_origins), why, sizeof(why))) {
            snprintf(err, errlen, "CC_WS_ORIGINS is invalid: %s", why);
            return CC_ERR_CONFIG;
        }
    }
    if (cfg->http_per_ip_max >= cfg->http_max_conn) {
        snprintf(err, errlen,
                 "CC_HTTP_PER_IP_MAX (%d) must be below CC_HTTP_MAX_CONN (%d): one address must "
                 "not take every connection (0 turns the per-address limit off)",
                 cfg->http_per_ip_max, cfg->http_max_conn);
        return CC_ERR_CONFIG;
    }
    return CC_OK;
}

cc_status cc_config_read_secret(const char *var, const char *path, char *out, size_t cap,
                                char *err, size_t errlen)
{
    char buf[1024];
    size_t n = 0;
    ssize_t got = 1;
    int read_errno = 0, fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        snprintf(err, errlen, "%s=\"%.200s\": cannot read the file: %s", var, path, strerror(errno));
        return CC_ERR_CONFIG;
    }
    while (n < sizeof(buf) && got > 0) {
        got = read(fd, buf + n, sizeof(buf) - n);
        if (got < 0 && errno == EINTR)
            got = 1;
        else if (got < 0)
            read_errno = errno;
        else
            n += (size_t)got;
    }
    close(fd);
    if (got < 0) {
        snprintf(err, errlen, "%s=\"%.200s\": cannot read the file: %s", var, path,
                 strerror(read_errno));
        return CC_ERR_CONFIG;
    }
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    if (n == 0 || n >= cap || memchr(buf, '\0', n) != NULL || memchr(buf, '\n', n) != NULL ||
        memchr(buf, '\r', n) != NULL) {
        snprintf(err, errlen, "%s=\"%.200s\": the file must hold one line of 1 to %zu characters",
                 var, path, cap - 1);
        return CC_ERR_CONFIG;
    }
    memcpy(out, buf, n);
    out[n] = '\0';
    return CC_OK;
}

/* A user name is also a NATS subject token (its inbox prefix). */
static bool valid_user(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 63)
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

/* getenv, with an empty value read as unset (compose's ${X:-} gives ""). */
static const char *env_set(const char *name)
{
    const char *s = getenv(name);
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/*
 * The credentials of one server (srv "NATS" or "REDIS", its URL already
 * checked): CC_<srv>_USER with CC_<srv>_PASSWORD or CC_<srv>_PASSWORD_FILE,
 * or user:password in the URL, never both. A user needs a password; a
 * password needs a user when need_user (NATS).
 */
static cc_status get_credentials(const char *srv, const char *url, bool need_user, char *user,
                                 size_t ucap, char *pw, size_t pcap, char *err, size_t errlen)
{
    char v_user[32], v_pw[32], v_file[40], why[128];
    const char *e_user, *e_pw, *e_file;
    struct cc_url u;

    snprintf(v_user, sizeof(v_user), "CC_%s_USER", srv);
    snprintf(v_pw, sizeof(v_pw), "CC_%s_PASSWORD", srv);
    snprintf(v_file, sizeof(v_file), "CC_%s_PASSWORD_FILE", srv);
    e_user = env_set(v_user);
    e_pw = env_set(v_pw);
    e_file = env_set(v_file);
    user[0] = pw[0] = '\0';
    if (cc_url_parse(&u, url, strlen(url), why, sizeof(why)) != CC_OK) {
        snprintf(err, errlen, "CC_%s_URL is invalid: %s", srv, why);
        return CC_ERR_CONFIG;
    }
    if (e_pw != NULL && e_file != NULL) {
        snprintf(err, errlen, "set %s or %s, not both", v_pw, v_file);
        return CC_ERR_CONFIG;
    }
    if ((u.user[0] != '\0' || u.password[0] != '\0') &&
        (e_user != NULL || e_pw != NULL || e_file != NULL)) {
        snprintf(err, errlen,
                 "CC_%s_URL carries credentials: give them there or in %s and %s(_FILE), not both",
                 srv, v_user, v_pw);
        return CC_ERR_CONFIG;
    }
    if (u.user[0] != '\0' && u.password[0] == '\0' && need_user)
        return CC_OK; /* a NATS token in the URL: nats.c sends it; not a user name */
    if (e_user != NULL && strlen(e_user) >= ucap) {
        snprintf(err, errlen, "%s is too long (at most %zu characters)", v_user, ucap - 1);
        return CC_ERR_CONFIG;
    }
    if (e_pw != NULL && strlen(e_pw) >= pcap) {
        snprintf(err, errlen, "%s is too long (at most %zu characters)", v_pw, pcap - 1);
        return CC_ERR_CONFIG;
    }
    snprintf(user, ucap, "%s", e_user != NULL ? e_user : u.user);
    if (e_file != NULL) {
        cc_status st = cc_config_read_secret(v_file, e_file, pw, pcap, err, errlen);
        if (st != CC_OK)
            return st;
    } else {
        snprintf(pw, pcap, "%s", e_pw != NULL ? e_pw : u.password);
    }
    if (user[0] != '\0' && !valid_user(user)) {
        snprintf(err, errlen, "%s=\"%.63s\" is invalid: 1 to 63 of A-Z a-z 0-9 _ -", v_user, user);
        return CC_ERR_CONFIG;
    }
    if (user[0] != '\0' && pw[0] == '\0') {
        snprintf(err, errlen, "%s=\"%s\" needs a password: set %s or %s", v_user, user, v_pw,
                 v_file);
        return CC_ERR_CONFIG;
    }
    if (need_user && user[0] == '\0' && pw[0] != '\0') {
        snprintf(err, errlen, "a NATS password needs a user: set %s", v_user);
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
    TRY(load_admission(cfg, err, errlen));
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
    TRY(get_int("CC_MEDIA_SETUP_TIMEOUT_S", 900, 1, 86400, &cfg->media_setup_timeout_s, err,
                errlen));
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
    TRY(get_str("CC_SIP_ADDR", "127.0.0.1", cfg->sip_addr, sizeof(cfg->sip_addr), err, errlen));
    {
        struct in6_addr a6;
        struct in_addr a4;
        if (inet_pton(AF_INET, cfg->sip_addr, &a4) != 1 &&
            inet_pton(AF_INET6, cfg->sip_addr, &a6) != 1) {
            snprintf(err, errlen, "CC_SIP_ADDR=\"%.60s\" is invalid: expected an IP address",
                     cfg->sip_addr);
            return CC_ERR_CONFIG;
        }
    }
    TRY(get_int("CC_SIP_PORT", 5060, 1, 65535, &cfg->sip_port, err, errlen));
    TRY(get_str("CC_SIP_REALM", "cc.local", cfg->sip_realm, sizeof(cfg->sip_realm), err, errlen));
    if (!cc_config_valid_realm(cfg->sip_realm, strlen(cfg->sip_realm))) {
        snprintf(err, errlen,
                 "CC_SIP_REALM is invalid: expected 1 to %d printable ASCII characters, no '\"' "
                 "or '\\'",
                 CC_SIP_REALM_MAX);
        return CC_ERR_CONFIG;
    }
    TRY(get_int("CC_SIP_WORKERS", 4, 1, 64, &cfg->sip_workers, err, errlen));
    if (cfg->media_port_max < cfg->media_port_min) {
        snprintf(err, errlen, "CC_MEDIA_PORT_MAX (%d) is below CC_MEDIA_PORT_MIN (%d)",
                 cfg->media_port_max, cfg->media_port_min);
        return CC_ERR_CONFIG;
    }
    TRY(check_url("CC_NATS_URL", cfg->nats_url, "nats", "tls", err, errlen));
    TRY(check_url("CC_REDIS_URL", cfg->redis_url, "redis", NULL, err, errlen));
    TRY(check_url("CC_PG_URL", cfg->pg_url, "postgresql", "postgres", err, errlen));
    TRY(get_credentials("NATS", cfg->nats_url, true, cfg->nats_user, sizeof(cfg->nats_user),
                        cfg->nats_password, sizeof(cfg->nats_password), err, errlen));
    TRY(get_credentials("REDIS", cfg->redis_url, false, cfg->redis_user, sizeof(cfg->redis_user),
                        cfg->redis_password, sizeof(cfg->redis_password), err, errlen));
#undef TRY
    return CC_OK;
}
