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

/* The staff id of SIP user user and its sip_ha1 (*found false: none). */
static cc_status staff_ha1(struct ingress *in, const char *user, char sid[128], char ha1[33],
                           bool *found)
{
    char key[400];
    const char *get[2] = {"GET", key};
    const char *hget[3] = {"HGET", key, "sip_ha1"};
    redisReply *r;

    *found = false;
    if (user == NULL || user[0] == '\0' || strlen(user) > 200)
        return CC_OK;
    snprintf(key, sizeof(key), "cc:dir:sipuser:%s", user);
    r = cc_redis_command(in->redis, 2, get, NULL);
    if (cc_redis_reply_status(r) != CC_OK) {
        freeReplyObject(r);
        return CC_ERR_UNAVAILABLE;
    }
    if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len >= 128) {
        freeReplyObject(r);
        return CC_OK;
    }
    snprintf(sid, 128, "%s", r->str);
    freeReplyObject(r);
    snprintf(key, sizeof(key), "cc:dir:staff:%s", sid);
    r = cc_redis_command(in->redis, 3, hget, NULL);
    if (cc_redis_reply_status(r) != CC_OK) {
        freeReplyObject(r);
        return CC_ERR_UNAVAILABLE;
    }
    if (r->type == REDIS_REPLY_STRING && r->len == 32) {
        snprintf(ha1, 33, "%s", r->str);
        *found = true;
    }
    freeReplyObject(r);
    return CC_OK;
}

enum auth_staff auth_verify_staff(struct ingress *in, const char *auth, const char *method,
                                  char sid[128], cc_status *st)
{
    su_home_t home[1] = {SU_HOME_INIT(home)};
    sip_authorization_t *au;
    auth_response_t ar[1];
    auth_hexmd5_t expected;
    char ha1[33];
    bool known = false, found = false;
    enum auth_staff res = AUTH_STAFF_NONE;

    memset(ar, 0, sizeof(ar));
    ar->ar_size = sizeof(ar[0]);
    *st = CC_OK;
    sid[0] = '\0';
    if (auth == NULL || auth[0] == '\0')
        goto out;
    au = sip_authorization_make(home, auth);
    if (au == NULL || au->au_scheme == NULL || strcasecmp(au->au_scheme, "Digest") != 0 ||
        auth_digest_response_get(home, ar, au->au_params) < 0 || ar->ar_username == NULL ||
        ar->ar_realm == NULL || ar->ar_response == NULL || ar->ar_uri == NULL ||
        strcmp(ar->ar_realm, in->cfg->sip_realm) != 0)
        goto out;
    *st = nonce_known(in, ar->ar_nonce, &known);
    if (*st != CC_OK || !known)
        goto out;
    /* our nonce from here on: a wrong answer is a wrong password, not a
     * stale challenge */
    res = AUTH_STAFF_BAD;
    *st = staff_ha1(in, ar->ar_username, sid, ha1, &found);
    if (*st != CC_OK) {
        res = AUTH_STAFF_NONE;
        goto out;
    }
    if (!found || auth_digest_response(ar, expected, ha1, method, NULL, 0) < 0)
        goto out;
    if (strcasecmp(expected, ar->ar_response) == 0)
        res = AUTH_STAFF_OK;
out:
    if (res != AUTH_STAFF_OK)
        sid[0] = '\0';
    su_home_deinit(home);
    return res;
}
