/* step: a Lua step in the frame of services/common/lua/00_frame.lua. See step.h. */
#include "step.h"
#include "cc_id.h"
#include "cc_log.h"
#include "cc_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_ARGS 6 /* ARGV[1..6] of the frame */
#define MAX_ARGS 16

const char *queue_step_str(const redisReply *r, size_t i)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
        r->element[i]->type != REDIS_REPLY_STRING)
        return "";
    return r->element[i]->str;
}

const char *queue_step_result(const redisReply *r)
{
    return queue_step_str(r, 0);
}

cc_status queue_step(struct queue *q, enum queue_script script, const Cc__RequestMeta *meta,
                     int n, const char **args, const size_t *lens, redisReply **out)
{
    const char *argv[2 + FRAME_ARGS + MAX_ARGS];
    size_t len[2 + FRAME_ARGS + MAX_ARGS];
    char req_key[160] = "", base[CC_ID_LEN], now[24], deadline[24] = "0", ttl[16], max[16],
         cutoff[24];
    int64_t t = cc_wall_ms();
    redisReply *r;
    const char *word;

    *out = NULL;
    if (n + 1 > MAX_ARGS)
        return CC_ERR_INVALID;
    /* the key is already a hash of who asks and their Idempotency-Key */
    if (meta != NULL && meta->key != NULL && meta->key[0] != '\0')
        snprintf(req_key, sizeof(req_key), "cc:req:queue:%.128s", meta->key);
    if (meta != NULL && meta->deadline_ms > 0)
        snprintf(deadline, sizeof(deadline), "%lld", (long long)meta->deadline_ms);
    cc_id_new(base);
    snprintf(now, sizeof(now), "%lld", (long long)t);
    snprintf(ttl, sizeof(ttl), "%d", q->cfg->idempotency_ttl_s);
    snprintf(max, sizeof(max), "%d", q->cfg->outbox_max);
    snprintf(cutoff, sizeof(cutoff), "%lld",
             (long long)(t - (int64_t)q->cfg->heartbeat_timeout_s * 1000));
    argv[0] = q->outbox_key;
    argv[1] = req_key;
    argv[2] = base;
    argv[3] = now;
    argv[4] = meta != NULL && meta->fingerprint != NULL ? meta->fingerprint : "";
    argv[5] = deadline;
    argv[6] = ttl;
    argv[7] = max;
    argv[8] = cutoff;
    for (int i = 0; i < 2 + FRAME_ARGS + 1; i++)
        len[i] = strlen(argv[i]);
    for (int i = 0; i < n; i++) {
        argv[9 + i] = args[i];
        len[9 + i] = lens != NULL ? lens[i] : strlen(args[i]);
    }
    r = cc_redis_script_call(q->redis, q->script[script], 2, 9 + n, argv, len);
    if (r != NULL && r->type == REDIS_REPLY_ERROR)
        cc_log(CC_LOG_WARN, "Lua step failed", "error", r->str, NULL);
    if (r == NULL || (r->type != REDIS_REPLY_ARRAY && r->type != REDIS_REPLY_INTEGER)) {
        freeReplyObject(r);
        return CC_ERR_UNAVAILABLE;
    }
    word = queue_step_result(r);
    if (strcmp(word, "idem_mismatch") == 0 || strcmp(word, "expired") == 0 ||
        strcmp(word, "busy") == 0) {
        cc_status st = word[0] == 'i'   ? CC_ERR_MISMATCH
                       : word[0] == 'e' ? CC_ERR_TIMEOUT
                                        : CC_ERR_UNAVAILABLE;
        freeReplyObject(r);
        return st;
    }
    *out = r;
    return CC_OK;
}
