/* status: /healthz, /readyz and /api/v1/status from memory. See status.h. */
#include "status.h"
#include "health.h"

#include <stdlib.h>
#include <string.h>

void gw_status_healthz(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    (void)ctx;
    (void)req;
    gw_reply_json(r, 200, "{\"status\":\"ok\",\"service\":\"gateway\"}");
}

/* Hands a cached body to r (r frees it). */
static void reply_cached(struct gw_reply *r, int status, char *body)
{
    if (body == NULL) {
        gw_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    r->status = status;
    r->content_type = "application/json";
    free(r->body);
    r->body = body;
    r->len = strlen(body);
}

void gw_status_readyz(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    int status;
    char *body;
    (void)req;
    gw_health_readyz(ctx->health, &status, &body);
    reply_cached(r, status, body);
}

void gw_status_instances(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    int status;
    char *body;
    (void)req;
    gw_health_status(ctx->health, &status, &body);
    reply_cached(r, status, body);
}
