/* ws: WebSocket hub of the gateway. See ws.h for the protocol and threads. */
#include "ws.h"
#include "push.h"
#include "auth.h"
#include "cc_log.h"
#include "cc_pbjson.h"
#include "cc_time.h"
#include "enquiry.pb-c.h"
#include "errors.h"
#include "event.pb-c.h"
#include "presence.pb-c.h"
#include "visitor.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
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
#define MAX_MESSAGE (64 * 1024) /* what a client may send */
#define CLOSE_WAIT_MS 2000      /* for the client's answer to our close frame */

struct msg {
    struct msg *next;
    size_t len;
    char text[];
};

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
    size_t out_len;
    bool doomed;  /* outbox overflowed: close */

    uint16_t close_code; /* != 0: close with this code and reason (gw_ws_close_staff) */
    char close_reason[64];
    int64_t close_by_ms; /* != 0: our close frame is queued; gone by then at the latest */

    bool dirty;         /* in hub->dirty: has something to write */
    struct conn *dnext; /* the next one in hub->dirty */
    bool dead;          /* closed; freed at the end of the hub's batch */
};

struct gw_ws {
    struct gw_ctx *ctx;
    int epfd, evfd;
    pthread_t thread;
    pthread_mutex_t lock; /* guards the list, every outbox, nconn, stopping */
    struct conn *conns;
    /* index of the sockets by recipient (staff id or a visitor's enquiry),
     * so that an event reaches its sockets without a scan of them all */
    struct conn *bucket[GW_WS_BUCKETS];
    struct conn *dirty; /* sockets with queued messages (or extra bytes) */
    struct conn *dead;  /* closed in this batch of events, to free after it */
    int nconn;
    bool stopping;
    bool started;
};

/* The index bucket of a recipient: FNV-1a of the kind and the id. */
static unsigned bucket_of(bool staff, const char *id)
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

/* ---- handshake ---------------------------------------------------------- */

static void accept_key(char out[64], const char *key)
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[SHA_DIGEST_LENGTH];
    char buf[128];
    snprintf(buf, sizeof(buf), "%s%s", key, guid);
    SHA1((const unsigned char *)buf, strlen(buf), md);
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

static bool header_has(struct MHD_Connection *c, const char *name, const char *token)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    size_t n = strlen(token);
    for (const char *p = v; p != NULL && *p != '\0'; p++)
        if (strncasecmp(p, token, n) == 0)
            return true;
    return false;
}

static void on_upgraded(void *cls, struct MHD_Connection *connection, void *con_cls,
                        const char *extra_in, size_t extra_in_size, MHD_socket sock,
                        struct MHD_UpgradeResponseHandle *urh);

void gw_ws_upgrade(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    struct MHD_Connection *c = req->conn;
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    const char *version = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-WebSocket-Version");
    const char *token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    struct gw_request authreq = *req;
    struct MHD_Response *resp;
    char accept[64];

    if (!header_has(c, "Upgrade", "websocket") || !header_has(c, "Connection", "upgrade") ||
        key == NULL || strlen(key) > 64 || version == NULL || strcmp(version, "13") != 0) {
        gw_reply_error(r, 400, "invalid", "expected a WebSocket (version 13) handshake", NULL);
        return;
    }
    if (token == NULL)
        token = req->bearer;
    authreq.bearer = token;
    if (token != NULL && strncmp(token, "v-", 2) == 0) {
        /* a visitor: the queue checks the token against the enquiry */
        const char *eid = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "enquiry");
        Cc__EnquiryActor actor = CC__ENQUIRY_ACTOR__INIT;
        Cc__EnquiryRequest er = CC__ENQUIRY_REQUEST__INIT;
        ProtobufCMessage *out = NULL;
        Cc__EnquiryReply *rep;
        bool ok = false;
        if (eid == NULL || strlen(eid) != 36) {
            gw_reply_error(r, 400, "invalid", "a visitor names its enquiry", "enquiry");
            return;
        }
        actor.visitor_token = (char *)token;
        er.enquiry_id = (char *)eid;
        er.actor = &actor;
        if (!gw_ask(ctx, "queue", "cc.queue.get", &er.base, &cc__enquiry_reply__descriptor, &out,
                    r))
            return;
        rep = (Cc__EnquiryReply *)out;
        if (gw_error_reply(r, rep->error, "queue")) {
            /* r is the error: another enquiry's token is a 403 */
        } else if (rep->enquiry == NULL || strcmp(rep->enquiry->id, eid) != 0) {
            /* only the enquiry asked for opens the socket */
            gw_error_malformed(r, "queue", "cc.queue.get", "enquiry");
        } else {
            ok = true;
        }
        protobuf_c_message_free_unpacked(out, NULL);
        if (!ok)
            return;
        snprintf(req->tag->ident, sizeof(req->tag->ident), "v:%s", eid);
    } else {
        struct gw_staff who;
        if (!gw_auth_staff(ctx, &authreq, r, &who))
            return;
        snprintf(req->tag->ident, sizeof(req->tag->ident), "s:%s", who.id);
    }
    accept_key(accept, key);
    resp = MHD_create_response_for_upgrade(on_upgraded, ctx->ws);
    if (resp == NULL) {
        gw_reply_error(r, 500, "internal", "out of memory", NULL);
        return;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "Upgrade");
    MHD_add_response_header(resp, "Sec-WebSocket-Accept", accept);
    r->status = MHD_HTTP_SWITCHING_PROTOCOLS;
    r->response = resp;
}

/* ---- wslay callbacks (hub thread) ---------------------------------------- */

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

/* ---- connections ----------------------------------------------------------- */

static void heartbeat(struct gw_ws *w, struct conn *c)
{
    Cc__HeartbeatRequest h = CC__HEARTBEAT_REQUEST__INIT;
    h.staff_id = c->id;
    cc_bus_publish(w->ctx->bus, "cc.presence.heartbeat", &h.base);
    c->last_hb_ms = cc_mono_ms();
}

/*
 * MHD thread: a socket was upgraded. Ownership of a struct conn: the thread
 * that builds it here owns it until the one critical section below puts it
 * into the hub's list, index and epoll set; from that moment the hub thread
 * is its only owner (only the hub services, closes and frees a conn, see
 * close_locked/reap_locked), and this thread must not touch it again: once
 * the lock is released the hub may close and free it at any time (the
 * client may already have gone). Bus threads reach a conn only through the
 * index and only under the lock (enqueue_locked), which is why publishing
 * the conn into the index is the hand-over. The first heartbeat of a staff
 * console is sent by the hub (c->last_hb_ms == 0, see flush_dirty_locked).
 */
static void on_upgraded(void *cls, struct MHD_Connection *connection, void *con_cls,
                        const char *extra_in, size_t extra_in_size, MHD_socket sock,
                        struct MHD_UpgradeResponseHandle *urh)
{
    struct gw_ws *w = cls;
    const char *ident = ((struct gw_conn_tag *)con_cls)->ident;
    struct conn *c = calloc(1, sizeof(*c));
    struct epoll_event ev = {.events = EPOLLIN};
    uint64_t one = 1;
    ssize_t wr;
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
    fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK); /* the hub never blocks */
    pthread_mutex_lock(&w->lock);
    if (w->stopping || w->nconn >= GW_WS_MAX_CONN) {
        pthread_mutex_unlock(&w->lock);
        wslay_event_context_free(c->ws);
        goto fail;
    }
    ev.data.ptr = c;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, sock, &ev) != 0) {
        pthread_mutex_unlock(&w->lock);
        wslay_event_context_free(c->ws);
        goto fail;
    }
    /* the hand-over: from here on c belongs to the hub thread */
    c->next = w->conns;
    c->prev = NULL;
    if (w->conns != NULL)
        w->conns->prev = c;
    w->conns = c;
    c->bucket = bucket_of(c->staff, c->id);
    c->bnext = w->bucket[c->bucket];
    w->bucket[c->bucket] = c;
    w->nconn++;
    mark_dirty_locked(w, c); /* the hub reads the extra bytes and sends the first heartbeat */
    pthread_mutex_unlock(&w->lock);
    c = NULL; /* not ours any more */
    wr = write(w->evfd, &one, sizeof(one));
    (void)wr;
    return;
fail:
    if (c != NULL)
        free(c->extra);
    free(c);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
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
    wslay_event_context_free(c->ws);
    MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
    while (c->out_head != NULL) {
        struct msg *m = c->out_head;
        c->out_head = m->next;
        free(m);
    }
    free(c->extra);
    c->extra = NULL;
    c->dead = true;
    c->next = w->dead;
    w->dead = c;
}

static void reap_locked(struct gw_ws *w)
{
    while (w->dead != NULL) {
        struct conn *c = w->dead;
        w->dead = c->next;
        free(c);
    }
}

/* Hub thread, lock held: moves the outbox into wslay. */
static void flush_outbox_locked(struct conn *c)
{
    while (c->out_head != NULL) {
        struct msg *m = c->out_head;
        struct wslay_event_msg wm = {WSLAY_TEXT_FRAME, (const uint8_t *)m->text, m->len};
        c->out_head = m->next;
        c->out_len--;
        wslay_event_queue_msg(c->ws, &wm); /* copies the bytes */
        free(m);
    }
    c->out_tail = NULL;
}

/* Hub thread, lock held: reads/writes what the socket allows; false = close it. */
static bool service_locked(struct conn *c, uint32_t events)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

    if (c->doomed)
        return false;
    if (c->close_code != 0 && c->close_by_ms == 0) {
        /* revoked: nothing queued here is sent any more; the closing
         * handshake starts (our close frame; the socket goes when the
         * client answers with its own, or at close_by_ms: tick_locked) */
        wslay_event_queue_close(c->ws, c->close_code, (const uint8_t *)c->close_reason,
                                strlen(c->close_reason));
        c->close_by_ms = cc_mono_ms() + CLOSE_WAIT_MS;
    }
    if (c->close_code == 0)
        flush_outbox_locked(c);
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->extra_off < c->extra_len)
        if (wslay_event_recv(c->ws) != 0)
            return false;
    if (wslay_event_want_write(c->ws) && wslay_event_send(c->ws) != 0)
        return false;
    if (!wslay_event_want_read(c->ws) && !wslay_event_want_write(c->ws))
        return false; /* closed in both directions */
    if (wslay_event_want_write(c->ws))
        ev.events |= EPOLLOUT;
    epoll_ctl(c->hub->epfd, EPOLL_CTL_MOD, c->sock, &ev);
    return true;
}

static void tick_locked(struct gw_ws *w)
{
    int64_t now = cc_mono_ms();
    int64_t hb_every = (int64_t)w->ctx->cfg->heartbeat_timeout_s * 1000 / 3;
    struct conn *c = w->conns, *next;

    for (; c != NULL; c = next) {
        next = c->next;
        if (c->close_by_ms != 0 && now >= c->close_by_ms) {
            close_locked(w, c); /* closed by us; the client did not answer in time */
            continue;
        }
        if (now - c->last_rx_ms > DEAD_AFTER_MS) {
            cc_log(CC_LOG_INFO, "websocket silent, closing", "id", c->id, NULL);
            close_locked(w, c);
            continue;
        }
        if (now - c->last_ping_ms >= PING_EVERY_MS) {
            struct wslay_event_msg ping = {WSLAY_PING, NULL, 0};
            wslay_event_queue_msg(c->ws, &ping);
            c->last_ping_ms = now;
        }
        if (c->staff && c->close_code == 0 && now - c->last_hb_ms >= hb_every)
            heartbeat(w, c);
        if (!service_locked(c, 0))
            close_locked(w, c);
    }
}

/* Hub thread, lock held: services every socket on the dirty list: new
 * ones (handed over by on_upgraded: first heartbeat, extra bytes) and those
 * with queued messages. */
static void flush_dirty_locked(struct gw_ws *w)
{
    struct conn *k = w->dirty, *next;

    w->dirty = NULL;
    for (; k != NULL; k = next) {
        next = k->dnext;
        k->dirty = false;
        if (k->staff && k->last_hb_ms == 0)
            heartbeat(w, k); /* connecting proves the console is alive */
        if (!service_locked(k, 0))
            close_locked(w, k);
    }
}

static void *hub(void *arg)
{
    struct gw_ws *w = arg;
    struct epoll_event evs[64];
    int64_t next_tick = cc_mono_ms() + TICK_MS;

    for (;;) {
        int n = epoll_wait(w->epfd, evs, 64, TICK_MS);
        pthread_mutex_lock(&w->lock);
        if (w->stopping) {
            while (w->conns != NULL)
                close_locked(w, w->conns);
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
            if (!c->dead && !service_locked(c, evs[i].events))
                close_locked(w, c);
        }
        if (cc_mono_ms() >= next_tick) {
            tick_locked(w);
            next_tick = cc_mono_ms() + TICK_MS;
        }
        reap_locked(w);
        pthread_mutex_unlock(&w->lock);
    }
}

/* ---- events -> sockets (bus threads) ------------------------------------------ */

static bool connected_locked(struct gw_ws *w, bool staff, const char *id)
{
    for (struct conn *c = w->bucket[bucket_of(staff, id)]; c != NULL; c = c->bnext)
        if (c->staff == staff && strcmp(c->id, id) == 0)
            return true;
    return false;
}

/* Queues text to every socket of the recipient; true when one needs a write. */
static bool enqueue_locked(struct gw_ws *w, bool staff, const char *id, const char *text,
                           size_t len)
{
    bool queued = false;

    for (struct conn *c = w->bucket[bucket_of(staff, id)]; c != NULL; c = c->bnext) {
        struct msg *msg;
        if (c->staff != staff || strcmp(c->id, id) != 0 || c->doomed || c->close_code != 0)
            continue;
        if (c->out_len >= GW_WS_MAX_OUTBOX) {
            c->doomed = true; /* a reader this slow would only fall further behind */
            queued = true;
            mark_dirty_locked(w, c);
            continue;
        }
        msg = malloc(sizeof(*msg) + len + 1);
        if (msg == NULL)
            continue;
        msg->next = NULL;
        msg->len = len;
        memcpy(msg->text, text, len + 1);
        if (c->out_tail != NULL)
            c->out_tail->next = msg;
        else
            c->out_head = msg;
        c->out_tail = msg;
        c->out_len++;
        queued = true;
        mark_dirty_locked(w, c);
    }
    return queued;
}

/* The text of one push: the event as docs/api.md shows it, addressed. */
static char *push_text(const Cc__Event *ev, const struct gw_push *p, json_t *body)
{
    json_t *j = json_pack("{s:s,s:s,s:s,s:I}", "type", p->type, "staff_id", p->staff_id, "reason",
                          p->reason, "ts_ms", (json_int_t)ev->ts_ms);
    char *text;

    if (j == NULL)
        return NULL;
    json_object_update(j, body);
    if (!p->staff) { /* a visitor: only what is theirs (visitor.h) */
        json_t *v = gw_visitor_view(j);
        json_decref(j);
        if ((j = v) == NULL)
            return NULL;
    }
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

/* A fact (cc.evt.*) or a notification (cc.note.*): every push it causes to
 * a socket of this gateway (push.h). */
static void on_event(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                     void *arg)
{
    struct gw_ws *w = arg;
    Cc__Event *ev = (Cc__Event *)pb;
    struct gw_push *pushes = NULL;
    size_t n = 0, here = 0;
    json_t *body = NULL;
    bool queued = false;
    (void)bus;

    /* an event without what its kind must carry is dropped, never half pushed */
    if (ev->type[0] == '\0' ||
        (ev->body_case == CC__EVENT__BODY_ENQUIRY &&
         (ev->enquiry == NULL || ev->enquiry->id[0] == '\0')) ||
        (ev->body_case == CC__EVENT__BODY_PRESENCE && ev->presence == NULL)) {
        cc_log(CC_LOG_WARN, "incomplete event dropped", "subject", m->subject, "type", ev->type,
               NULL);
        return;
    }
    pushes = calloc(gw_push_max(ev), sizeof(*pushes));
    n = pushes != NULL ? gw_push_derive(ev, pushes) : 0;
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < n; i++) {
        /* keep only the recipients connected here */
        if (connected_locked(w, pushes[i].staff, pushes[i].to))
            pushes[here++] = pushes[i];
    }
    pthread_mutex_unlock(&w->lock);
    if (here == 0)
        goto out; /* nobody of this event on this gateway: no JSON to build */
    body = json_object();
    if (ev->body_case == CC__EVENT__BODY_ENQUIRY)
        json_object_set_new(body, "enquiry", cc_pbjson_from_message(&ev->enquiry->base));
    else if (ev->body_case == CC__EVENT__BODY_PRESENCE)
        json_object_set_new(body, "presence", cc_pbjson_from_message(&ev->presence->base));
    if (ev->message != NULL)
        json_object_set_new(body, "message", cc_pbjson_from_message(&ev->message->base));
    for (size_t i = 0; i < here; i++) {
        char *text = push_text(ev, &pushes[i], body);
        if (text == NULL)
            continue;
        pthread_mutex_lock(&w->lock);
        queued |= enqueue_locked(w, pushes[i].staff, pushes[i].to, text, strlen(text));
        pthread_mutex_unlock(&w->lock);
        free(text);
    }
    if (queued) {
        uint64_t one = 1;
        ssize_t wr = write(w->evfd, &one, sizeof(one));
        (void)wr;
    }
out:
    json_decref(body);
    free(pushes);
}

struct gw_ws_recipient *gw_ws_recipients(struct gw_ws *w, size_t *n)
{
    struct gw_ws_recipient *out;
    size_t k = 0;

    *n = 0;
    pthread_mutex_lock(&w->lock);
    out = w->nconn > 0 ? calloc((size_t)w->nconn, sizeof(*out)) : NULL;
    for (struct conn *c = w->conns; out != NULL && c != NULL && k < (size_t)w->nconn; c = c->next) {
        if (c->dead || c->doomed || c->close_code != 0)
            continue;
        out[k].staff = c->staff;
        snprintf(out[k].id, sizeof(out[k].id), "%s", c->id);
        k++;
    }
    pthread_mutex_unlock(&w->lock);
    *n = k;
    return out;
}

void gw_ws_push_text(struct gw_ws *w, bool staff, const char *id, const char *text)
{
    bool queued;

    pthread_mutex_lock(&w->lock);
    queued = enqueue_locked(w, staff, id, text, strlen(text));
    pthread_mutex_unlock(&w->lock);
    if (queued) {
        uint64_t one = 1;
        ssize_t wr = write(w->evfd, &one, sizeof(one));
        (void)wr;
    }
}

void gw_ws_close_staff(struct gw_ws *w, const char *staff_id, uint16_t code, const char *reason)
{
    bool found = false;

    pthread_mutex_lock(&w->lock);
    for (struct conn *c = w->bucket[bucket_of(true, staff_id)]; c != NULL; c = c->bnext) {
        if (!c->staff || strcmp(c->id, staff_id) != 0 || c->close_code != 0)
            continue;
        c->close_code = code;
        snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
        mark_dirty_locked(w, c); /* the hub closes it (service_locked) */
        found = true;
    }
    pthread_mutex_unlock(&w->lock);
    if (found) {
        uint64_t one = 1;
        ssize_t wr = write(w->evfd, &one, sizeof(one));
        (void)wr;
        cc_log(CC_LOG_INFO, "closing the sockets of a staff member", "staff_id", staff_id, "reason",
               reason, NULL);
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
    /* no queue group: every gateway replica pushes to its own sockets */
    st = cc_bus_subscribe_pb(ctx->bus, "cc.evt.enquiry.>", NULL, &cc__event__descriptor, on_event,
                             w);
    if (st == CC_OK)
        st = cc_bus_subscribe_pb(ctx->bus, "cc.evt.presence.>", NULL, &cc__event__descriptor,
                                 on_event, w);
    if (st == CC_OK) /* notifications: pushed, never stored */
        st = cc_bus_subscribe_pb(ctx->bus, "cc.note.>", NULL, &cc__event__descriptor, on_event,
                                 w);
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
        uint64_t one = 1;
        ssize_t wr;
        pthread_mutex_lock(&w->lock);
        w->stopping = true;
        pthread_mutex_unlock(&w->lock);
        wr = write(w->evfd, &one, sizeof(one));
        (void)wr;
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
    pthread_mutex_destroy(&w->lock);
    free(w);
}
