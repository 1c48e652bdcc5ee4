/* trunk: matching a request's source to the configured trunks. See trunk.h. */
#include "trunk.h"

#include <stdio.h>
#include <string.h>

bool trunk_addr_match(const char *addresses, size_t len, const struct cc_netaddr *src, bool *bad)
{
    struct cc_cidr_list l;
    char why[128];

    if (bad != NULL)
        *bad = false;
    if (addresses == NULL || len == 0 || src == NULL || src->family == 0)
        return false;
    if (cc_cidr_list_parse(&l, addresses, len, why, sizeof(why)) != CC_OK) {
        if (bad != NULL)
            *bad = true;
        return false;
    }
    return cc_cidr_list_contains(&l, src);
}

const struct trunk *trunk_by_address(const struct trunk_set *s, const struct cc_netaddr *src)
{
    for (size_t i = 0; i < s->n; i++)
        if (trunk_addr_match(s->t[i].addresses, strlen(s->t[i].addresses), src, NULL))
            return &s->t[i];
    return NULL;
}

const struct trunk *trunk_by_username(const struct trunk_set *s, const char *username)
{
    if (username == NULL || username[0] == '\0')
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (s->t[i].username[0] != '\0' && s->t[i].ha1[0] != '\0' &&
            strcmp(s->t[i].username, username) == 0)
            return &s->t[i];
    return NULL;
}

bool trunk_any_digest(const struct trunk_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->t[i].username[0] != '\0' && s->t[i].ha1[0] != '\0')
            return true;
    return false;
}

static void copy(char *dst, size_t cap, const redisReply *r)
{
    size_t n = 0;
    if (r != NULL && r->type == REDIS_REPLY_STRING) {
        n = r->len < cap - 1 ? r->len : cap - 1;
        memcpy(dst, r->str, n);
    }
    dst[n] = '\0';
}

/* lua/trunks.lua answers a flat list: id, name, addresses, username, ha1,
 * realm, outbound_uri, id, ... (seven per trunk). */
cc_status trunk_load(struct trunk_set *s, struct cc_redis *redis, int script)
{
    redisReply *r = cc_redis_script_call(redis, script, 0, 0, NULL, NULL);
    cc_status st = cc_redis_reply_status(r);

    s->n = 0;
    if (st == CC_OK && r->type != REDIS_REPLY_ARRAY)
        st = CC_ERR_UNAVAILABLE;
    if (st != CC_OK) {
        freeReplyObject(r);
        return st == CC_ERR_REDIS ? CC_ERR_UNAVAILABLE : st;
    }
    for (size_t i = 0; i + 6 < r->elements && s->n < TRUNK_MAX; i += 7) {
        struct trunk *t = &s->t[s->n++];
        copy(t->id, sizeof(t->id), r->element[i]);
        copy(t->name, sizeof(t->name), r->element[i + 1]);
        copy(t->addresses, sizeof(t->addresses), r->element[i + 2]);
        copy(t->username, sizeof(t->username), r->element[i + 3]);
        copy(t->ha1, sizeof(t->ha1), r->element[i + 4]);
        copy(t->realm, sizeof(t->realm), r->element[i + 5]);
        copy(t->outbound_uri, sizeof(t->outbound_uri), r->element[i + 6]);
    }
    freeReplyObject(r);
    return CC_OK;
}
