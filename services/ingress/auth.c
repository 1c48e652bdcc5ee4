/* auth: digest challenges and checks against the trunks' ha1. See auth.h. */
#include "auth.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/auth_digest.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

cc_status auth_challenge(struct ingress *in, const char *realm, char out[AUTH_CHALLENGE_MAX])
{
    unsigned char raw[16];
    char nonce[33], key[64], ttl[16];
    const char *argv[5] = {"SET", key, "1", "EX", ttl};
    redisReply *r;
    cc_status st;

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return CC_ERR_IO;
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(nonce + 2 * i, 3, "%02x", raw[i]);
    snprintf(key, sizeof(key), "cc:sip:nonce:%s", nonce);
    snprintf(ttl, sizeof(ttl), "%d", AUTH_NONCE_TTL_S);
    r = cc_redis_command(in->redis, 5, argv, NULL);
    st = cc_redis_reply_status(r) == CC_OK ? CC_OK : CC_ERR_UNAVAILABLE;
    freeReplyObject(r);
    if (st == CC_OK)
        snprintf(out, AUTH_CHALLENGE_MAX,
                 "Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, qop=\"auth\"", realm, nonce);
    return st;
}

/* Whether nonce was issued by us and has not expired. */
static cc_status nonce_known(struct ingress *in, const char *nonce, bool *known)
{
    char key[160];
    const char *argv[2] = {"EXISTS", key};
    redisReply *r;

    *known = false;
    if (nonce == NULL || strlen(nonce) != 32)
        return CC_OK;
    snprintf(key, sizeof(key), "cc:sip:nonce:%s", nonce);
    r = cc_redis_command(in->redis, 2, argv, NULL);
    if (cc_redis_reply_status(r) != CC_OK || r->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(r);
        return CC_ERR_UNAVAILABLE;
    }
    *known = r->integer == 1;
    freeReplyObject(r);
    return CC_OK;
}

const struct trunk *auth_verify(struct ingress *in, const struct trunk_set *ts, const char *auth,
                                const char *method, cc_status *st)
{
    su_home_t home[1] = {SU_HOME_INIT(home)};
    sip_authorization_t *au;
    auth_response_t ar[1];
    const struct trunk *t = NULL, *found = NULL;
    auth_hexmd5_t expected;
    bool known = false;

    memset(ar, 0, sizeof(ar));
    ar->ar_size = sizeof(ar[0]);
    *st = CC_OK;
    if (auth == NULL || auth[0] == '\0')
        goto out;
    au = sip_authorization_make(home, auth);
    if (au == NULL || au->au_scheme == NULL || strcasecmp(au->au_scheme, "Digest") != 0 ||
        auth_digest_response_get(home, ar, au->au_params) < 0)
        goto out;
    t = trunk_by_username(ts, ar->ar_username);
    if (t == NULL || ar->ar_realm == NULL || ar->ar_response == NULL || ar->ar_uri == NULL ||
        strcmp(ar->ar_realm, t->realm[0] != '\0' ? t->realm : in->cfg->sip_realm) != 0 ||
        strlen(t->ha1) != 32)
        goto out;
    *st = nonce_known(in, ar->ar_nonce, &known);
    if (*st != CC_OK || !known)
        goto out;
    if (auth_digest_response(ar, expected, t->ha1, method, NULL, 0) < 0)
        goto out;
    if (strcasecmp(expected, ar->ar_response) == 0)
        found = t;
out:
    su_home_deinit(home);
    return found;
}
