/*
 * ws: the WebSocket of staff consoles and visitors (RFC 6455 framing by
 * wslay over a socket upgraded by libmicrohttpd).
 *
 *   GET /api/v1/ws?token=<staff token>                     a staff console
 *   GET /api/v1/ws?token=v-<visitor token>&enquiry=<id>    a visitor
 *
 * Server -> client, one JSON text message per event:
 *   {"type":"enquiry.offered","enquiry":{...},"staff_id":"bob","reason":""}
 * Staff get every enquiry event addressed to them (offered, withdrawn,
 * answered, ...) and their own presence.changed; a visitor gets the
 * outcome events of their enquiry (answered, missed, voicemail, blocked,
 * cancelled, ended), in the visitor's view (visitor.h: no staff_id, no
 * staff-side field). Client -> server messages are read and ignored.
 *
 * While a staff console's socket is open the hub sends its heartbeat to
 * presence (every CC_HEARTBEAT_TIMEOUT_S / 3); when the socket goes, the
 * heartbeats stop and presence takes the staff member offline (R7.1).
 * A socket silent for 3 ping intervals (15 s each) is closed.
 *
 * Threads: one hub thread owns every socket and wslay context (epoll). The
 * MHD thread that upgrades a socket builds its connection object and hands
 * it to the hub in one critical section (linked into the hub's list and
 * recipient index under the hub mutex), after which it never touches it
 * again; only the hub closes and frees connections. Bus threads only append
 * to a connection's outbox, found through the index under the hub mutex,
 * and wake the hub through an eventfd.
 *
 * Replies of the queue (visitor handshake) and events are checked before
 * use: a reply without the enquiry asked for is a 503, an event without the
 * body its kind needs is dropped.
 */
#ifndef GW_WS_H
#define GW_WS_H
#include "http.h"

#define GW_WS_MAX_CONN 20000
#define GW_WS_BUCKETS 4096 /* of the recipient index */
#define GW_WS_MAX_OUTBOX 256 /* queued messages per socket; a slower reader is cut off */

struct gw_ws;

/* Starts the hub thread and subscribes to the events. */
cc_status gw_ws_start(struct gw_ws **wp, struct gw_ctx *ctx, char *err, size_t errlen);
/* Closes every socket and stops the hub thread: before the HTTP server
 * stops (it must not hold upgraded sockets). Events may still arrive until
 * the bus is drained; they find no socket. */
void gw_ws_stop(struct gw_ws *w);
/* After the bus is drained. Accepts NULL. */
void gw_ws_free(struct gw_ws *w);

/* The route handler of GET /api/v1/ws: checks the handshake and the token,
 * then answers 101 and hands the socket to the hub. */
void gw_ws_upgrade(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

/* Number of open sockets (for tests and status). */
int gw_ws_count(struct gw_ws *w);

/* A recipient with at least one socket here: a staff id, or a visitor's
 * enquiry id. */
struct gw_ws_recipient {
    bool staff;
    char id[96];
};
/* The recipients connected now, into a new array (*n of them; caller frees);
 * NULL when there are none or no memory. */
struct gw_ws_recipient *gw_ws_recipients(struct gw_ws *w, size_t *n);
/* Queues text to every socket of the recipient and wakes the hub; any thread. */
void gw_ws_push_text(struct gw_ws *w, bool staff, const char *id, const char *text);

/* Closes every socket of staff member staff_id here with a close frame of
 * code and reason (at most 63 bytes), e.g. when their sessions are revoked
 * (revoke.h); nothing more is pushed to them. Any thread: the hub sends
 * the close frame and closes the socket when the client answers with its
 * own, or 2 s later. */
#define GW_WS_CLOSE_REVOKED 4401 /* reason "session_revoked" */
void gw_ws_close_staff(struct gw_ws *w, const char *staff_id, uint16_t code, const char *reason);

#endif
