/*
 * queue: owns enquiries (create, offer, answer, time out, block, voicemail,
 * transfer, call back). This file wires the modules together; enquiry logic
 * lives in its own modules as it arrives.
 */
#include "cc_log.h"
#include "cc_redis.h"
#include "cc_service.h"

#include <stdio.h>

struct queue {
    struct cc_service svc;
    struct cc_redis *redis;
};

static bool queue_ready(void *arg, char *detail, size_t len)
{
    struct queue *q = arg;
    if (!cc_redis_ping(q->redis)) {
        snprintf(detail, len, "redis unreachable");
        return false;
    }
    return true;
}

int main(void)
{
    struct queue q = {0};
    char err[512];
    int rc = cc_service_init(&q.svc, "queue");

    if (rc != 0)
        return rc;
    if (cc_redis_connect(&q.redis, q.svc.cfg.redis_url, q.svc.cfg.connect_timeout_ms, err,
                         sizeof(err)) != CC_OK) {
        cc_log(CC_LOG_ERROR, "not starting", "error", err, NULL);
        cc_service_stop(&q.svc);
        return CC_EXIT_UNAVAILABLE;
    }
    if (cc_service_serve_ping(&q.svc, queue_ready, &q) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot subscribe to ping", NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    cc_service_wait(&q.svc);
out:
    cc_service_stop(&q.svc);
    cc_redis_free(q.redis);
    return rc;
}
