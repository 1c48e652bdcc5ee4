/*
 * gateway: the HTTP edge for frontends: the probes and platform status,
 * the REST API over the services' NATS subjects, the WebSocket hub and the
 * static web pages. This file wires the modules (threads: README.md).
 */
#include "cc_log.h"
#include "cc_redis.h"
#include "cc_service.h"
#include "health.h"
#include "http.h"
#include "ratelimit.h"
#include "resync.h"
#include "revoke.h"
#include "ws.h"

#include <stdio.h>

int main(void)
{
    struct cc_service svc;
    struct cc_redis *redis = NULL;
    struct gw_http *http = NULL;
    struct gw_resync *resync = NULL;
    struct gw_ctx ctx = {0};
    char err[512];
    int rc = cc_service_init(&svc, "gateway");

    if (rc != 0)
        return rc;
    ctx.cfg = &svc.cfg;
    ctx.bus = svc.bus;
    /* Redis is a readiness check of this gateway and where its admission
     * limits live; unreachable at start: exit 3 like every service */
    rc = cc_service_connect_redis(&svc, &redis);
    if (rc != 0)
        goto out;
    if (gw_rate_new(&ctx.rate, redis, &svc.cfg, err, sizeof(err)) != CC_OK) {
        cc_log(CC_LOG_ERROR, "not starting", "error", err, NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    if (gw_health_new(&ctx.health, svc.bus, redis, &svc.cfg) != CC_OK) {
        cc_log(CC_LOG_ERROR, "out of memory", NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    /* our own ping answer reads the cache: it must exist first */
    if (cc_service_serve_ping(&svc, gw_health_self_ready, ctx.health) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot subscribe to ping", NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    if (gw_health_start(ctx.health, err, sizeof(err)) != CC_OK ||
        gw_ws_start(&ctx.ws, &ctx, err, sizeof(err)) != CC_OK ||
        gw_revoke_start(&ctx, err, sizeof(err)) != CC_OK || gw_resync_start(&resync, &ctx) != CC_OK ||
        gw_http_start(&http, &ctx, err, sizeof(err)) != CC_OK) {
        cc_log(CC_LOG_ERROR, "not starting", "error", err, NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    {
        char port[16];
        snprintf(port, sizeof(port), "%d", svc.cfg.http_port);
        cc_log(CC_LOG_INFO, "listening", "addr", svc.cfg.http_addr, "port", port, NULL);
    }
    cc_service_wait(&svc);
out:
    gw_resync_stop(resync);     /* it pushes to the hub and uses the bus */
    gw_ws_stop(ctx.ws);         /* close the upgraded sockets before MHD stops */
    gw_http_stop(http);         /* then HTTP and its workers: handlers use the bus */
    gw_health_stop(ctx.health); /* the refresher uses the bus too */
    cc_service_stop(&svc);
    gw_ws_free(ctx.ws);         /* no event handler runs after the drain */
    gw_health_free(ctx.health); /* nor a ping answer */
    gw_rate_free(ctx.rate);     /* the workers that used it are gone */
    cc_redis_free(redis);
    return rc;
}
