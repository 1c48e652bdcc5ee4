/* routes: maps method + path to a handler; the one place that lists the API. */
#ifndef GW_ROUTES_H
#define GW_ROUTES_H
#include "http.h"

/* Fills r for the request; always sets a status. req->param is set here. */
void gw_route(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

#endif
