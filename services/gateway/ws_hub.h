/*
 * ws_hub: the hub's own types, shared by ws.c (the sockets and the hub
 * thread) and ws_push.c (events into the outboxes). Private to those two:
 * everything else uses ws.h. The threads and the lock are described there.
 */
#ifndef GW_WS_HUB_H
#define GW_WS_HUB_H
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <wslay/wslay.h>
#include "panel.h"
#include "ws.h"

struct msg {
    struct msg *next;
    size_t len;
    char text[];
};

/* A socket. Owned by the thread that builds it until the hand-over
 * (gw_ws_handover), then by the hub thread; the fields under "guarded by"
 * are also reached by bus threads, under the lock, as is the wslay
 * context's count of queued bytes (the hub calls wslay under the lock). */
struct conn {
    struct conn *next, *prev; /* every socket */
    struct conn *bnext;       /* the same bucket of the index */
    unsigned bucket;
    struct gw_ws *hub;
    MHD_socket sock;
    struct MHD_UpgradeResponseHandle *urh;
    wslay_event_context_ptr ws;
    bool staff;  /* else a visitor */
    char id[96]; /* staff id, or the visitor's enquiry id */
    char *extra; /* bytes MHD read past the handshake, consumed first */
    size_t extra_len, extra_off;
    int64_t last_rx_ms, last_ping_ms, last_hb_ms;
    /* guarded by hub->lock: */
    struct msg *out_head, *out_tail;
    size_t out_bytes;       /* text bytes in the outbox */
    uint16_t cut_code;      /* != 0: cut off, to close with this code and reason */
    const char *cut_reason; /* static */
    size_t cut_queued;      /* its unsent bytes when it was cut off (for the log) */
    bool dirty;             /* in hub->dirty: has something to write */
    struct conn *dnext;     /* the next one in hub->dirty */
    bool dead;              /* closed; freed at the end of the hub's batch */
    struct gw_panel panel;  /* a console's panel pushes (panel.h) */
};

struct gw_ws {
    struct gw_ctx *ctx;
    int epfd, evfd;
    pthread_t thread;
    /* immutable after start */
    int max_conn, per_staff, per_visitor, panel_ms;
    size_t queue_max;
    pthread_mutex_t lock; /* guards everything below */
    struct conn *conns;
    /* index of the sockets by recipient (staff id or a visitor's enquiry),
     * so that an event reaches its sockets without a scan of them all */
    struct conn *bucket[GW_WS_BUCKETS];
    struct conn *dirty; /* sockets with queued messages (or extra bytes) */
    struct conn *dead;  /* closed in this batch of events, to free after it */
    int nconn;
    bool panels_dirty; /* some console's panel may be due for a snapshot */
    struct gw_ws_recipient *due; /* panels to read, taken by gw_ws_take_panels */
    size_t ndue, capdue;
    void (*wake_panels)(void *arg);
    void *wake_arg;
    bool freed; /* a socket was freed since the last malloc_trim */
    int64_t last_trim_ms;
    bool stopping;
    bool started;
};

/* The index bucket of a recipient: FNV-1a of the kind and the id. */
unsigned gw_ws__bucket(bool staff, const char *id);

static inline bool gw_ws__is(const struct conn *c, bool staff, const char *id)
{
    return c->staff == staff && strcmp(c->id, id) == 0;
}

/* Sockets of the recipient here (cut off or not). Lock held. */
int gw_ws__count_locked(struct gw_ws *w, bool staff, const char *id);
/* Appends a copy of text[0..len) to c's outbox, or cuts c off when it would
 * hold more than CC_WS_QUEUE_MAX_BYTES unsent. True when c needs the hub
 * (then wake it after unlocking). Lock held. */
bool gw_ws__enqueue_locked(struct gw_ws *w, struct conn *c, const char *text, size_t len);
/* Wakes the hub thread (its eventfd). Any thread. */
void gw_ws__wake(struct gw_ws *w);
/* Subscribes the hub to the events it pushes (ws_push.c). */
cc_status gw_ws__subscribe(struct gw_ws *w);

#endif
