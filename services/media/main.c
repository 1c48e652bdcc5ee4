/*
 * media: RTP/SRTP relay, ICE-lite, DTLS-SRTP, bridging, hold, mute, DTMF,
 * recording and conference mixing, commanded over NATS. This file wires the
 * modules together: today the node registry; the media plane arrives with
 * the SIP and WebRTC issues.
 */
#include "cc_log.h"
#include "cc_redis.h"
#include "cc_service.h"
#include "registry.h"

int main(void)
{
    struct cc_service svc;
    struct cc_redis *redis = NULL;
    struct media_registry *registry = NULL;
    int rc = cc_service_init(&svc, "media");

    if (rc != 0)
        return rc;
    rc = cc_service_connect_redis(&svc, &redis);
    if (rc != 0)
        goto out;
    if (media_registry_start(&registry, redis, &svc.cfg) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot register the media node in Redis", NULL);
        rc = CC_EXIT_UNAVAILABLE;
        goto out;
    }
    if (cc_service_serve_ping(&svc, cc_service_redis_ready, redis) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot subscribe to ping", NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    cc_service_wait(&svc);
out:
    media_registry_stop(registry);
    cc_service_stop(&svc);
    cc_redis_free(redis);
    return rc;
}
