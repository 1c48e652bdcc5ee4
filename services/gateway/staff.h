/*
 * staff: the staff member's own endpoints.
 *
 *   POST /api/v1/login          {email, password}
 *                               -> {token, staff_id, role, expires_at_ms, presence}
 *   POST /api/v1/logout         (staff token) -> 204, status offline
 *   GET  /api/v1/me             (staff token) -> presence
 *   PUT  /api/v1/me/status      {status: online|busy|offline} -> presence
 *   POST /api/v1/me/heartbeat   -> presence (the console's WebSocket does this too)
 *   PUT  /api/v1/me/activity    {outbound_call} -> presence
 *
 * A presence reply is checked before use: one without what it must carry
 * (the token of a login, the presence of a status change) is a 503.
 */
#ifndef GW_STAFF_H
#define GW_STAFF_H
#include "http.h"

void gw_staff_login(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_staff_logout(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_staff_me(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_staff_status(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_staff_heartbeat(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);
void gw_staff_activity(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

#endif
