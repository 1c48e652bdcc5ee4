/*
 * ws: the WebSocket of staff consoles and visitors (RFC 6455 framing by
 * wslay over a socket upgraded by libmicrohttpd).
 *
 *   GET /api/v1/ws                    a staff console
 *   GET /api/v1/ws?enquiry=<id>       a visitor
 *   Sec-WebSocket-Protocol: cc.v1, bearer.<token>   (handshake.h; ws_upgrade.c)
 *
 * Server -> client, one JSON text message per event:
 *   {"type":"enquiry.offered","enquiry":{...},"staff_id":"bob","reason":""}
 * Staff get every enquiry event addressed to them (offered, withdrawn,
 * answered, ...) and their own presence.changed; a visitor gets the
 * outcome events of their enquiry (answered, missed, voicemail, blocked,
 * cancelled, ended), in the visitor's view (visitor.h: no staff_id, no
 * staff-side field). Client -> server messages are read and ignored.
 * Under a burst a console's panel pushes are coalesced into pending.resync
 * snapshots (panel.h; read by resync.c).
 *
 * While a staff console's socket is open the hub sends its heartbeat to
 * presence (every CC_HEARTBEAT_TIMEOUT_S / 3); when the socket goes, the
 * heartbeats stop and presence takes the staff member offline (R7.1).
 * A socket silent for 3 ping intervals (15 s each) is closed.
 *
 * Admission (docs/api.md, "Limits"): at most CC_WS_PER_STAFF_MAX sockets
 * per staff member and CC_WS_PER_VISITOR_MAX per visitor token on this
 * gateway, and gw_ws_max() in all, so that plain HTTP (probes, logins)
 * always has connections left. A socket's unsent output (its outbox and
 * what wslay holds) is capped at CC_WS_QUEUE_MAX_BYTES: a reader that falls
 * that far behind is cut off with close code 1008 "slow consumer" and a log
 * line. The kernel takes no more once GW_WS_WRITE_AHEAD bytes wait unsent
 * (TCP_NOTSENT_LOWAT) in a socket buffer of GW_WS_SNDBUF, so the close frame
 * always finds room behind them and reaches even a client that stopped
 * reading, once it reads again. Every
 * close the server decides is a close frame with a code and a reason, and
 * a log line. Memory of closed sockets is handed back to the system
 * (malloc_trim) at most once a second.
 *
 * Threads: one hub thread owns every socket and wslay context (epoll). The
 * MHD thread that upgrades a socket builds its connection object and hands
 * it to the hub in one critical section (linked into the hub's list and
 * recipient index under the hub mutex), after which it never touches it
 * again; only the hub closes and frees connections. Bus threads only append
 * to a connection's outbox (and read its queued bytes), found through the
 * index under the hub mutex, and wake the hub through an eventfd. The
 * resync thread reads the panels the hub asks for and hands them back
 * (gw_ws_take_panels, gw_ws_push_panel).
 *
 * Replies of the queue (visitor handshake) and events are checked before
 * use: a reply without the enquiry asked for is a 503, an event without the
 * body its kind needs is dropped.
 */
#ifndef GW_WS_H
#define GW_WS_H
#include <microhttpd.h>
#include "http.h"

#define GW_WS_BUCKETS 4096             /* of the recipient index */
#define GW_WS_WRITE_AHEAD (64 * 1024)  /* unsent bytes the kernel holds for a socket */
#define GW_WS_SNDBUF (192 * 1024)      /* SO_SNDBUF (the kernel doubles it): room for a close frame */

/* WebSocket close codes the server sends (docs/api.md). */
#define GW_WS_CLOSE_GOING_AWAY 1001 /* the gateway stops; or the client fell silent */
#define GW_WS_CLOSE_POLICY 1008     /* slow consumer; too many sockets for the token */
#define GW_WS_CLOSE_TRY_LATER 1013  /* this gateway holds as many sockets as it may */

struct gw_ws;

/* The most WebSockets one gateway process holds: CC_HTTP_MAX_CONN less an
 * eighth (at least 16), which stays for plain HTTP. */
int gw_ws_max(const struct cc_config *cfg);

/* Starts the hub thread and subscribes to the events. */
cc_status gw_ws_start(struct gw_ws **wp, struct gw_ctx *ctx, char *err, size_t errlen);
/* Closes every socket (1001 "server stopping") and stops the hub thread:
 * before the HTTP server stops (it must not hold upgraded sockets). Events
 * may still arrive until the bus is drained; they find no socket. */
void gw_ws_stop(struct gw_ws *w);
/* After the bus is drained. Accepts NULL. */
void gw_ws_free(struct gw_ws *w);

/* The route handler of GET /api/v1/ws (ws_upgrade.c): checks the
 * handshake, the Origin, the token and the limits, then answers 101 and
 * hands the socket to the hub. */
void gw_ws_upgrade(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r);

/* Why a new socket for this recipient would be refused now, or NULL when
 * it would not: "recipient" (its own limit), "full" (gw_ws_max()). A check
 * before the 101; the hand-over checks again, and closes a socket that got
 * past this one in a race (1008 / 1013). Any thread. */
const char *gw_ws_refusal(struct gw_ws *w, bool staff, const char *id);

/* The MHD upgrade callback (MHD_create_response_for_upgrade, cls = the
 * hub): hands the socket to the hub. con_cls is the request's gw_conn_tag,
 * its ident "s:<staff id>" or "v:<enquiry id>". */
void gw_ws_handover(void *cls, struct MHD_Connection *connection, void *con_cls,
                    const char *extra_in, size_t extra_in_size, MHD_socket sock,
                    struct MHD_UpgradeResponseHandle *urh);

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
 * code and reason (a string that lives as long as the process, at most 123
 * bytes), e.g. when their sessions are revoked (revoke.h); nothing more is
 * pushed to them: what was queued is dropped. Any thread: the hub sends the
 * close frame (after what the client has not read yet) and closes the
 * socket. */
#define GW_WS_CLOSE_REVOKED 4401 /* reason "session_revoked" */
void gw_ws_close_staff(struct gw_ws *w, const char *staff_id, uint16_t code, const char *reason);
/* Panel snapshots (panel.h). The hub calls wake(arg) (under its lock: it
 * must only signal) when staff panels are due to be read; set once, before
 * any socket opens. */
void gw_ws_on_panels_due(struct gw_ws *w, void (*wake)(void *arg), void *arg);
/* The staff ids whose panel is due, into a new array (*n; caller frees),
 * NULL when none. */
struct gw_ws_recipient *gw_ws_take_panels(struct gw_ws *w, size_t *n);
/* The snapshot of staff_id's panel (a pending.resync text), or NULL when it
 * could not be read: sent to each of their sockets waiting for one. */
void gw_ws_push_panel(struct gw_ws *w, const char *staff_id, const char *text);

#endif
