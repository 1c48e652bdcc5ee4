/* auth: bearer token checks. See auth.h. */
#include "auth.h"
#include "cc_error.h"
#include "errors.h"

#include "presence.pb-c.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* Whether token is CC_ADMIN_TOKEN (which is set): constant time over its length. */
static bool is_static_admin(const struct gw_ctx *ctx, const char *token)
{
    const char *want = ctx->cfg->admin_token;
    size_t n = strlen(want);

    return n > 0 && strlen(token) == n && CRYPTO_memcmp(token, want, n) == 0;
}

bool gw_auth_admin(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r,
                   char actor[80])
{
    struct gw_staff who;

    if (req->bearer == NULL) {
        gw_reply_error(r, 401, "unauthorized", "missing \"Authorization: Bearer <token>\"", NULL);
        return false;
    }
    if (is_static_admin(ctx, req->bearer)) {
        snprintf(actor, 80, "%s", GW_ACTOR_BOOTSTRAP);
        return true;
    }
    /* otherwise a staff login: presence says who, the role says whether */
    if (!gw_auth_staff(ctx, req, r, &who))
        return false;
    if (strcmp(who.role, "admin") != 0) {
        gw_reply_error(r, 403, "forbidden", "the admin API needs a staff member with role admin",
                       NULL);
        return false;
    }
    snprintf(actor, 80, "%s", who.id);
    return true;
}

bool gw_auth_error_reply(struct gw_reply *r, const Cc__Error *e)
{
    if (cc_error_status(e) == CC_ERR_DENIED) {
        gw_reply_error(r, 401, "unauthorized",
                       e->message != NULL && e->message[0] != '\0' ? e->message
                                                                   : "invalid or expired token",
                       NULL);
        return true;
    }
    return gw_error_reply(r, e, "presence");
}

bool gw_auth_staff(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r,
                   struct gw_staff *who)
{
    Cc__AuthRequest a = CC__AUTH_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    Cc__AuthReply *rep;
    bool ok = false;

    if (req->bearer == NULL) {
        gw_reply_error(r, 401, "unauthorized", "missing \"Authorization: Bearer <token>\"", NULL);
        return false;
    }
    a.token = (char *)req->bearer;
    if (!gw_ask(ctx, "presence", "cc.presence.auth", &a.base, &cc__auth_reply__descriptor, &out, r))
        return false;
    rep = (Cc__AuthReply *)out;
    if (gw_auth_error_reply(r, rep->error)) {
        /* r filled */
    } else if (rep->staff_id[0] == '\0' || strlen(rep->staff_id) >= sizeof(who->id)) {
        /* a staff id cut short would name somebody else */
        gw_error_malformed(r, "presence", "cc.presence.auth", "staff_id");
    } else {
        snprintf(who->id, sizeof(who->id), "%s", rep->staff_id);
        snprintf(who->role, sizeof(who->role), "%s", rep->role);
        ok = true;
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return ok;
}
