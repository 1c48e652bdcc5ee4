/*
 * revoke: a staff member deleted, or given another role, loses every
 * session at once. Presence ends the sessions in the step that changes the
 * directory (their tokens are refused, 401, from the next request on) and
 * records it in the change's fact, "directory.changed" with
 * revoked_staff_id; every gateway replica hears the fact (cc.evt.directory.>,
 * no queue group) and closes that staff member's sockets here with close
 * code 4401, reason "session_revoked" (gw_ws_close_staff).
 *
 * A gateway that was cut from NATS may have missed the fact: after it
 * reconnects, resync.h asks presence, for every console here, whether its
 * staff member still has a live session (cc.presence.sessions), and closes
 * the consoles of those with none the same way.
 *
 * Threads: nats.c delivers the facts on its thread; the hub closes the
 * sockets.
 */
#ifndef GW_REVOKE_H
#define GW_REVOKE_H
#include "http.h"

#define GW_REVOKED_REASON "session_revoked"

/* Subscribes; ctx (and its hub) are borrowed until the bus is drained. */
cc_status gw_revoke_start(struct gw_ctx *ctx, char *err, size_t errlen);

#endif
