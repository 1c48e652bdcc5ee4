/* dir_mirror: the directory as Redis keys, rewritten atomically. */
#include "dir_mirror.h"
#include "dir_valid.h"
#include "lua_presence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct args {
    char **v;
    size_t *len;
    size_t n, cap;
    bool failed;
};

static void push(struct args *a, const void *data, size_t len)
{
    char *copy;
    if (a->failed)
        return;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        char **v = realloc(a->v, cap * sizeof(*v));
        size_t *l = v != NULL ? realloc(a->len, cap * sizeof(*l)) : NULL;
        if (v != NULL)
            a->v = v;
        if (v == NULL || l == NULL) {
            a->failed = true;
            return;
        }
        a->len = l;
        a->cap = cap;
    }
    copy = malloc(len + 1);
    if (copy == NULL) {
        a->failed = true;
        return;
    }
    memcpy(copy, data, len);
    copy[len] = '\0';
    a->v[a->n] = copy;
    a->len[a->n++] = len;
}

static void op(struct args *a, const char *verb, const char *key, const char *x, const char *y)
{
    push(a, verb, strlen(verb));
    push(a, key, strlen(key));
    push(a, x, strlen(x));
    push(a, y, strlen(y));
}

static void hset_bytes(struct args *a, const char *key, const char *field, const void *v,
                       size_t len)
{
    push(a, "hset", 4);
    push(a, key, strlen(key));
    push(a, field, strlen(field));
    push(a, v, len);
}

static void hset_int(struct args *a, const char *key, const char *field, int v)
{
    char s[16];
    snprintf(s, sizeof(s), "%d", v);
    op(a, "hset", key, field, s);
}

static void add_channel(struct args *a, const Cc__Channel *c)
{
    char key[160];

    snprintf(key, sizeof(key), "cc:dir:channel:%s", c->id);
    op(a, "hset", key, "name", c->name);
    op(a, "hset", key, "type", c->type);
    op(a, "hset", key, "group_id", c->group_id);
    op(a, "hset", key, "staff_id", c->staff_id);
    op(a, "hset", key, "voicemail", c->voicemail ? "1" : "0");
    hset_int(a, key, "max_wait_broadcast_s",
             c->max_wait_broadcast_s ? c->max_wait_broadcast_s : DIR_DEFAULT_WAIT_BROADCAST_S);
    hset_int(a, key, "max_wait_direct_s",
             c->max_wait_direct_s ? c->max_wait_direct_s : DIR_DEFAULT_WAIT_DIRECT_S);
    hset_int(a, key, "max_wait_chat_s",
             c->max_wait_chat_s ? c->max_wait_chat_s : DIR_DEFAULT_WAIT_CHAT_S);
    if (c->custom_info != NULL) {
        size_t n = protobuf_c_message_get_packed_size(&c->custom_info->base);
        uint8_t *buf = malloc(n ? n : 1);
        if (buf == NULL) {
            a->failed = true;
            return;
        }
        protobuf_c_message_pack(&c->custom_info->base, buf);
        hset_bytes(a, key, "custom_info", buf, n);
        free(buf);
    } else {
        hset_bytes(a, key, "custom_info", "", 0);
    }
}

static void add_trunk(struct args *a, const Cc__DirTrunk *t, const char *ha1, const char *realm)
{
    char key[160];
    size_t len = 1;
    char *addresses, *p;

    for (size_t i = 0; i < t->n_addresses; i++)
        len += strlen(t->addresses[i]) + 1;
    addresses = malloc(len);
    if (addresses == NULL) {
        a->failed = true;
        return;
    }
    p = addresses;
    *p = '\0';
    for (size_t i = 0; i < t->n_addresses; i++)
        p += sprintf(p, "%s%s", i ? "," : "", t->addresses[i]);
    snprintf(key, sizeof(key), "cc:dir:trunk:%s", t->id);
    op(a, "hset", key, "name", t->name);
    op(a, "hset", key, "addresses", addresses);
    op(a, "hset", key, "username", t->username);
    op(a, "hset", key, "ha1", ha1);
    op(a, "hset", key, "realm", realm);
    op(a, "hset", key, "outbound_uri", t->outbound_uri != NULL ? t->outbound_uri : "");
    op(a, "sadd", "cc:dir:trunks", t->id, "");
    free(addresses);
}

void dir_digests_clear(struct dir_digests *d, size_t n_staff, size_t n_trunks)
{
    for (size_t i = 0; d->staff_ha1 != NULL && i < n_staff; i++)
        free(d->staff_ha1[i]);
    for (size_t i = 0; d->trunk_ha1 != NULL && i < n_trunks; i++)
        free(d->trunk_ha1[i]);
    for (size_t i = 0; d->trunk_realm != NULL && i < n_trunks; i++)
        free(d->trunk_realm[i]);
    free(d->staff_ha1);
    free(d->trunk_ha1);
    free(d->trunk_realm);
    memset(d, 0, sizeof(*d));
}

cc_status dir_mirror_init(struct cc_redis *redis, int *script_id, char *err, size_t errlen)
{
    return cc_redis_script_add(redis, presence_lua_mirror, script_id, err, errlen);
}

/* The step's own first arguments: what the change was (lua/mirror.lua). */
static void audit_args(struct args *a, const struct dir_audit *audit)
{
    char op[16], kind[16];

    if (audit == NULL) {
        for (int i = 0; i < 6; i++)
            push(a, "", 0);
        return;
    }
    snprintf(op, sizeof(op), "%d", (int)audit->op);
    snprintf(kind, sizeof(kind), "%d", (int)audit->kind);
    push(a, audit->actor, strlen(audit->actor));
    push(a, op, strlen(op));
    push(a, kind, strlen(kind));
    push(a, audit->key, strlen(audit->key));
    push(a, audit->created ? "1" : "0", 1);
    push(a, audit->revoke, strlen(audit->revoke));
}

cc_status dir_mirror_write(const struct cc_step_frame *frame, int script_id,
                           const Cc__DirReply *all, const struct dir_digests *dig,
                           const struct dir_audit *audit)
{
    struct args a = {0};
    char key[160];
    redisReply *rep = NULL;
    cc_status st;

    audit_args(&a, audit);
    for (size_t i = 0; i < all->n_groups; i++) {
        const Cc__Group *g = all->groups[i];
        snprintf(key, sizeof(key), "cc:dir:group:%s", g->id);
        op(&a, "hset", key, "name", g->name);
        snprintf(key, sizeof(key), "cc:dir:group:%s:members", g->id);
        for (size_t j = 0; j < g->n_member_ids; j++)
            op(&a, "sadd", key, g->member_ids[j], "");
    }
    for (size_t i = 0; i < all->n_staff; i++) {
        const Cc__Staff *s = all->staff[i];
        snprintf(key, sizeof(key), "cc:dir:staff:%s", s->id);
        op(&a, "hset", key, "name", s->name);
        op(&a, "hset", key, "email", s->email);
        op(&a, "hset", key, "role", s->role);
        op(&a, "hset", key, "sip_ha1", dig->staff_ha1[i]);
        if (dig->staff_ha1[i][0] != '\0') {
            snprintf(key, sizeof(key), "cc:dir:sipuser:%s", s->id);
            op(&a, "set", key, s->id, "");
        }
        snprintf(key, sizeof(key), "cc:dir:staff:%s:groups", s->id);
        for (size_t j = 0; j < s->n_group_ids; j++)
            op(&a, "sadd", key, s->group_ids[j], "");
    }
    for (size_t i = 0; i < all->n_channels; i++)
        add_channel(&a, all->channels[i]);
    for (size_t i = 0; i < all->n_numbers; i++) {
        snprintf(key, sizeof(key), "cc:dir:number:%s", all->numbers[i]->e164);
        op(&a, "set", key, all->numbers[i]->channel_id, "");
    }
    for (size_t i = 0; i < all->n_trunks; i++)
        add_trunk(&a, all->trunks[i], dig->trunk_ha1[i], dig->trunk_realm[i]);

    if (a.failed || a.n > CC_STEP_MAX_ARGS_HEAP) {
        st = CC_ERR_NOMEM;
    } else {
        st = cc_step_call(frame, script_id, NULL, (int)a.n, (const char **)a.v, a.len, &rep);
        if (st == CC_OK && strcmp(cc_step_result(rep), "ok") != 0)
            st = CC_ERR_REDIS;
    }
    freeReplyObject(rep);
    for (size_t i = 0; i < a.n; i++)
        free(a.v[i]);
    free(a.v);
    free(a.len);
    return st;
}

/* A decimal enum value in [lo, hi] from an entry field; false otherwise. */
static bool enum_field(const struct cc_outbox_entry *e, const char *name, int lo, int hi, int *out)
{
    const char *v = cc_outbox_get(e, name, NULL);
    char *end;
    long n;

    if (v == NULL || v[0] == '\0')
        return false;
    n = strtol(v, &end, 10);
    if (*end != '\0' || n < lo || n > hi)
        return false;
    *out = (int)n;
    return true;
}

bool dir_mirror_fact(const struct cc_outbox_entry *e, Cc__Event *ev, Cc__DirChange *c)
{
    const char *actor = cc_outbox_get(e, "actor", NULL), *key = cc_outbox_get(e, "key", NULL);
    const char *created = cc_outbox_get(e, "created", NULL);
    const char *revoked = cc_outbox_get(e, "revoked", NULL);
    int op, kind;

    cc__dir_change__init(c);
    if (actor == NULL || actor[0] == '\0' || key == NULL || created == NULL || revoked == NULL ||
        !enum_field(e, "op", CC__DIR_OP__DIR_OP_CREATE, CC__DIR_OP__DIR_OP_DELETE, &op) ||
        !enum_field(e, "kind", CC__DIR_KIND__DIR_KIND_GROUP, CC__DIR_KIND__DIR_KIND_TRUNK, &kind))
        return false;
    c->actor = (char *)actor;
    c->op = (Cc__DirOp)op;
    c->kind = (Cc__DirKind)kind;
    c->key = (char *)key;
    c->created = strcmp(created, "1") == 0;
    c->revoked_staff_id = (char *)revoked;
    ev->body_case = CC__EVENT__BODY_DIR_CHANGE;
    ev->dir_change = c;
    if (dir_actor_is_staff(actor))
        ev->staff_id = (char *)actor;
    return true;
}
