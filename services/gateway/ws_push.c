/* ws_push: events into the hub's outboxes (bus threads), the recipients
 * connected here, and the panel snapshots the hub coalesced (resync
 * thread). See ws.h; the hub's types are in ws_hub.h. */
#include "cc_log.h"
#include "cc_pbjson.h"
#include "cc_time.h"
#include "event.pb-c.h"
#include "push.h"
#include "visitor.h"
#include "ws_hub.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

/* Whether push p has a socket here that would send it now: one of the
 * recipient's, and for a panel push one whose panel goes one by one. A
 * panel push no socket takes is dropped before any JSON is built: under a
 * burst a snapshot stands for it (one being read is followed by another). */
static bool wanted_locked(struct gw_ws *w, const struct gw_push *p)
{
    bool live = false;

    if (!p->panel)
        return gw_ws__count_locked(w, p->staff, p->to) > 0;
    for (struct conn *c = w->bucket[gw_ws__bucket(true, p->to)]; c != NULL; c = c->bnext) {
        if (!gw_ws__is(c, true, p->to) || c->cut_code != 0)
            continue;
        if (c->panel.state == GW_PANEL_LIVE)
            live = true;
        else
            (void)gw_panel_push(&c->panel, cc_mono_ms(), w->panel_ms); /* only notes the change */
    }
    return live;
}

/* Queues text to every socket of the recipient (a panel push only where the
 * console's panel takes it one by one: panel.h); true when one needs the hub. */
static bool enqueue_locked(struct gw_ws *w, bool staff, const char *id, bool panel,
                           const char *text, size_t len)
{
    bool queued = false;
    int64_t now = panel ? cc_mono_ms() : 0;

    for (struct conn *c = w->bucket[gw_ws__bucket(staff, id)]; c != NULL; c = c->bnext) {
        if (!gw_ws__is(c, staff, id) || c->cut_code != 0)
            continue;
        if (panel && !gw_panel_push(&c->panel, now, w->panel_ms)) {
            w->panels_dirty = true; /* a snapshot stands for it */
            continue;
        }
        queued |= gw_ws__enqueue_locked(w, c, text, len);
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
        /* keep only the recipients connected here (and taking it now) */
        if (wanted_locked(w, &pushes[i]))
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
        queued |= enqueue_locked(w, pushes[i].staff, pushes[i].to, pushes[i].panel, text,
                                 strlen(text));
        pthread_mutex_unlock(&w->lock);
        free(text);
    }
    if (queued)
        gw_ws__wake(w);
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
        if (c->dead || c->cut_code != 0)
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
    queued = enqueue_locked(w, staff, id, false, text, strlen(text));
    pthread_mutex_unlock(&w->lock);
    if (queued)
        gw_ws__wake(w);
}

/* ---- panel snapshots (resync thread) ------------------------------------------ */

void gw_ws_on_panels_due(struct gw_ws *w, void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&w->lock);
    w->wake_panels = fn;
    w->wake_arg = arg;
    pthread_mutex_unlock(&w->lock);
}

struct gw_ws_recipient *gw_ws_take_panels(struct gw_ws *w, size_t *n)
{
    struct gw_ws_recipient *out;

    pthread_mutex_lock(&w->lock);
    out = w->due;
    *n = w->ndue;
    w->due = NULL;
    w->ndue = w->capdue = 0;
    pthread_mutex_unlock(&w->lock);
    return out;
}

void gw_ws_push_panel(struct gw_ws *w, const char *staff_id, const char *text)
{
    bool queued = false;
    int64_t now = cc_mono_ms();
    size_t len = text != NULL ? strlen(text) : 0;

    pthread_mutex_lock(&w->lock);
    for (struct conn *c = w->bucket[gw_ws__bucket(true, staff_id)]; c != NULL; c = c->bnext) {
        if (!gw_ws__is(c, true, staff_id))
            continue;
        if (gw_panel_fetched(&c->panel, text != NULL, now))
            queued |= gw_ws__enqueue_locked(w, c, text, len);
        if (c->panel.state != GW_PANEL_LIVE)
            w->panels_dirty = true; /* read again later */
    }
    pthread_mutex_unlock(&w->lock);
    if (queued)
        gw_ws__wake(w);
}

cc_status gw_ws__subscribe(struct gw_ws *w)
{
    struct cc_bus *bus = w->ctx->bus;
    cc_status st;

    /* no queue group: every gateway replica pushes to its own sockets */
    st = cc_bus_subscribe_pb(bus, "cc.evt.enquiry.>", NULL, &cc__event__descriptor, on_event, w);
    if (st == CC_OK)
        st = cc_bus_subscribe_pb(bus, "cc.evt.presence.>", NULL, &cc__event__descriptor, on_event,
                                 w);
    if (st == CC_OK) /* notifications: pushed, never stored */
        st = cc_bus_subscribe_pb(bus, "cc.note.>", NULL, &cc__event__descriptor, on_event, w);
    return st;
}
