/* auth: who is calling. Today the admin credential (CC_ADMIN_TOKEN); staff
 * and visitor tokens join with login. */
#ifndef GW_AUTH_H
#define GW_AUTH_H
#include <stdbool.h>
#include "http.h"

/* True when req carries the admin token; otherwise fills r with a 401. */
bool gw_auth_admin(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

#endif
