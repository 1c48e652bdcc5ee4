/* ratelimit: admission limits as token buckets in Redis. See ratelimit.h. */
#include "ratelimit.h"
#include "cc_error.h"
#include "cc_log.h"
#include "common.pb-c.h"
#include "errors.h"
#include "lua_gateway.h"

#include <ctype.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BUCKETS 2
#define KEY_MAX 160
/* X-Forwarded-For kept (its rightmost bytes: the entries that matter) */
#define XFF_MAX 4096

struct gw_rate {
    struct cc_redis *redis;
    const struct cc_config *cfg;
    int script;
};

/* One bucket a request needs: its size and key, and what a 429 says. */
struct bucket {
    const struct cc_rate *rate;
    const char *message;
    char key[KEY_MAX];
};

cc_status gw_rate_new(struct gw_rate **lp, struct cc_redis *redis, const struct cc_config *cfg,
                      char *err, size_t errlen)
{
    struct gw_rate *l = calloc(1, sizeof(*l));
    cc_status st;

    *lp = NULL;
    if (l == NULL)
        return CC_ERR_NOMEM;
    l->redis = redis;
    l->cfg = cfg;
    st = cc_redis_script_add(redis, gateway_lua_ratelimit, &l->script, err, errlen);
    if (st != CC_OK) {
        free(l);
        return st;
    }
    *lp = l;
    return CC_OK;
}

void gw_rate_free(struct gw_rate *l)
{
    free(l);
}

/* ---- who is asking ------------------------------------------------------ */

struct xff {
    char buf[XFF_MAX];
    size_t len;
};

/* Appends one X-Forwarded-For line (joined with ","), keeping the rightmost
 * XFF_MAX bytes: a cut first entry does not parse, which stops the walk
 * there (cc_netaddr_client). */
static enum MHD_Result add_xff(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    struct xff *x = cls;
    size_t n = value != NULL ? strlen(value) : 0, need;
    (void)kind;

    if (key == NULL || strcasecmp(key, "X-Forwarded-For") != 0)
        return MHD_YES;
    if (n > XFF_MAX - 1) {
        value += n - (XFF_MAX - 1);
        n = XFF_MAX - 1;
    }
    need = (x->len > 0 ? 1 : 0) + n;
    if (x->len + need > XFF_MAX) {
        size_t drop = x->len + need - XFF_MAX;
        memmove(x->buf, x->buf + drop, x->len - drop);
        x->len -= drop;
    }
    if (x->len > 0)
        x->buf[x->len++] = ',';
    memcpy(x->buf + x->len, value, n);
    x->len += n;
    return MHD_YES;
}

void gw_rate_client(const struct gw_rate *l, const struct gw_request *req,
                    char out[CC_NETADDR_KEY_MAX])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    struct cc_netaddr peer, client;

    if (ci == NULL || !cc_netaddr_from_sockaddr(&peer, ci->client_addr)) {
        /* cannot happen on a TCP socket; all such clients share one bucket */
        snprintf(out, CC_NETADDR_KEY_MAX, "unknown");
        return;
    }
    if (l->cfg->trusted_proxies.n > 0 && cc_cidr_list_contains(&l->cfg->trusted_proxies, &peer)) {
        struct xff *x = malloc(sizeof(*x));
        if (x != NULL) {
            x->len = 0;
            MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_xff, x);
            cc_netaddr_client(&client, &peer, x->buf, x->len, &l->cfg->trusted_proxies);
            free(x);
            peer = client;
        }
    }
    cc_netaddr_key(&peer, out);
}

/* ---- buckets -------------------------------------------------------------- */

/* First 32 hex digits of SHA-256(s): e-mails and tokens never stand in a key. */
static void digest(char out[33], const char *s, size_t n, bool lower)
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    memset(md, 0, sizeof(md));
    if (c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (lower)
                ch = (unsigned char)tolower(ch);
            EVP_DigestUpdate(c, &ch, 1);
        }
        EVP_DigestFinal_ex(c, md, &len);
    }
    EVP_MD_CTX_free(c);
    for (int i = 0; i < 16; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

/* An id as the directory writes them (1-64 of a-z 0-9 - _): only those can
 * name a channel, so only those get a bucket of their own. */
static bool is_id(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '_'))
            return false;
    return true;
}

/* Adds a bucket unless its limit is off. */
static void add(struct bucket *b, size_t *n, const struct cc_rate *rate, const char *message,
                const char *prefix, const char *who)
{
    if (rate->burst == 0)
        return;
    b[*n].rate = rate;
    b[*n].message = message;
    snprintf(b[*n].key, sizeof(b[*n].key), "cc:rate:%s:%s", prefix, who);
    (*n)++;
}

static void rate_limited(struct gw_reply *r, const struct bucket *b, long long wait_ms)
{
    Cc__Error e = CC__ERROR__INIT;
    long long secs = (wait_ms + 999) / 1000;
    char msg[160];

    if (secs < 1)
        secs = 1;
    snprintf(msg, sizeof(msg), "%s; retry in %lld s", b->message, secs);
    cc_error_set(&e, CC_ERR_RATE_LIMITED, msg, NULL);
    gw_error_reply(r, &e, "gateway"); /* the table: 429 rate_limited */
    r->retry_after_s = (int)(secs > 86400 ? 86400 : secs);
}

/* Takes a token from each of b[0..n) at once (all or none). */
static bool take(struct gw_rate *l, const struct bucket *b, size_t n, struct gw_reply *r)
{
    const char *argv[3 * MAX_BUCKETS];
    char nums[2 * MAX_BUCKETS][24];
    redisReply *rep;
    cc_status st;
    bool ok = false;

    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        argv[i] = b[i].key;
        snprintf(nums[2 * i], sizeof(nums[0]), "%d", b[i].rate->burst);
        snprintf(nums[2 * i + 1], sizeof(nums[0]), "%lld", (long long)b[i].rate->period_s * 1000);
        argv[n + 2 * i] = nums[2 * i];
        argv[n + 2 * i + 1] = nums[2 * i + 1];
    }
    rep = cc_redis_script_call(l->redis, l->script, (int)n, (int)(3 * n), argv, NULL);
    st = cc_redis_reply_status(rep);
    if (st == CC_OK && rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1 &&
        rep->element[0]->type == REDIS_REPLY_INTEGER) {
        if (rep->element[0]->integer == 0) {
            ok = true;
            goto out;
        }
        if (rep->elements == 3 && rep->element[1]->type == REDIS_REPLY_INTEGER &&
            rep->element[2]->type == REDIS_REPLY_INTEGER && rep->element[2]->integer >= 1 &&
            (size_t)rep->element[2]->integer <= n) {
            rate_limited(r, &b[rep->element[2]->integer - 1], rep->element[1]->integer);
            goto out;
        }
    }
    /* no answer, an error, or not the script's answer: we cannot tell
     * whether the client is over its limit, so we do not serve it */
    cc_log(CC_LOG_WARN, "rate limits cannot be checked, answering 503", "status",
           cc_status_str(st != CC_OK ? st : CC_ERR_REDIS), "error",
           rep != NULL && rep->type == REDIS_REPLY_ERROR ? rep->str : "", NULL);
    gw_reply_error(r, 503, "unavailable", "the gateway cannot check its limits now, try again",
                   NULL);
out:
    freeReplyObject(rep);
    return ok;
}

bool gw_rate_enquiry(struct gw_rate *l, const struct gw_request *req, const char *channel_id,
                     struct gw_reply *r)
{
    struct bucket b[MAX_BUCKETS];
    char addr[CC_NETADDR_KEY_MAX];
    size_t n = 0;

    gw_rate_client(l, req, addr);
    add(b, &n, &l->cfg->rate_enquiry_address, "too many enquiries from this address",
        "enquiry:addr", addr);
    /* an id no channel can have is refused by the queue; the address
     * bucket alone bounds those */
    if (is_id(channel_id))
        add(b, &n, &l->cfg->rate_enquiry_channel, "too many enquiries on this channel",
            "enquiry:channel", channel_id);
    return take(l, b, n, r);
}

bool gw_rate_chat(struct gw_rate *l, const struct gw_request *req, const char *visitor_token,
                  struct gw_reply *r)
{
    struct bucket b[MAX_BUCKETS];
    char addr[CC_NETADDR_KEY_MAX], who[33];
    size_t n = 0;

    gw_rate_client(l, req, addr);
    digest(who, visitor_token, strlen(visitor_token), false);
    add(b, &n, &l->cfg->rate_chat_visitor, "too many messages from this visitor", "chat:visitor",
        who);
    add(b, &n, &l->cfg->rate_chat_address, "too many messages from this address", "chat:addr",
        addr);
    return take(l, b, n, r);
}

bool gw_rate_login(struct gw_rate *l, const struct gw_request *req, const char *email,
                   struct gw_reply *r)
{
    struct bucket b[MAX_BUCKETS];
    char addr[CC_NETADDR_KEY_MAX], who[33];
    size_t n = 0;

    gw_rate_client(l, req, addr);
    /* one account however its e-mail is capitalised */
    digest(who, email, strlen(email), true);
    add(b, &n, &l->cfg->rate_login_account, "too many login attempts for this account",
        "login:account", who);
    add(b, &n, &l->cfg->rate_login_address, "too many login attempts from this address",
        "login:addr", addr);
    return take(l, b, n, r);
}
