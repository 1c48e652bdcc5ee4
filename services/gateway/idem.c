/* idem: Idempotency-Key -> RequestMeta. See idem.h. */
#include "idem.h"
#include "cc_time.h"

#include <microhttpd.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* hex SHA-256 of the parts, each followed by a NUL (so "a","bc" != "ab","c") */
static void digest(char out[65], const char *const *parts, const size_t *lens, size_t n)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char md[32];
    unsigned len = 0;

    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (size_t i = 0; i < n; i++) {
        EVP_DigestUpdate(c, parts[i], lens[i]);
        EVP_DigestUpdate(c, "", 1);
    }
    EVP_DigestFinal_ex(c, md, &len);
    EVP_MD_CTX_free(c);
    for (unsigned i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

bool gw_idem_meta(struct gw_ctx *ctx, const struct gw_request *req, const char *actor,
                  struct gw_idem *m, struct gw_reply *r)
{
    const char *key = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Idempotency-Key");
    size_t n = key != NULL ? strlen(key) : 0;

    cc__request_meta__init(&m->meta);
    m->key[0] = '\0';
    if (key != NULL) {
        bool ok = n >= 1 && n <= GW_IDEM_KEY_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = key[i] > ' ' && key[i] < 0x7f;
        if (!ok) {
            gw_reply_error(r, 400, "invalid", "Idempotency-Key is 1 to 255 visible ASCII characters",
                           "Idempotency-Key");
            return false;
        }
        {
            const char *parts[3] = {actor, req->path, key};
            size_t lens[3] = {strlen(actor), strlen(req->path), n};
            /* anonymous clients are told apart by the path only: the key is
             * theirs to keep secret (a random UUID) */
            digest(m->key, parts, lens, 3);
        }
    }
    {
        const char *parts[3] = {req->method, req->path, req->body};
        size_t lens[3] = {strlen(req->method), strlen(req->path), req->len};
        digest(m->fingerprint, parts, lens, 3);
    }
    m->meta.key = m->key;
    m->meta.fingerprint = m->fingerprint;
    gw_idem_deadline(ctx, m);
    return true;
}

void gw_idem_deadline(struct gw_ctx *ctx, struct gw_idem *m)
{
    m->meta.deadline_ms = cc_wall_ms() + ctx->cfg->request_timeout_ms;
}
