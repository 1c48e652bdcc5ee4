/* auth: who is calling: the admin credential (CC_ADMIN_TOKEN) or a staff
 * member's login token (checked by presence). Visitor tokens join with
 * enquiries. This module alone decides that a credential is invalid (401);
 * every other error of a service maps through errors.h. */
#ifndef GW_AUTH_H
#define GW_AUTH_H
#include <stdbool.h>
#include "common.pb-c.h"
#include "http.h"

/* True when req carries the admin token; otherwise fills r with a 401. */
bool gw_auth_admin(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

struct gw_staff {
    char id[80];
    char role[16];
};

/* True when req carries a live staff token (asks presence); fills who.
 * Otherwise fills r: 401 for a missing/unknown/expired token, 503 when
 * presence does not answer or its answer lacks the staff id. */
bool gw_auth_staff(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r,
                   struct gw_staff *who);

/* The error of a presence reply to a credential (login, auth, logout):
 * CC_ERR_DENIED is a 401 (the credential is wrong); anything else as
 * gw_error_reply(). True when e carries an error (r filled). */
bool gw_auth_error_reply(struct gw_reply *r, const Cc__Error *e);

#endif
