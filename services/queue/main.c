/*
 * queue: owns enquiries: create, offer, answer (exactly one winner), time
 * out, block, voicemail, end (R2-R8); transfer and call back build on the
 * same scripts. This file wires the modules together.
 */
#include "cc_log.h"
#include "cc_redis.h"
#include "cc_service.h"
#include "queue.h"

int main(void)
{
    struct cc_service svc;
    struct cc_redis *redis = NULL;
    struct queue *q = NULL;
    char err[512];
    int rc = cc_service_init(&svc, "queue");

    if (rc != 0)
        return rc;
    rc = cc_service_connect_redis(&svc, &redis);
    if (rc != 0)
        goto out;
    if (queue_start(&q, svc.bus, redis, &svc.cfg, err, sizeof(err)) != CC_OK) {
        cc_log(CC_LOG_ERROR, "not starting", "error", err, NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    if (queue_serve(q) != CC_OK ||
        cc_service_serve_ping(&svc, cc_service_redis_ready, redis) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot subscribe", NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    cc_service_wait(&svc);
out:
    queue_stop(q);         /* its threads use the bus */
    cc_service_stop(&svc); /* handlers finish before what they use goes */
    queue_free(q);
    cc_redis_free(redis);
    return rc;
}
