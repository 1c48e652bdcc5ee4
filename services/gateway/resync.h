/*
 * resync: what a gateway does after its NATS connection comes back. Pushes
 * are best-effort core NATS messages: while the connection was down this
 * gateway's sockets missed some. So once it is connected again every staff
 * console here gets its pending panel as it is now, and every visitor its
 * enquiry as it is now, read from the queue (which reads Redis):
 *
 *   {"type":"pending.resync","staff_id":"bob","pending":[{item}, ...]}
 *   {"type":"enquiry.resync","enquiry":{...}}
 *
 * Threads: one thread of its own, woken by the bus's reconnect hook (which
 * must not block); it sends its requests and hands the texts to the hub.
 */
#ifndef GW_RESYNC_H
#define GW_RESYNC_H
#include "http.h"

struct gw_resync;

/* Starts the thread and hooks the bus's reconnect. ctx is borrowed until
 * gw_resync_stop returns. */
cc_status gw_resync_start(struct gw_resync **rp, struct gw_ctx *ctx);
/* Unhooks, joins, frees (before the bus is drained). Accepts NULL. */
void gw_resync_stop(struct gw_resync *r);

#endif
