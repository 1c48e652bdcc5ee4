/* auth: bearer token checks. */
#include "auth.h"

#include "presence.pb-c.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

bool gw_auth_admin(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    const char *want = ctx->cfg->admin_token;
    size_t n = strlen(want);

    if (n == 0) {
        gw_reply_error(r, 401, "unauthorized", "the admin API is disabled: set CC_ADMIN_TOKEN",
                       NULL);
        return false;
    }
    if (req->bearer == NULL) {
        gw_reply_error(r, 401, "unauthorized", "missing \"Authorization: Bearer <token>\"", NULL);
        return false;
    }
    /* constant time over the expected length */
    if (strlen(req->bearer) != n || CRYPTO_memcmp(req->bearer, want, n) != 0) {
        gw_reply_error(r, 401, "unauthorized", "invalid token", NULL);
        return false;
    }
    return true;
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
    if (cc_bus_request(ctx->bus, "cc.presence.auth", &a.base, &cc__auth_reply__descriptor,
                       ctx->cfg->request_timeout_ms, &out) != CC_OK) {
        gw_reply_error(r, 503, "unavailable", "presence did not answer, try again", NULL);
        return false;
    }
    rep = (Cc__AuthReply *)out;
    if (rep->error != NULL && rep->error->code[0] != '\0') {
        if (strcmp(rep->error->code, "CC_ERR_DENIED") == 0)
            gw_reply_error(r, 401, "unauthorized", "invalid or expired token", NULL);
        else
            gw_reply_error(r, 503, "unavailable", "presence is not available, try again", NULL);
    } else {
        snprintf(who->id, sizeof(who->id), "%s", rep->staff_id);
        snprintf(who->role, sizeof(who->role), "%s", rep->role);
        ok = true;
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return ok;
}
