/*
 * cc_config: settings from environment variables, with documented defaults.
 *
 * Every service reads the same set (each uses what it needs) so that one
 * environment, one docker-compose `x-env` block or one Kubernetes ConfigMap
 * serves them all. The table of variables is in README.md; keep the two in
 * step.
 */
#ifndef CC_CONFIG_H
#define CC_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cc_log.h"
#include "cc_netaddr.h"
#include "cc_status.h"

/* A rate limit: a bucket of burst requests, refilled evenly over period_s
 * (so burst / period_s per second sustained). burst 0: no limit. Written
 * "burst/period_s" ("30/60") or "off" (cc_config_parse_rate). */
struct cc_rate {
    int burst;
    int period_s;
};
#define CC_RATE_BURST_MAX 1000000
#define CC_RATE_PERIOD_MAX 86400

/* A SIP digest realm (CC_SIP_REALM, a trunk's realm): at most this many
 * bytes (cc_config_valid_realm). */
#define CC_SIP_REALM_MAX 128

struct cc_config {
    char service[32];            /* set by the program, not the environment */
    char instance[96];           /* CC_INSTANCE, default <service>-<host>-<random> */
    char nats_url[512];          /* CC_NATS_URL */
    char nats_user[64];          /* CC_NATS_USER, or the user in CC_NATS_URL; "" = none */
    char nats_password[128];     /* CC_NATS_PASSWORD(_FILE), or CC_NATS_URL's: never log it */
    char redis_url[512];         /* CC_REDIS_URL */
    char redis_user[64];         /* CC_REDIS_USER, or the user in CC_REDIS_URL; "" = default */
    char redis_password[128];    /* CC_REDIS_PASSWORD(_FILE), or CC_REDIS_URL's: never log it */
    int redis_pool;              /* CC_REDIS_POOL: Redis connections per process */
    char pg_url[512];            /* CC_PG_URL */
    char http_addr[64];          /* CC_HTTP_ADDR (gateway) */
    int http_port;               /* CC_HTTP_PORT (gateway) */
    char web_root[512];          /* CC_WEB_ROOT (gateway static files) */
    /* gateway admission: what one client may hold (docs/api.md, "Limits") */
    int http_max_conn;           /* CC_HTTP_MAX_CONN: connections per gateway process */
    int http_per_ip_max;         /* CC_HTTP_PER_IP_MAX: connections from one address, 0 = no limit */
    int http_timeout_s;          /* CC_HTTP_TIMEOUT_S: idle connection, and time to send a request */
    int ws_per_staff_max;        /* CC_WS_PER_STAFF_MAX: a staff member's sockets per gateway */
    int ws_per_visitor_max;      /* CC_WS_PER_VISITOR_MAX: a visitor token's sockets per gateway */
    int ws_queue_max_bytes;      /* CC_WS_QUEUE_MAX_BYTES: unsent bytes a socket may have queued */
    int ws_panel_ms;             /* CC_WS_PANEL_MS: a console's panel pushes are coalesced per this */
    char ws_origins[1024];       /* CC_WS_ORIGINS: other sites allowed to open a WebSocket */
    char admin_token[128];       /* CC_ADMIN_TOKEN: bearer token of the admin API, "" = off */
    enum cc_log_level log_level; /* CC_LOG_LEVEL */
    int connect_timeout_ms;      /* CC_CONNECT_TIMEOUT_MS: retry servers this long at start */
    int request_timeout_ms;      /* CC_REQUEST_TIMEOUT_MS: NATS request/reply */
    int ping_timeout_ms;         /* CC_PING_TIMEOUT_MS: gather window for health pings */
    char media_addr[64];         /* CC_MEDIA_ADDR: address media binds and advertises */
    int media_port_min;          /* CC_MEDIA_PORT_MIN */
    int media_port_max;          /* CC_MEDIA_PORT_MAX */
    int media_threads;           /* CC_MEDIA_THREADS: packet loops (default: CPUs) */
    int media_timeout_s;         /* CC_MEDIA_TIMEOUT_S: a bridged leg with no RTP this long ends */
    int media_setup_timeout_s;   /* CC_MEDIA_SETUP_TIMEOUT_S: the same for a leg not bridged */
    char media_record_dir[512];  /* CC_MEDIA_RECORD_DIR: where recordings are written */
    int heartbeat_timeout_s;     /* CC_HEARTBEAT_TIMEOUT_S: no heartbeat this long = offline */
    int session_ttl_s;           /* CC_SESSION_TTL_S: staff login lifetime */
    int followup_s;              /* CC_FOLLOWUP_S: after-call work limit, 0 = none */
    int enquiry_ttl_s;           /* CC_ENQUIRY_TTL_S: live enquiry kept in Redis this long */
    int chat_idle_s;             /* CC_CHAT_IDLE_S: an active chat silent this long ends "idle" */
    int outbox_max;              /* CC_OUTBOX_MAX: events waiting for the relay before 503 */
    int idempotency_ttl_s;       /* CC_IDEMPOTENCY_TTL_S: a request's result is kept this long */
    int64_t events_max_bytes;    /* CC_EVENTS_MAX_BYTES: size limit of the CC_EVENTS stream */
    int calllog_batch;           /* CC_CALLLOG_BATCH: events per INSERT in calllog */
    /* the gateway's admission limits (token buckets in Redis) */
    struct cc_rate rate_enquiry_address; /* CC_RATE_ENQUIRY_ADDRESS: enquiries per client address */
    struct cc_rate rate_enquiry_channel; /* CC_RATE_ENQUIRY_CHANNEL: enquiries per channel */
    struct cc_rate rate_chat_visitor;    /* CC_RATE_CHAT_VISITOR: chat messages per visitor token */
    struct cc_rate rate_chat_address;  /* CC_RATE_CHAT_ADDRESS: visitor chat messages per address */
    struct cc_rate rate_login_account; /* CC_RATE_LOGIN_ACCOUNT: login attempts per e-mail */
    struct cc_rate rate_login_address; /* CC_RATE_LOGIN_ADDRESS: login attempts per address */
    struct cc_cidr_list trusted_proxies; /* CC_TRUSTED_PROXIES: whose X-Forwarded-For is read */
    int password_workers; /* CC_PASSWORD_WORKERS: presence's login threads (default: CPUs) */
    /* ingress: the SIP trunk side (docs/sip.md) */
    char sip_addr[64];  /* CC_SIP_ADDR: address the SIP stack listens on (UDP and TCP) */
    int sip_port;       /* CC_SIP_PORT */
    char sip_realm[CC_SIP_REALM_MAX + 1]; /* CC_SIP_REALM: digest realm of staff phones, trunks */
    int sip_workers;    /* CC_SIP_WORKERS: ingress threads that set calls up */
};

#define CC_EVENTS_MAX_BYTES_MIN (1LL << 20) /* 1 MiB */
#define CC_EVENTS_MAX_BYTES_MAX (1LL << 50) /* 1 PiB */
#define CC_CALLLOG_BATCH_MAX 1000
#define CC_HTTP_MAX_CONN_MIN 16
#define CC_HTTP_MAX_CONN_MAX 1000000

/* Reads a secret from the file at path into out (cap bytes with the NUL):
 * one line, one trailing "\n" or "\r\n" dropped, not empty, no NUL or
 * other line break in it. On error writes a one-line reason naming var and
 * path (never the file's content) and returns CC_ERR_CONFIG. */
cc_status cc_config_read_secret(const char *var, const char *path, char *out, size_t cap,
                                char *err, size_t errlen);

/* Reads the environment into cfg for the named service. On an invalid value
 * returns CC_ERR_CONFIG and writes a one-line reason naming the variable
 * (a URL in it is redacted with cc_url_redact; a password never appears).
 *
 * Credentials: CC_<S>_PASSWORD or CC_<S>_PASSWORD_FILE (a file holding the
 * password, e.g. a mounted Kubernetes Secret; one trailing newline is
 * dropped) with CC_<S>_USER, for S = NATS and REDIS; or user:password in
 * the URL. Giving both, or a password both ways, is an error. A NATS user
 * needs a password and the other way round; a Redis password alone
 * authenticates the default user. User names are 1 to 63 of [A-Za-z0-9_-]
 * (a NATS user's name is also its inbox prefix, see cc_bus.h). */
cc_status cc_config_load(struct cc_config *cfg, const char *service, char *err, size_t errlen);

/* Parses a decimal integer in [min, max] from s (NUL-terminated); false if
 * it is empty, has other characters or is out of range. */
bool cc_config_parse_int(const char *s, long min, long max, long *out);

/* Whether s (len bytes, no NUL needed) is a usable SIP digest realm: 1 to
 * CC_SIP_REALM_MAX printable ASCII characters (space included), none of
 * them '"' or '\\', so that it goes unescaped into a quoted-string
 * (WWW-Authenticate: Digest realm="...") and into HA1 =
 * MD5(user:realm:password). */
bool cc_config_valid_realm(const char *s, size_t len);

/* Parses a rate limit (len bytes, no NUL needed): "off" (or "0"), or
 * "<burst>/<period_s>" with burst 1..CC_RATE_BURST_MAX and period_s
 * 1..CC_RATE_PERIOD_MAX, digits only. False (and *out untouched) otherwise. */
bool cc_config_parse_rate(const char *s, size_t len, struct cc_rate *out);

#endif
