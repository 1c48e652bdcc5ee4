/*
 * ingress: owns calls and legs: the SIP trunk today (virtual numbers ->
 * channels -> enquiries), WebRTC sessions later. This file wires the
 * modules together (ingress.h lists them).
 */
#include "cc_log.h"
#include "cc_redis.h"
#include "cc_service.h"
#include "ingress.h"

int main(void)
{
    struct cc_service svc;
    struct cc_redis *redis = NULL;
    struct ingress *in = NULL;
    char err[512];
    int rc = cc_service_init(&svc, "ingress");

    if (rc != 0)
        return rc;
    rc = cc_service_connect_redis(&svc, &redis);
    if (rc != 0)
        goto out;
    if (ingress_start(&in, svc.bus, redis, &svc.cfg, err, sizeof(err)) != CC_OK) {
        cc_log(CC_LOG_ERROR, "not starting", "error", err, NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    if (cc_service_serve_ping(&svc, ingress_ready, in) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot subscribe to ping", NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    cc_log(CC_LOG_INFO, "SIP listening", "addr", svc.cfg.sip_addr, NULL);
    cc_service_wait(&svc);
out:
    ingress_stop(in);      /* its threads use the bus */
    cc_service_stop(&svc); /* handlers finish before what they use goes */
    ingress_free(in);
    cc_redis_free(redis);
    return rc;
}
