/* resync: panels and enquiries pushed again after a NATS reconnect. See resync.h. */
#include "resync.h"
#include "cc_error.h"
#include "cc_log.h"
#include "cc_pbjson.h"
#include "enquiry.pb-c.h"
#include "presence.pb-c.h"
#include "revoke.h"
#include "visitor.h"
#include "ws.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gw_resync {
    struct gw_ctx *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool kicked, stopping; /* guarded by lock */
};

static void kick(void *arg)
{
    struct gw_resync *r = arg;
    pthread_mutex_lock(&r->lock);
    r->kicked = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
}

static void push_json(struct gw_resync *r, bool staff, const char *id, json_t *j)
{
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text != NULL)
        gw_ws_push_text(r->ctx->ws, staff, id, text);
    free(text);
    json_decref(j);
}

static void panel(struct gw_resync *r, const char *staff_id)
{
    Cc__PendingRequest p = CC__PENDING_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    Cc__PendingReply *rep;

    p.staff_id = (char *)staff_id;
    if (cc_bus_request(r->ctx->bus, "cc.queue.pending", &p.base, &cc__pending_reply__descriptor,
                       r->ctx->cfg->request_timeout_ms, &out) != CC_OK)
        return;
    rep = (Cc__PendingReply *)out;
    if (!cc_error_is_set(rep->error)) {
        json_t *j = cc_pbjson_from_message(out), *items = json_object_get(j, "items");
        push_json(r, true, staff_id,
                  json_pack("{s:s,s:s,s:O}", "type", "pending.resync", "staff_id", staff_id,
                            "pending", items != NULL ? items : json_array()));
        json_decref(j);
    }
    protobuf_c_message_free_unpacked(out, NULL);
}

static void enquiry(struct gw_resync *r, const char *enquiry_id)
{
    Cc__EnquiryRequest er = CC__ENQUIRY_REQUEST__INIT;
    Cc__EnquiryActor actor = CC__ENQUIRY_ACTOR__INIT;
    ProtobufCMessage *out = NULL;
    Cc__EnquiryReply *rep;

    /* the gateway reads it on behalf of the visitor whose socket it checked */
    actor.operator_ = true;
    er.enquiry_id = (char *)enquiry_id;
    er.actor = &actor;
    if (cc_bus_request(r->ctx->bus, "cc.queue.get", &er.base, &cc__enquiry_reply__descriptor,
                       r->ctx->cfg->request_timeout_ms, &out) != CC_OK)
        return;
    rep = (Cc__EnquiryReply *)out;
    if (!cc_error_is_set(rep->error) && rep->enquiry != NULL) {
        json_t *j = json_pack("{s:s,s:o}", "type", "enquiry.resync", "enquiry",
                              cc_pbjson_from_message(&rep->enquiry->base));
        push_json(r, false, enquiry_id, gw_visitor_view(j)); /* only what is theirs */
        json_decref(j);
    }
    protobuf_c_message_free_unpacked(out, NULL);
}

/* Whether the staff member's consoles here may stay: false only when
 * presence answered that they have no live session left (revoked, logged
 * out or expired while this gateway could not hear of it: revoke.h). */
static bool still_signed_in(struct gw_resync *r, const char *staff_id)
{
    Cc__SessionsRequest q = CC__SESSIONS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    Cc__SessionsReply *rep;
    bool in = true; /* no answer: not known to be revoked */

    q.staff_id = (char *)staff_id;
    if (cc_bus_request(r->ctx->bus, "cc.presence.sessions", &q.base,
                       &cc__sessions_reply__descriptor, r->ctx->cfg->request_timeout_ms,
                       &out) != CC_OK)
        return true;
    rep = (Cc__SessionsReply *)out;
    if (!cc_error_is_set(rep->error) && rep->live == 0)
        in = false;
    protobuf_c_message_free_unpacked(out, NULL);
    return in;
}

static int by_id(const void *a, const void *b)
{
    const struct gw_ws_recipient *x = a, *y = b;
    return x->staff != y->staff ? (x->staff ? -1 : 1) : strcmp(x->id, y->id);
}

static void once(struct gw_resync *r)
{
    size_t n = 0;
    struct gw_ws_recipient *to = gw_ws_recipients(r->ctx->ws, &n);
    char count[24];

    if (to == NULL)
        return;
    qsort(to, n, sizeof(*to), by_id); /* a recipient with several sockets: once */
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && by_id(&to[i - 1], &to[i]) == 0)
            continue;
        if (to[i].staff && !still_signed_in(r, to[i].id))
            gw_ws_close_staff(r->ctx->ws, to[i].id, GW_WS_CLOSE_REVOKED, GW_REVOKED_REASON);
        else if (to[i].staff)
            panel(r, to[i].id);
        else
            enquiry(r, to[i].id);
    }
    snprintf(count, sizeof(count), "%zu", n);
    cc_log(CC_LOG_INFO, "sockets resynced after a NATS reconnect", "sockets", count, NULL);
    free(to);
}

static void *run(void *arg)
{
    struct gw_resync *r = arg;

    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (!r->kicked && !r->stopping)
            pthread_cond_wait(&r->wake, &r->lock);
        if (r->stopping)
            break;
        r->kicked = false;
        pthread_mutex_unlock(&r->lock);
        once(r);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

cc_status gw_resync_start(struct gw_resync **rp, struct gw_ctx *ctx)
{
    struct gw_resync *r = calloc(1, sizeof(*r));

    *rp = NULL;
    if (r == NULL)
        return CC_ERR_NOMEM;
    r->ctx = ctx;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        pthread_cond_destroy(&r->wake);
        pthread_mutex_destroy(&r->lock);
        free(r);
        return CC_ERR_IO;
    }
    cc_bus_on_reconnect(ctx->bus, kick, r);
    *rp = r;
    return CC_OK;
}

void gw_resync_stop(struct gw_resync *r)
{
    if (r == NULL)
        return;
    cc_bus_on_reconnect(r->ctx->bus, NULL, NULL);
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
