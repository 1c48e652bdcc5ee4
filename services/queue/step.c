/* step: a queue step with the heartbeat cutoff first. See step.h. */
#include "step.h"
#include "cc_time.h"

#include <stdio.h>
#include <string.h>

cc_status queue_step(struct queue *q, enum queue_script script, const Cc__RequestMeta *meta,
                     int n, const char **args, const size_t *lens, redisReply **out)
{
    const char *a[CC_STEP_MAX_ARGS];
    size_t l[CC_STEP_MAX_ARGS];
    char cutoff[24];

    *out = NULL;
    if (n + 1 > CC_STEP_MAX_ARGS)
        return CC_ERR_INVALID;
    snprintf(cutoff, sizeof(cutoff), "%lld",
             (long long)(cc_wall_ms() - (int64_t)q->cfg->heartbeat_timeout_s * 1000));
    a[0] = cutoff;
    l[0] = strlen(cutoff);
    for (int i = 0; i < n; i++) {
        a[1 + i] = args[i];
        l[1 + i] = lens != NULL ? lens[i] : strlen(args[i]);
    }
    return cc_step_call(&q->frame, q->script[script], meta, n + 1, a, l, out);
}
