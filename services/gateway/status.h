/* status: health and instance listing (/healthz, /readyz, /api/v1/status). */
#ifndef GW_STATUS_H
#define GW_STATUS_H
#include "http.h"

/* 200 while this process serves HTTP. */
void gw_status_healthz(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
/* 200 when every service has a ready instance, else 503 naming what is missing. */
void gw_status_readyz(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
/* Every instance seen over NATS, grouped by service. */
void gw_status_instances(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

#endif
