/*
 * resync: a console's panel, or a visitor's enquiry, read again and pushed
 * whole, when pushes one by one are not enough:
 *
 * - after this gateway's NATS connection comes back. Pushes are
 *   best-effort core NATS messages: while the connection was down this
 *   gateway's sockets missed some. So every staff console here gets its
 *   pending panel as it is now, and every visitor its enquiry as it is now,
 *   read from the queue (which reads Redis);
 * - when the hub has coalesced a burst of a console's panel pushes
 *   (panel.h): that console gets its panel as it is now instead.
 *
 *   {"type":"pending.resync","staff_id":"bob","reason":"reconnect"|"burst",
 *    "pending":[{item}, ...],"total":N,"more":bool}   (the first page of GET /api/v1/pending)
 *   {"type":"enquiry.resync","enquiry":{...}}
 *
 * Threads: one thread of its own, woken by the bus's reconnect hook and by
 * the hub (neither may block); it sends its requests and hands the texts to
 * the hub.
 */
#ifndef GW_RESYNC_H
#define GW_RESYNC_H
#include "http.h"

struct gw_resync;

/* Starts the thread, hooks the bus's reconnect and the hub's due panels.
 * ctx is borrowed until gw_resync_stop returns. */
cc_status gw_resync_start(struct gw_resync **rp, struct gw_ctx *ctx);
/* Unhooks, joins, frees (before the bus is drained and the hub stops).
 * Accepts NULL. */
void gw_resync_stop(struct gw_resync *r);

#endif
