/*
 * http: the gateway's HTTP server (libmicrohttpd) and its request/reply
 * types.
 *
 * MHD runs a pool of GW_HTTP_THREADS threads that parse, route and send. A
 * handler that answers from memory (the probes, static files, 404/405) runs
 * on the MHD thread. A handler that asks a service over the bus runs on one
 * of GW_WORKERS worker threads (pool.h): the MHD thread suspends the
 * connection, hands the request to the pool, and sends the reply when the
 * worker resumes the connection; so no MHD thread ever waits on the bus,
 * and /healthz answers however slow the services are.
 *
 * A handler must only touch thread-safe state (the bus, the health cache,
 * the immutable config). A request body is collected up to GW_BODY_MAX
 * bytes (larger: 413 before any handler runs). Handlers fill a struct
 * gw_reply; the server sends it.
 *
 * Several gateway processes may listen on the same address and port
 * (SO_REUSEPORT, MHD_OPTION_LISTENING_ADDRESS_REUSE): the kernel spreads
 * new connections over them, so replicas on one host need no balancer.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include "cc_bus.h"
#include "cc_config.h"

#define GW_BODY_MAX (1024 * 1024)
#define GW_HTTP_THREADS 4
/* Requests waiting on the bus at once: as many as the MHD threads used to
 * send, so that the services see the same load as before. More only pays
 * once they take more at once (presence hashes passwords one at a time per
 * subscription: 50 logins in flight would time out here, CC_REQUEST_TIMEOUT_MS).
 * Requests beyond it wait in the pool's queue, not on an MHD thread. */
#define GW_WORKERS 4

struct gw_ws;
struct gw_health;
struct gw_rate;

struct gw_ctx {
    const struct cc_config *cfg; /* borrowed for the server's lifetime */
    struct cc_bus *bus;          /* borrowed, thread-safe */
    struct gw_ws *ws;            /* the WebSocket hub */
    struct gw_health *health;    /* the probes' cache, thread-safe */
    struct gw_rate *rate;        /* admission limits (Redis token buckets), thread-safe */
};

/* The first member of the server's per-request state: what a handler that
 * upgrades the connection (ws.c) leaves for the upgrade callback, which
 * receives the state as its con_cls. */
struct gw_conn_tag {
    char ident[128];
};

/* Valid for the handler's call only (on whichever thread it runs). */
struct gw_request {
    const char *method;
    const char *path;
    const char *param; /* the {id} of a route "/x/{id}", else NULL */
    const char *body;  /* NUL-terminated copy, len bytes; "" when none */
    size_t len;
    const char *bearer; /* token of "Authorization: Bearer <token>", else NULL */
    void *conn;         /* the struct MHD_Connection (headers, query arguments) */
    struct gw_conn_tag *tag;
};

struct gw_reply {
    int status;
    const char *content_type;
    char *body; /* heap, freed by the server; NULL = empty */
    size_t len;
    int fd; /* >= 0: serve this file instead of body (closed by MHD) */
    size_t fd_size;
    void *response;    /* a ready struct MHD_Response (a 101 upgrade); the server destroys it */
    int retry_after_s; /* > 0: sent as a Retry-After header (a 429 of ratelimit.h) */
};

typedef void (*gw_handler)(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

struct gw_http;

/* Starts the workers, binds cfg->http_addr:cfg->http_port (shared with
 * other gateways) and starts the MHD threads. */
cc_status gw_http_start(struct gw_http **hp, struct gw_ctx *ctx, char *err, size_t errlen);
/* Finishes the requests handed to workers (new ones get 503), then stops
 * MHD and frees. Accepts NULL. */
void gw_http_stop(struct gw_http *h);

/* Sets r to a JSON body (takes a copy of text). */
void gw_reply_json(struct gw_reply *r, int status, const char *text);
/* Sets r to {"error":{"code":code,"message":message[,"field":field]}}. */
void gw_reply_error(struct gw_reply *r, int status, const char *code, const char *message,
                    const char *field);

#endif
