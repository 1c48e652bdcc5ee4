/* callstore: cc:call:<id> through its Lua steps. See callstore.h. */
#include "callstore.h"
#include "sip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *call_get(const struct call *c, const char *field)
{
    if (c->r == NULL)
        return "";
    for (size_t i = c->first; i + 1 < c->r->elements; i += 2)
        if (c->r->element[i]->type == REDIS_REPLY_STRING &&
            strcmp(c->r->element[i]->str, field) == 0)
            return c->r->element[i + 1]->str != NULL ? c->r->element[i + 1]->str : "";
    return "";
}

void call_clear(struct call *c)
{
    freeReplyObject(c->r);
    c->r = NULL;
    c->first = 0;
}

static cc_status run(struct ingress *in, int script, int n, const char **args, redisReply **r)
{
    cc_status st = cc_step_call(&in->frame, in->script[script], NULL, n, args, NULL, r);
    if (st == CC_OK && (*r)->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(*r);
        *r = NULL;
        st = CC_ERR_UNAVAILABLE;
    }
    return st;
}

cc_status call_new(struct ingress *in, const char *id, const char *sip_call_id, int nfields,
                   const char **fields, bool *existed, char id_out[64], char state[16])
{
    const char **args = calloc((size_t)nfields + 3, sizeof(*args));
    char ttl[16];
    redisReply *r = NULL;
    cc_status st;

    if (args == NULL)
        return CC_ERR_NOMEM;
    snprintf(ttl, sizeof(ttl), "%d", CALL_TTL_S);
    args[0] = id;
    args[1] = sip_call_id;
    args[2] = ttl;
    if (nfields > 0)
        memcpy(args + 3, fields, (size_t)nfields * sizeof(*args));
    st = run(in, I_CALL_NEW, nfields + 3, args, &r);
    free(args);
    if (st != CC_OK)
        return st;
    *existed = strcmp(cc_step_result(r), "exists") == 0;
    snprintf(id_out, 64, "%s", cc_step_str(r, 1));
    snprintf(state, 16, "%s", *existed ? cc_step_str(r, 2) : "new");
    freeReplyObject(r);
    return CC_OK;
}

static cc_status state_step(struct ingress *in, int script, const char *id, const char *from,
                            const char *to, bool bump, int nfields, const char **fields,
                            struct call *c, char prev[16]);

cc_status call_set(struct ingress *in, const char *id, const char *from, const char *to,
                   bool bump, int nfields, const char **fields, struct call *c, char prev[16])
{
    return state_step(in, I_CALL_SET, id, from, to, bump, nfields, fields, c, prev);
}

cc_status ring_set(struct ingress *in, const char *id, const char *from, const char *to,
                   bool bump, int nfields, const char **fields, struct call *c, char prev[16])
{
    return state_step(in, I_RING_SET, id, from, to, bump, nfields, fields, c, prev);
}

static cc_status state_step(struct ingress *in, int script, const char *id, const char *from,
                            const char *to, bool bump, int nfields, const char **fields,
                            struct call *c, char prev[16])
{
    const char **args = calloc((size_t)nfields + 5, sizeof(*args));
    char ttl[16];
    redisReply *r = NULL;
    const char *res;
    cc_status st;

    c->r = NULL;
    prev[0] = '\0';
    if (args == NULL)
        return CC_ERR_NOMEM;
    snprintf(ttl, sizeof(ttl), "%d", strcmp(to, "ended") == 0 ? CALL_ENDED_TTL_S : CALL_TTL_S);
    args[0] = id;
    args[1] = from;
    args[2] = to;
    args[3] = ttl;
    args[4] = bump ? "1" : "0";
    if (nfields > 0)
        memcpy(args + 5, fields, (size_t)nfields * sizeof(*args));
    st = run(in, script, nfields + 5, args, &r);
    free(args);
    if (st != CC_OK)
        return st;
    res = cc_step_result(r);
    snprintf(prev, 16, "%s", cc_step_str(r, 1));
    if (strcmp(res, "ok") == 0) {
        c->r = r;
        c->first = 2;
        return CC_OK;
    }
    st = strcmp(res, "not_found") == 0 ? CC_ERR_NOT_FOUND
         : strcmp(res, "state") == 0   ? CC_ERR_CONFLICT
                                       : CC_ERR_UNAVAILABLE;
    freeReplyObject(r); /* res pointed into it */
    return st;
}

cc_status call_lookup(struct ingress *in, const char *index, const char *value, char id[64])
{
    char key[600];
    const char *argv[2] = {"GET", key};
    redisReply *r;
    cc_status st;

    if (strlen(value) > 512)
        return CC_ERR_NOT_FOUND;
    snprintf(key, sizeof(key), "cc:call:%s:%s", index, value);
    r = cc_redis_command(in->redis, 2, argv, NULL);
    st = cc_redis_reply_status(r);
    if (st != CC_OK)
        st = CC_ERR_UNAVAILABLE;
    else if (r->type != REDIS_REPLY_STRING || r->len >= 64)
        st = CC_ERR_NOT_FOUND;
    else
        snprintf(id, 64, "%s", r->str);
    freeReplyObject(r);
    return st;
}

cc_status call_read(struct ingress *in, const char *id, struct call *c)
{
    char key[128];
    const char *argv[2] = {"HGETALL", key};
    redisReply *r;

    c->r = NULL;
    c->first = 0;
    snprintf(key, sizeof(key), "cc:call:%s", id);
    r = cc_redis_command(in->redis, 2, argv, NULL);
    if (cc_redis_reply_status(r) != CC_OK || r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(r);
        return CC_ERR_UNAVAILABLE;
    }
    if (r->elements == 0) {
        freeReplyObject(r);
        return CC_ERR_NOT_FOUND;
    }
    c->r = r;
    return CC_OK;
}

void call_send_bye(struct ingress *in, const struct call *c)
{
    struct sip_dialog d = {
        .call_id = call_get(c, "sip_call_id"),
        .local = call_get(c, "local"),
        .remote = call_get(c, "remote"),
        .target = call_get(c, "target"),
        .route = call_get(c, "route"),
        .cseq = (uint32_t)strtoul(call_get(c, "local_cseq"), NULL, 10),
    };
    sip_send_bye(in->sip, &d);
}
