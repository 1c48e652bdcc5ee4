/* auth: who is calling: the static admin credential (CC_ADMIN_TOKEN, for
 * bootstrap) or a staff member's login token (checked by presence), whose
 * role decides whether it may use the admin API. Visitor tokens join with
 * enquiries. This module alone decides that a credential is invalid (401);
 * every other error of a service maps through errors.h. */
#ifndef GW_AUTH_H
#define GW_AUTH_H
#include <stdbool.h>
#include "common.pb-c.h"
#include "http.h"

struct gw_staff {
    char id[80];
    char role[16];
};

/* Who the audit trail names for the static admin token. */
#define GW_ACTOR_BOOTSTRAP "bootstrap"

/* True when req may use the admin API: it carries CC_ADMIN_TOKEN (*actor =
 * "bootstrap"), or the login token of a staff member with role "admin"
 * (*actor = their id). Otherwise fills r: 401 for a missing, unknown or
 * expired token, 403 for a staff member of another role, 503 when presence
 * does not answer. actor has room for sizeof(struct gw_staff.id). */
bool gw_auth_admin(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r,
                   char actor[80]);

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
