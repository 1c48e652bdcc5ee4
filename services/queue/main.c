/*
 * queue: owns enquiries (create, offer, answer, time out, block, voicemail,
 * transfer, call back). This file wires the modules together;
 * the domain logic lives in modules of its own as it arrives.
 */
#include "cc_log.h"
#include "cc_redis.h"
#include "cc_service.h"

int main(void)
{
    struct cc_service svc;
    struct cc_redis *redis = NULL;
    int rc = cc_service_init(&svc, "queue");

    if (rc != 0)
        return rc;
    rc = cc_service_connect_redis(&svc, &redis);
    if (rc != 0)
        goto out;
    if (cc_service_serve_ping(&svc, cc_service_redis_ready, redis) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot subscribe to ping", NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    cc_service_wait(&svc);
out:
    cc_service_stop(&svc);
    cc_redis_free(redis);
    return rc;
}
