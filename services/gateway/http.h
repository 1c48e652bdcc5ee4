/*
 * http: the gateway's HTTP server (libmicrohttpd) and its request/reply
 * types.
 *
 * MHD runs a pool of worker threads; a handler runs on one of them and must
 * only touch thread-safe state (the bus, immutable config). A request body
 * is collected up to GW_BODY_MAX bytes (larger: 413 before any handler
 * runs). Handlers fill a struct gw_reply; the server sends it.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include "cc_bus.h"
#include "cc_config.h"

#define GW_BODY_MAX (1024 * 1024)

struct gw_ws;

struct gw_ctx {
    const struct cc_config *cfg; /* borrowed for the server's lifetime */
    struct cc_bus *bus;          /* borrowed, thread-safe */
    struct gw_ws *ws;            /* the WebSocket hub */
};

/* The first member of the server's per-request state: what a handler that
 * upgrades the connection (ws.c) leaves for the upgrade callback, which
 * receives the state as its con_cls. */
struct gw_conn_tag {
    char ident[128];
};

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
    void *response; /* a ready struct MHD_Response (a 101 upgrade); the server destroys it */
};

typedef void (*gw_handler)(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

struct gw_http;

/* Binds cfg->http_addr:cfg->http_port and starts the worker threads. */
cc_status gw_http_start(struct gw_http **hp, struct gw_ctx *ctx, char *err, size_t errlen);
/* Stops accepting, finishes requests in flight, frees. Accepts NULL. */
void gw_http_stop(struct gw_http *h);

/* Sets r to a JSON body (takes a copy of text). */
void gw_reply_json(struct gw_reply *r, int status, const char *text);
/* Sets r to {"error":{"code":code,"message":message[,"field":field]}}. */
void gw_reply_error(struct gw_reply *r, int status, const char *code, const char *message,
                    const char *field);

#endif
