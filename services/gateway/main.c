/*
 * gateway: the HTTP edge for frontends. Serves the health endpoints, the
 * status of every service instance and the static web pages; the REST API and
 * the WebSocket arrive with the routing issue. This file wires the modules.
 */
#include "cc_log.h"
#include "cc_service.h"
#include "http.h"
#include "ws.h"

#include <stdio.h>

int main(void)
{
    struct cc_service svc;
    struct gw_http *http = NULL;
    struct gw_ctx ctx;
    char err[512];
    int rc = cc_service_init(&svc, "gateway");

    if (rc != 0)
        return rc;
    ctx.cfg = &svc.cfg;
    ctx.bus = svc.bus;
    ctx.ws = NULL;
    if (cc_service_serve_ping(&svc, NULL, NULL) != CC_OK) {
        cc_log(CC_LOG_ERROR, "cannot subscribe to ping", NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    if (gw_ws_start(&ctx.ws, &ctx, err, sizeof(err)) != CC_OK) {
        cc_log(CC_LOG_ERROR, "not starting", "error", err, NULL);
        rc = CC_EXIT_FAIL;
        goto out;
    }
    if (gw_http_start(&http, &ctx, err, sizeof(err)) != CC_OK) {
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
    gw_ws_stop(ctx.ws); /* close the upgraded sockets before MHD stops */
    gw_http_stop(http); /* then HTTP: handlers use the bus */
    cc_service_stop(&svc);
    gw_ws_free(ctx.ws); /* no event handler runs after the drain */
    return rc;
}
