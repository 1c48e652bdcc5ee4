/* cc_step: a Lua step in its frame. See cc_step.h. */
#include "cc_step.h"
#include "cc_id.h"
#include "cc_log.h"
#include "cc_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_KEYS 2
#define FRAME_ARGS 6

void cc_step_frame_init(struct cc_step_frame *f, struct cc_redis *redis, const char *service,
                        int record_ttl_s, int outbox_max)
{
    f->redis = redis;
    snprintf(f->outbox_key, sizeof(f->outbox_key), "cc:outbox:%s", service);
    snprintf(f->record_prefix, sizeof(f->record_prefix), "cc:req:%s:", service);
    f->record_ttl_s = record_ttl_s;
    f->outbox_max = outbox_max;
}

const char *cc_step_str(const redisReply *r, size_t i)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
        r->element[i]->type != REDIS_REPLY_STRING)
        return "";
    return r->element[i]->str;
}

const char *cc_step_result(const redisReply *r)
{
    return cc_step_str(r, 0);
}

cc_status cc_step_call(const struct cc_step_frame *f, int script, const Cc__RequestMeta *meta,
                       int n, const char **args, const size_t *lens, redisReply **out)
{
    const char *stack_argv[FRAME_KEYS + FRAME_ARGS + CC_STEP_MAX_ARGS], **argv = stack_argv;
    size_t stack_len[FRAME_KEYS + FRAME_ARGS + CC_STEP_MAX_ARGS], *len = stack_len;
    char record[224] = "", base[CC_ID_LEN], now[24], deadline[24] = "0", ttl[16], max[16];
    const int first = FRAME_KEYS + FRAME_ARGS;
    redisReply *r;
    const char *word;

    *out = NULL;
    if (n < 0 || n > CC_STEP_MAX_ARGS_HEAP)
        return CC_ERR_INVALID;
    if (n > CC_STEP_MAX_ARGS) {
        /* a long argument list (the directory mirror): on the heap */
        argv = malloc((size_t)(first + n) * sizeof(*argv));
        len = malloc((size_t)(first + n) * sizeof(*len));
        if (argv == NULL || len == NULL) {
            free(argv);
            free(len);
            return CC_ERR_NOMEM;
        }
    }
    /* the key is already a hash of who asks and their Idempotency-Key */
    if (meta != NULL && meta->key != NULL && meta->key[0] != '\0')
        snprintf(record, sizeof(record), "%s%.128s", f->record_prefix, meta->key);
    if (meta != NULL && meta->deadline_ms > 0)
        snprintf(deadline, sizeof(deadline), "%lld", (long long)meta->deadline_ms);
    cc_id_new(base);
    snprintf(now, sizeof(now), "%lld", (long long)cc_wall_ms());
    snprintf(ttl, sizeof(ttl), "%d", f->record_ttl_s);
    snprintf(max, sizeof(max), "%d", f->outbox_max);
    argv[0] = f->outbox_key;
    argv[1] = record;
    argv[2] = base;
    argv[3] = now;
    argv[4] = meta != NULL && meta->fingerprint != NULL ? meta->fingerprint : "";
    argv[5] = deadline;
    argv[6] = ttl;
    argv[7] = max;
    for (int i = 0; i < first; i++)
        len[i] = strlen(argv[i]);
    for (int i = 0; i < n; i++) {
        argv[first + i] = args[i];
        len[first + i] = lens != NULL ? lens[i] : strlen(args[i]);
    }
    r = cc_redis_script_call(f->redis, script, FRAME_KEYS, first + n, argv, len);
    if (argv != stack_argv) {
        free(argv);
        free(len);
    }
    if (r != NULL && r->type == REDIS_REPLY_ERROR)
        cc_log(CC_LOG_WARN, "Lua step failed", "error", r->str, NULL);
    if (r == NULL || (r->type != REDIS_REPLY_ARRAY && r->type != REDIS_REPLY_INTEGER)) {
        freeReplyObject(r);
        return CC_ERR_UNAVAILABLE;
    }
    word = cc_step_result(r);
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
