/* revoke: directory.changed facts -> sockets closed. See revoke.h. */
#include "revoke.h"
#include "cc_log.h"
#include "event.pb-c.h"
#include "ws.h"

#include <stdio.h>

static void on_change(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                      void *arg)
{
    struct gw_ctx *ctx = arg;
    Cc__Event *ev = (Cc__Event *)pb;
    (void)bus;

    if (ev->body_case != CC__EVENT__BODY_DIR_CHANGE || ev->dir_change == NULL) {
        cc_log(CC_LOG_WARN, "incomplete event dropped", "subject", m->subject, "type", ev->type,
               NULL);
        return;
    }
    if (ev->dir_change->revoked_staff_id[0] != '\0')
        gw_ws_close_staff(ctx->ws, ev->dir_change->revoked_staff_id, GW_WS_CLOSE_REVOKED,
                          GW_REVOKED_REASON);
}

cc_status gw_revoke_start(struct gw_ctx *ctx, char *err, size_t errlen)
{
    /* no queue group: every replica closes its own sockets */
    cc_status st = cc_bus_subscribe_pb(ctx->bus, "cc.evt.directory.>", NULL, &cc__event__descriptor,
                                       on_change, ctx);
    if (st != CC_OK)
        snprintf(err, errlen, "cannot subscribe to directory changes");
    return st;
}
