/* ws: WebSocket hub of the gateway: the sockets, their output and their
 * closing, the hub thread. See ws.h for the protocol, limits and threads;
 * ws_push.c puts events into the outboxes. */
#include "ws.h"
#include "cc_log.h"
#include "cc_time.h"
#include "presence.pb-c.h"
#include "ws_hub.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wslay/wslay.h>

#define PING_EVERY_MS 15000
#define DEAD_AFTER_MS (3 * PING_EVERY_MS)
#define TICK_MS 1000
#define TRIM_EVERY_MS 1000
#define MAX_MESSAGE (64 * 1024) /* what a client may send */
#define DRAIN_MAX (256 * 1024)  /* unread input dropped before a close (else the kernel sends RST) */

int gw_ws_max(const struct cc_config *cfg)
{
    int keep = cfg->http_max_conn / 8;
    return cfg->http_max_conn - (keep > 16 ? keep : 16);
}

unsigned gw_ws__bucket(bool staff, const char *id)
{
    uint32_t h = 2166136261u ^ (staff ? 's' : 'v');
    h *= 16777619u;
    for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h % GW_WS_BUCKETS;
}

static void mark_dirty_locked(struct gw_ws *w, struct conn *c)
{
    if (!c->dirty) {
        c->dirty = true;
        c->dnext = w->dirty;
        w->dirty = c;
    }
}

void gw_ws__wake(struct gw_ws *w)
{
    uint64_t one = 1;
    ssize_t wr = write(w->evfd, &one, sizeof(one));
    (void)wr;
}

static const char *kind_of(const struct conn *c)
{
    return c->staff ? "staff" : "visitor";
}

/* ---- wslay callbacks (hub thread; the MHD thread for a refused socket) ------ */

static ssize_t recv_cb(wslay_event_context_ptr ws, uint8_t *buf, size_t len, int flags, void *user)
{
    struct conn *c = user;
    ssize_t n;
    (void)flags;

    if (c->extra_off < c->extra_len) {
        size_t k = c->extra_len - c->extra_off < len ? c->extra_len - c->extra_off : len;
        memcpy(buf, c->extra + c->extra_off, k);
        c->extra_off += k;
        return (ssize_t)k;
    }
    while ((n = recv(c->sock, buf, len, 0)) < 0 && errno == EINTR)
        ;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        wslay_event_set_error(ws, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (n <= 0) {
        wslay_event_set_error(ws, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    c->last_rx_ms = cc_mono_ms();
    return n;
}

static ssize_t send_cb(wslay_event_context_ptr ws, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    struct conn *c = user;
    ssize_t n;
    (void)flags;

    /* with TCP_NOTSENT_LOWAT the kernel refuses more once GW_WS_WRITE_AHEAD
     * bytes wait unsent (EAGAIN), and wakes us when they drop below it */
    while ((n = send(c->sock, data, len, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    if (n < 0) {
        wslay_event_set_error(ws, errno == EAGAIN || errno == EWOULDBLOCK
                                      ? WSLAY_ERR_WOULDBLOCK
                                      : WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return n;
}

static int genmask_cb(wslay_event_context_ptr ws, uint8_t *buf, size_t len, void *user)
{
    (void)ws;
    (void)user;
    return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

static void on_msg(wslay_event_context_ptr ws, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user)
{
    (void)ws;
    (void)arg;
    ((struct conn *)user)->last_rx_ms = cc_mono_ms(); /* text, pong or close: alive */
}

static const struct wslay_event_callbacks callbacks = {
    .recv_callback = recv_cb,
    .send_callback = send_cb,
    .genmask_callback = genmask_cb,
    .on_msg_recv_callback = on_msg,
};

/* ---- closing ---------------------------------------------------------------- */

/* Reads and drops what the client sent and nobody will read: closing a
 * socket with unread input makes the kernel answer RST, which would throw
 * away the close frame and what it still had to deliver. Bounded. */
static void drain(struct conn *c)
{
    char buf[4096];
    size_t total = 0;
    ssize_t n;

    while (total < DRAIN_MAX && (n = recv(c->sock, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
        total += (size_t)n;
}

static void free_outbox_locked(struct conn *c)
{
    while (c->out_head != NULL) {
        struct msg *m = c->out_head;
        c->out_head = m->next;
        free(m);
    }
    c->out_tail = NULL;
    c->out_bytes = 0;
}

/* Queues the close frame and writes what the socket takes: the rest of a
 * frame already begun, then the close. The write-ahead limit is lifted
 * for it: the socket's buffer (GW_WS_SNDBUF) has room beyond the
 * GW_WS_WRITE_AHEAD bytes that may wait unsent, so even a client that
 * stopped reading gets the close frame, after what it has not read yet.
 * The caller closes the socket after this. */
static void send_close(struct conn *c, uint16_t code, const char *reason)
{
    int unlimited = INT_MAX;

    setsockopt(c->sock, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &unlimited, sizeof(unlimited));
    if (wslay_event_queue_close(c->ws, code, (const uint8_t *)reason, strlen(reason)) == 0)
        (void)wslay_event_send(c->ws);
}

/* Hub thread, with the lock held: unlinks and closes c; its memory stays
 * until reap_locked(), so that later events of the same batch can see it
 * is dead. */
static void close_locked(struct gw_ws *w, struct conn *c)
{
    if (c->dirty) {
        struct conn **d = &w->dirty;
        while (*d != NULL && *d != c)
            d = &(*d)->dnext;
        if (*d == c)
            *d = c->dnext;
        c->dirty = false;
    }
    struct conn **p = &w->bucket[c->bucket];
    while (*p != NULL && *p != c)
        p = &(*p)->bnext;
    if (*p == c)
        *p = c->bnext;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    w->nconn--;
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->sock, NULL);
    drain(c);
    wslay_event_context_free(c->ws);
    MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
    free_outbox_locked(c);
    free(c->extra);
    c->extra = NULL;
    c->dead = true;
    c->next = w->dead;
    w->dead = c;
    w->freed = true;
}

/* Hub thread, lock held: the server closes c, saying why (docs/api.md). */
static void close_with_locked(struct gw_ws *w, struct conn *c, uint16_t code, const char *reason)
{
    char codes[8], queued[24];

    snprintf(codes, sizeof(codes), "%u", (unsigned)code);
    snprintf(queued, sizeof(queued), "%zu", c->cut_queued);
    /* a slow consumer is worth a warning; every socket at a stop is not */
    cc_log(code == GW_WS_CLOSE_POLICY ? CC_LOG_WARN : w->stopping ? CC_LOG_DEBUG : CC_LOG_INFO,
           "websocket closed by the server", "kind", kind_of(c), "id", c->id, "code", codes,
           "reason", reason, "queued_bytes", queued, NULL);
    free_outbox_locked(c);
    send_close(c, code, reason);
    close_locked(w, c);
}

static void reap_locked(struct gw_ws *w)
{
    while (w->dead != NULL) {
        struct conn *c = w->dead;
        w->dead = c->next;
        free(c);
    }
}

/* ---- output ------------------------------------------------------------------ */

/* Unsent bytes of c: its outbox and the messages wslay holds. Lock held. */
static size_t queued_locked(struct conn *c)
{
    return c->out_bytes + wslay_event_get_queued_msg_length(c->ws);
}

/* Lock held: marks c to be cut off; the hub closes it with the reason. Its
 * outbox is freed at once. */
static void cut_locked(struct gw_ws *w, struct conn *c, uint16_t code, const char *reason)
{
    if (c->cut_code != 0)
        return;
    c->cut_code = code;
    c->cut_reason = reason;
    c->cut_queued = queued_locked(c);
    free_outbox_locked(c);
    mark_dirty_locked(w, c);
}

void gw_ws_close_staff(struct gw_ws *w, const char *staff_id, uint16_t code, const char *reason)
{
    bool found = false;

    pthread_mutex_lock(&w->lock);
    for (struct conn *c = w->bucket[gw_ws__bucket(true, staff_id)]; c != NULL; c = c->bnext) {
        if (!gw_ws__is(c, true, staff_id) || c->cut_code != 0)
            continue;
        cut_locked(w, c, code, reason); /* the hub sends the close frame and closes it */
        found = true;
    }
    pthread_mutex_unlock(&w->lock);
    if (found) {
        gw_ws__wake(w);
        cc_log(CC_LOG_INFO, "closing the sockets of a staff member", "staff_id", staff_id, "reason",
               reason, NULL);
    }
}

bool gw_ws__enqueue_locked(struct gw_ws *w, struct conn *c, const char *text, size_t len)
{
    struct msg *m;

    if (c->cut_code != 0)
        return false;
    if (queued_locked(c) + len > w->queue_max) {
        cut_locked(w, c, GW_WS_CLOSE_POLICY, "slow consumer");
        return true;
    }
    m = malloc(sizeof(*m) + len + 1);
    if (m == NULL) {
        cut_locked(w, c, GW_WS_CLOSE_TRY_LATER, "out of memory");
        return true;
    }
    m->next = NULL;
    m->len = len;
    memcpy(m->text, text, len + 1);
    if (c->out_tail != NULL)
        c->out_tail->next = m;
    else
        c->out_head = m;
    c->out_tail = m;
    c->out_bytes += len;
    mark_dirty_locked(w, c);
    return true;
}

/* Hub thread, lock held: writes what the socket takes, handing wslay one
 * outbox message at a time (each once the one before is sent), so that
 * wslay never holds more than one message and a cut-off socket's backlog
 * is in the outbox, freed at once. False: the socket failed. */
static bool pump_locked(struct conn *c)
{
    for (;;) {
        struct msg *m;
        struct wslay_event_msg wm;

        if (wslay_event_want_write(c->ws) && wslay_event_send(c->ws) != 0)
            return false;
        if (c->out_head == NULL || wslay_event_get_queued_msg_count(c->ws) > 0)
            return true;
        m = c->out_head;
        c->out_head = m->next;
        if (c->out_head == NULL)
            c->out_tail = NULL;
        c->out_bytes -= m->len;
        wm = (struct wslay_event_msg){WSLAY_TEXT_FRAME, (const uint8_t *)m->text, m->len};
        (void)wslay_event_queue_msg(c->ws, &wm); /* copies; refused once a close is queued */
        free(m);
    }
}

/* Hub thread, lock held: reads and writes what the socket allows, and
 * closes c when it is cut off, failed or closed in both directions. */
static void service_locked(struct gw_ws *w, struct conn *c, uint32_t events)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

    if (c->cut_code != 0) {
        close_with_locked(w, c, c->cut_code, c->cut_reason);
        return;
    }
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->extra_off < c->extra_len) {
        if (wslay_event_recv(c->ws) != 0) {
            close_locked(w, c); /* the client went */
            return;
        }
        if (queued_locked(c) > w->queue_max) { /* pongs to pings it never reads */
            c->cut_queued = queued_locked(c);
            close_with_locked(w, c, GW_WS_CLOSE_POLICY, "slow consumer");
            return;
        }
    }
    if (!pump_locked(c) || (!wslay_event_want_read(c->ws) && !wslay_event_want_write(c->ws))) {
        close_locked(w, c); /* failed, or closed in both directions */
        return;
    }
    if (wslay_event_want_write(c->ws))
        ev.events |= EPOLLOUT;
    epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->sock, &ev);
}

/* ---- hand-over (MHD thread) ------------------------------------------------ */

static void heartbeat(struct gw_ws *w, struct conn *c)
{
    Cc__HeartbeatRequest h = CC__HEARTBEAT_REQUEST__INIT;
    h.staff_id = c->id;
    cc_bus_publish(w->ctx->bus, "cc.presence.heartbeat", &h.base);
    c->last_hb_ms = cc_mono_ms();
}

int gw_ws__count_locked(struct gw_ws *w, bool staff, const char *id)
{
    int n = 0;
    for (struct conn *c = w->bucket[gw_ws__bucket(staff, id)]; c != NULL; c = c->bnext)
        n += gw_ws__is(c, staff, id);
    return n;
}

static const char *refusal_locked(struct gw_ws *w, bool staff, const char *id)
{
    if (gw_ws__count_locked(w, staff, id) >= (staff ? w->per_staff : w->per_visitor))
        return "recipient";
    if (w->nconn >= w->max_conn)
        return "full";
    return NULL;
}

const char *gw_ws_refusal(struct gw_ws *w, bool staff, const char *id)
{
    const char *why;

    pthread_mutex_lock(&w->lock);
    why = refusal_locked(w, staff, id);
    pthread_mutex_unlock(&w->lock);
    return why;
}

/* A socket never handed to the hub: its close frame says why (a fresh
 * socket has room for it), then it is closed and freed. MHD thread. */
static void refuse(struct conn *c, uint16_t code, const char *reason)
{
    char codes[8];

    snprintf(codes, sizeof(codes), "%u", (unsigned)code);
    cc_log(CC_LOG_INFO, "websocket refused", "kind", kind_of(c), "id", c->id, "code", codes,
           "reason", reason, NULL);
    send_close(c, code, reason);
    drain(c);
    wslay_event_context_free(c->ws);
    MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
    free(c->extra);
    free(c);
}

/* A kernel send buffer of a known size, of which at most GW_WS_WRITE_AHEAD
 * bytes may wait unsent (TCP_NOTSENT_LOWAT): the rest is room for the close
 * frame (send_close); and the hub is woken only once fewer wait. */
static void tune_socket(MHD_socket sock)
{
    int sndbuf = GW_WS_SNDBUF, lowat = GW_WS_WRITE_AHEAD;

    setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    setsockopt(sock, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
    fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK); /* the hub never blocks */
}

/*
 * MHD thread: a socket was upgraded. Ownership of a struct conn: the thread
 * that builds it here owns it until the one critical section below puts it
 * into the hub's list, index and epoll set; from that moment the hub thread
 * is its only owner (only the hub services, closes and frees a conn, see
 * close_locked/reap_locked), and this thread must not touch it again: once
 * the lock is released the hub may close and free it at any time (the
 * client may already have gone). Bus threads reach a conn only through the
 * index and only under the lock (gw_ws__enqueue_locked), which is why
 * publishing the conn into the index is the hand-over. The first heartbeat
 * of a staff console is sent by the hub (c->last_hb_ms == 0, see
 * flush_dirty_locked). The limits are checked again here, under the lock
 * (the handshake's check raced with other handshakes): a socket past them
 * is refused with a close frame.
 */
void gw_ws_handover(void *cls, struct MHD_Connection *connection, void *con_cls,
                    const char *extra_in, size_t extra_in_size, MHD_socket sock,
                    struct MHD_UpgradeResponseHandle *urh)
{
    struct gw_ws *w = cls;
    const char *ident = ((struct gw_conn_tag *)con_cls)->ident;
    struct conn *c = calloc(1, sizeof(*c));
    struct epoll_event ev = {.events = EPOLLIN};
    const char *why;
    (void)connection;

    if (c == NULL || (ident[0] != 's' && ident[0] != 'v'))
        goto fail;
    c->hub = w;
    c->sock = sock;
    c->urh = urh;
    c->staff = ident[0] == 's';
    snprintf(c->id, sizeof(c->id), "%s", ident + 2);
    c->last_rx_ms = c->last_ping_ms = cc_mono_ms();
    c->last_hb_ms = 0; /* none sent yet: the hub sends the first at once */
    if (extra_in_size > 0) {
        c->extra = malloc(extra_in_size);
        if (c->extra == NULL)
            goto fail;
        memcpy(c->extra, extra_in, extra_in_size);
        c->extra_len = extra_in_size;
    }
    if (wslay_event_context_server_init(&c->ws, &callbacks, c) != 0)
        goto fail;
    wslay_event_config_set_max_recv_msg_length(c->ws, MAX_MESSAGE);
    tune_socket(sock);
    pthread_mutex_lock(&w->lock);
    why = w->stopping ? "stopping" : refusal_locked(w, c->staff, c->id);
    ev.data.ptr = c;
    if (why == NULL && epoll_ctl(w->epfd, EPOLL_CTL_ADD, sock, &ev) != 0)
        why = "epoll";
    if (why != NULL) {
        pthread_mutex_unlock(&w->lock);
        if (strcmp(why, "recipient") == 0)
            refuse(c, GW_WS_CLOSE_POLICY, "too many sockets for this token");
        else if (strcmp(why, "stopping") == 0)
            refuse(c, GW_WS_CLOSE_GOING_AWAY, "server stopping");
        else
            refuse(c, GW_WS_CLOSE_TRY_LATER, "too many sockets on this gateway");
        return;
    }
    /* the hand-over: from here on c belongs to the hub thread */
    c->next = w->conns;
    c->prev = NULL;
    if (w->conns != NULL)
        w->conns->prev = c;
    w->conns = c;
    c->bucket = gw_ws__bucket(c->staff, c->id);
    c->bnext = w->bucket[c->bucket];
    w->bucket[c->bucket] = c;
    w->nconn++;
    mark_dirty_locked(w, c); /* the hub reads the extra bytes and sends the first heartbeat */
    pthread_mutex_unlock(&w->lock);
    c = NULL; /* not ours any more */
    gw_ws__wake(w);
    return;
fail:
    if (c != NULL)
        free(c->extra);
    free(c);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

/* ---- the hub thread ------------------------------------------------------------ */

static void tick_locked(struct gw_ws *w)
{
    int64_t now = cc_mono_ms();
    int64_t hb_every = (int64_t)w->ctx->cfg->heartbeat_timeout_s * 1000 / 3;
    struct conn *c = w->conns, *next;

    for (; c != NULL; c = next) {
        next = c->next;
        if (now - c->last_rx_ms > DEAD_AFTER_MS) {
            close_with_locked(w, c, GW_WS_CLOSE_GOING_AWAY, "silent: no pong in 45 s");
            continue;
        }
        if (now - c->last_ping_ms >= PING_EVERY_MS) {
            struct wslay_event_msg ping = {WSLAY_PING, NULL, 0};
            wslay_event_queue_msg(c->ws, &ping);
            c->last_ping_ms = now;
        }
        if (c->staff && now - c->last_hb_ms >= hb_every)
            heartbeat(w, c);
        service_locked(w, c, 0);
    }
}

/* Hub thread, lock held: the consoles whose panel snapshot is due go on
 * the list resync reads (panel.h); resync is woken when there are some. */
static void panels_locked(struct gw_ws *w)
{
    int64_t now = cc_mono_ms();
    bool pending = false, added = false;

    for (struct conn *c = w->conns; c != NULL; c = c->next) {
        if (!c->staff || c->panel.state == GW_PANEL_LIVE)
            continue;
        pending = true;
        if (!gw_panel_due(&c->panel, now, w->panel_ms))
            continue;
        if (w->ndue == w->capdue) {
            size_t cap = w->capdue > 0 ? 2 * w->capdue : 16;
            struct gw_ws_recipient *d = realloc(w->due, cap * sizeof(*d));
            if (d == NULL) {
                c->panel.state = GW_PANEL_DIRTY; /* try again later */
                continue;
            }
            w->due = d;
            w->capdue = cap;
        }
        w->due[w->ndue].staff = true;
        snprintf(w->due[w->ndue].id, sizeof(w->due[w->ndue].id), "%s", c->id);
        w->ndue++;
        added = true;
    }
    w->panels_dirty = pending;
    if (added && w->wake_panels != NULL)
        w->wake_panels(w->wake_arg);
}

/* Hub thread, lock held: services every socket on the dirty list: new
 * ones (handed over by gw_ws_handover: first heartbeat, extra bytes), those
 * with queued messages and those cut off. */
static void flush_dirty_locked(struct gw_ws *w)
{
    struct conn *k = w->dirty, *next;

    w->dirty = NULL;
    for (; k != NULL; k = next) {
        next = k->dnext;
        k->dirty = false;
        if (k->staff && k->last_hb_ms == 0 && k->cut_code == 0)
            heartbeat(w, k); /* connecting proves the console is alive */
        service_locked(w, k, 0);
    }
}

static int wait_ms(const struct gw_ws *w, int64_t next_tick)
{
    int64_t now = cc_mono_ms(), until = next_tick;
    int64_t panel_step = w->panel_ms / 4 > 10 ? w->panel_ms / 4 : 10;

    if (w->panels_dirty && now + panel_step < until)
        until = now + panel_step;
    return until > now ? (int)(until - now) : 0;
}

static void *hub(void *arg)
{
    struct gw_ws *w = arg;
    struct epoll_event evs[64];
    int64_t next_tick = cc_mono_ms() + TICK_MS;
    int timeout = TICK_MS;

    for (;;) {
        int n = epoll_wait(w->epfd, evs, 64, timeout);
        bool trim = false;

        pthread_mutex_lock(&w->lock);
        if (w->stopping) {
            while (w->conns != NULL)
                close_with_locked(w, w->conns, GW_WS_CLOSE_GOING_AWAY, "server stopping");
            reap_locked(w);
            pthread_mutex_unlock(&w->lock);
            return NULL;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c == NULL) { /* the eventfd: outboxes to flush */
                uint64_t v;
                ssize_t rd = read(w->evfd, &v, sizeof(v));
                (void)rd;
                flush_dirty_locked(w);
                continue;
            }
            if (!c->dead)
                service_locked(w, c, evs[i].events);
        }
        if (w->panels_dirty)
            panels_locked(w);
        if (cc_mono_ms() >= next_tick) {
            tick_locked(w);
            next_tick = cc_mono_ms() + TICK_MS;
        }
        reap_locked(w);
        if (w->freed && cc_mono_ms() - w->last_trim_ms >= TRIM_EVERY_MS) {
            w->freed = false;
            w->last_trim_ms = cc_mono_ms();
            trim = true;
        }
        timeout = wait_ms(w, next_tick);
        pthread_mutex_unlock(&w->lock);
        if (trim) /* what closed sockets held goes back to the system */
            malloc_trim(0);
    }
}

/* ---- life cycle ------------------------------------------------------------------ */

cc_status gw_ws_start(struct gw_ws **wp, struct gw_ctx *ctx, char *err, size_t errlen)
{
    struct gw_ws *w = calloc(1, sizeof(*w));
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    cc_status st;

    *wp = NULL;
    if (w == NULL)
        return CC_ERR_NOMEM;
    w->ctx = ctx;
    w->max_conn = gw_ws_max(ctx->cfg);
    w->per_staff = ctx->cfg->ws_per_staff_max;
    w->per_visitor = ctx->cfg->ws_per_visitor_max;
    w->queue_max = (size_t)ctx->cfg->ws_queue_max_bytes;
    w->panel_ms = ctx->cfg->ws_panel_ms;
    w->epfd = w->evfd = -1;
    pthread_mutex_init(&w->lock, NULL);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->epfd < 0 || w->evfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) != 0) {
        snprintf(err, errlen, "websocket hub: %s", strerror(errno));
        gw_ws_free(w);
        return CC_ERR_IO;
    }
    if (pthread_create(&w->thread, NULL, hub, w) != 0) {
        snprintf(err, errlen, "websocket hub: cannot start its thread");
        gw_ws_free(w);
        return CC_ERR_IO;
    }
    w->started = true;
    st = gw_ws__subscribe(w);
    if (st != CC_OK) {
        snprintf(err, errlen, "websocket hub: cannot subscribe to events");
        gw_ws_free(w); /* nothing was delivered yet: nothing to drain */
        return st;
    }
    *wp = w;
    return CC_OK;
}

int gw_ws_count(struct gw_ws *w)
{
    int n;
    pthread_mutex_lock(&w->lock);
    n = w->nconn;
    pthread_mutex_unlock(&w->lock);
    return n;
}

void gw_ws_stop(struct gw_ws *w)
{
    if (w == NULL)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stopping = true;
        pthread_mutex_unlock(&w->lock);
        gw_ws__wake(w);
        pthread_join(w->thread, NULL);
        w->started = false;
    }
}

void gw_ws_free(struct gw_ws *w)
{
    if (w == NULL)
        return;
    gw_ws_stop(w);
    if (w->epfd >= 0)
        close(w->epfd);
    if (w->evfd >= 0)
        close(w->evfd);
    free(w->due);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
