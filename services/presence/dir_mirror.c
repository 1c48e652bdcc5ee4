/* dir_mirror: the directory as Redis keys, rewritten atomically. */
#include "dir_mirror.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ARGV is a flat list of 4-tuples: op, key, a, b.
 *   hset key field value | sadd key member - | set key value - */
static const char *const rewrite_lua =
    "local old = redis.call('SMEMBERS', KEYS[1])\n"
    "for _, k in ipairs(old) do redis.call('DEL', k) end\n"
    "redis.call('DEL', KEYS[1])\n"
    "for i = 1, #ARGV, 4 do\n"
    "  local op, k, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]\n"
    "  if op == 'hset' then redis.call('HSET', k, a, b)\n"
    "  elseif op == 'sadd' then redis.call('SADD', k, a)\n"
    "  else redis.call('SET', k, a) end\n"
    "  redis.call('SADD', KEYS[1], k)\n"
    "end\n"
    "return redis.call('INCR', KEYS[2])\n";

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

cc_status dir_mirror_init(struct cc_redis *redis, int *script_id, char *err, size_t errlen)
{
    return cc_redis_script_add(redis, rewrite_lua, script_id, err, errlen);
}

cc_status dir_mirror_write(struct cc_redis *redis, int script_id, const Cc__DirReply *all)
{
    struct args a = {0};
    char key[160];
    redisReply *rep;
    cc_status st;

    push(&a, "cc:dir:keys", 11);
    push(&a, "cc:dir:version", 14);
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

    if (a.failed) {
        st = CC_ERR_NOMEM;
    } else {
        rep = cc_redis_script_call(redis, script_id, 2, (int)a.n, (const char **)a.v, a.len);
        st = cc_redis_reply_status(rep);
        freeReplyObject(rep);
    }
    for (size_t i = 0; i < a.n; i++)
        free(a.v[i]);
    free(a.v);
    free(a.len);
    return st;
}
