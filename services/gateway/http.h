/*
 * http: the gateway's HTTP server (libmicrohttpd) and its route table.
 *
 * MHD runs a pool of worker threads; a handler runs on one of them and must
 * only touch thread-safe state (the bus, immutable config). Handlers build a
 * struct gw_reply; the server turns it into an MHD response.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H
#include <stddef.h>
#include "cc_bus.h"
#include "cc_config.h"

struct gw_ctx {
    const struct cc_config *cfg; /* borrowed for the server's lifetime */
    struct cc_bus *bus;          /* borrowed, thread-safe */
};

struct gw_reply {
    int status;
    const char *content_type;
    char *body; /* heap, freed by the server; NULL = empty */
    size_t len;
    int fd; /* >= 0: serve this file instead of body (closed by MHD) */
    size_t fd_size;
};

typedef void (*gw_handler)(struct gw_ctx *ctx, const char *method, const char *path,
                           struct gw_reply *r);

struct gw_http;

/* Binds cfg->http_addr:cfg->http_port and starts the worker threads. */
cc_status gw_http_start(struct gw_http **hp, struct gw_ctx *ctx, char *err, size_t errlen);
/* Stops accepting, finishes requests in flight, frees. Accepts NULL. */
void gw_http_stop(struct gw_http *h);

/* Sets r to a JSON body (takes a copy of text). */
void gw_reply_json(struct gw_reply *r, int status, const char *text);
/* Sets r to {"error":{"code":code,"message":message}}. */
void gw_reply_error(struct gw_reply *r, int status, const char *code, const char *message);

#endif
