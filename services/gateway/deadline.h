/*
 * deadline: a request must arrive whole within CC_HTTP_TIMEOUT_S.
 *
 * libmicrohttpd closes a connection that is idle that long
 * (MHD_OPTION_CONNECTION_TIMEOUT), but a client that sends a byte of its
 * headers now and then (slowloris) is never idle and would hold its
 * connection for ever. So every connection is tracked from the moment it
 * opens: its request (headers and body) must have arrived CC_HTTP_TIMEOUT_S
 * after it opened, or after the reply before it was sent (keep-alive); a
 * request being handled, or a connection upgraded to a WebSocket, has no
 * deadline.
 *
 * Threads: MHD threads call gw_deadline_notify / _arrived / _next for their
 * own connections. One thread of its own looks once a second and shuts a
 * late connection's socket down (shutdown(2)): MHD then sees it end and
 * closes the connection itself, so the descriptor stays MHD's. MHD tells
 * us a connection closed (gw_deadline_notify, which takes the tracker's
 * lock) before it closes the descriptor, so a tracked descriptor is always
 * open while the lock is held.
 */
#ifndef GW_DEADLINE_H
#define GW_DEADLINE_H
#include <microhttpd.h>
#include <stdbool.h>
#include "cc_status.h"

struct gw_deadline;

/* Starts the checking thread. Caller frees with gw_deadline_stop() after
 * the HTTP server stopped. */
cc_status gw_deadline_start(struct gw_deadline **dp, int timeout_s, char *err, size_t errlen);
/* Joins and frees. Accepts NULL. */
void gw_deadline_stop(struct gw_deadline *d);

/* The MHD_OPTION_NOTIFY_CONNECTION callback; cls is the tracker. */
void gw_deadline_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code);
/* The request on c has arrived whole: no deadline while it is handled. */
void gw_deadline_arrived(struct MHD_Connection *c);
/* The reply on c was sent: the next request's deadline runs from now, or,
 * when c became a WebSocket (upgraded), never again. */
void gw_deadline_next(struct MHD_Connection *c, bool upgraded);

#endif
