/* status: the probe endpoints. All three answer from memory (health.h):
 * none waits on the bus, so they stay fast however busy the bus, Redis or
 * the other endpoints are. */
#ifndef GW_STATUS_H
#define GW_STATUS_H
#include "http.h"

/* 200 while this process serves HTTP (liveness). */
void gw_status_healthz(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
/* 200 when this gateway can serve (NATS, Redis, a ready queue and presence),
 * else 503 naming what is missing (readiness); from the last check. */
void gw_status_readyz(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
/* Every instance of every service seen by the last check, grouped by service. */
void gw_status_instances(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

#endif
