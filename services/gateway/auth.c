/* auth: bearer token checks. */
#include "auth.h"

#include <openssl/crypto.h>
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
