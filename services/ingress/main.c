/*
 * ingress: owns calls and legs: the SIP trunk today (virtual numbers ->
 * channels -> enquiries), WebRTC sessions later. This file wires the
 * modules together (ingress.h lists them).
 */
#include "cc_log.h"
#include "cc_redis.h"
#include "cc_service.h"
#include "ingress.h"

#include <stdatomic.h>
#include <stdio.h>

/* The ping answers from the start (not ready until the SIP stack serves),
 * so that a process that cannot start is still seen, and says why. */
static _Atomic(struct ingress *) started;

static bool ready(void *arg, char *detail, size_t len)
{
    struct ingress *in = atomic_load(&started);

    (void)arg;
    if (in == NULL) {
        snprintf(detail, len, "starting");
        return false;
    }
    return ingress_ready(in, detail, len);
}

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
    if (cc_service_serve_ping(&svc, ready, NULL) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot subscribe to ping", NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    if (ingress_start(&in, svc.bus, redis, &svc.cfg, err, sizeof(err)) != CC_OK) {
        cc_log(CC_LOG_ERROR, "not starting", "error", err, NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    atomic_store(&started, in);
    cc_log(CC_LOG_INFO, "SIP listening", "addr", svc.cfg.sip_addr, NULL);
    cc_service_wait(&svc);
out:
    atomic_store(&started, NULL);
    ingress_stop(in);      /* its threads use the bus */
    cc_service_stop(&svc); /* handlers finish before what they use goes */
    ingress_free(in);
    cc_redis_free(redis);
    return rc;
}
