/*
 * directory: the admin REST API of the directory, a thin JSON edge over the
 * presence service's cc.presence.dir:
 *
 *   GET    /api/v1/{groups,staff,channels,numbers}        list
 *   POST   /api/v1/{...}                                  create (409 if the id exists)
 *   GET    /api/v1/{...}/{id}                             one
 *   PUT    /api/v1/{...}/{id}                             create or replace (idempotent)
 *   DELETE /api/v1/{...}/{id}                             delete (409 while a channel uses it)
 *
 * Admin credential required. Errors: 400 with the offending field, 401,
 * 404, 409, 503 when the directory cannot be reached.
 */
#ifndef GW_DIRECTORY_H
#define GW_DIRECTORY_H
#include "http.h"

void gw_directory_collection(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_directory_item(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

#endif
