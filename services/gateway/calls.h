/*
 * calls: a staff member's outbound calls over HTTP (docs/api.md, "Outbound
 * calls"): POST /api/v1/calls, GET and DELETE /api/v1/calls/{id}, answered
 * by ingress (cc.ingress.call.create / get / hangup, proto/call.proto).
 * The POST's Idempotency-Key is passed on as the RequestMeta ingress's
 * step records its result under, so a retry never dials twice.
 */
#ifndef GW_CALLS_H
#define GW_CALLS_H
#include "http.h"

void gw_calls_create(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_calls_item(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

#endif
