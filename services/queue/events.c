/* events: outbox entries -> cc.Event; presence.changed -> reconcile. See events.h. */
#include "events.h"
#include "cc_events.h"
#include "cc_log.h"
#include "cc_time.h"
#include "codec.h"
#include "step.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- outbox entries -> events (relay thread) ------------------------------ */

/* What one built event holds until clear: touched by the relay thread only. */
struct scratch {
    Cc__Enquiry enquiry;
    json_t *snapshot, *offered, *withdrawn;
    char **offered_to, **withdrawn_from;
    Cc__ChatMessage *message;
};

/* A JSON array of strings as char* (borrowed from j); n = 0 for [] or {}. */
static bool strings(json_t *j, char ***out, size_t *n)
{
    size_t k = json_is_array(j) ? json_array_size(j) : 0;
    *n = 0;
    *out = NULL;
    if (j == NULL || (!json_is_array(j) && !json_is_object(j)))
        return false;
    if (k == 0)
        return true;
    *out = calloc(k, sizeof(char *));
    if (*out == NULL)
        return false;
    for (size_t i = 0; i < k; i++) {
        const char *s = json_string_value(json_array_get(j, i));
        if (s == NULL)
            return false;
        (*out)[(*n)++] = (char *)s;
    }
    return true;
}

static bool build(void *arg, const struct cc_outbox_entry *e, Cc__Event *ev)
{
    struct scratch *s = arg;
    size_t len, mlen;
    const char *snap = cc_outbox_get(e, "enquiry", &len);
    const char *off = cc_outbox_get(e, "offered", NULL), *wd = cc_outbox_get(e, "withdrawn", NULL);
    const char *msg = cc_outbox_get(e, "message", &mlen);

    memset(s, 0, sizeof(*s));
    if (snap == NULL || off == NULL || wd == NULL)
        return false;
    s->snapshot = json_loadb(snap, len, 0, NULL);
    s->offered = json_loads(off, 0, NULL);
    s->withdrawn = json_loads(wd, 0, NULL);
    if (!json_is_object(s->snapshot) || !strings(s->offered, &s->offered_to, &ev->n_offered_to) ||
        !strings(s->withdrawn, &s->withdrawn_from, &ev->n_withdrawn_from))
        return false;
    enquiry_from_json(&s->enquiry, s->snapshot);
    if (s->enquiry.id[0] == '\0')
        return false;
    ev->body_case = CC__EVENT__BODY_ENQUIRY;
    ev->enquiry = &s->enquiry;
    ev->offered_to = s->offered_to;
    ev->withdrawn_from = s->withdrawn_from;
    ev->staff_id = (char *)(cc_outbox_get(e, "staff", NULL) ?: "");
    ev->reason = (char *)(cc_outbox_get(e, "reason", NULL) ?: "");
    if (msg != NULL) {
        s->message = cc__chat_message__unpack(NULL, mlen, (const uint8_t *)msg);
        if (s->message == NULL)
            return false;
        ev->message = s->message;
    }
    return true;
}

static void clear(void *arg, Cc__Event *ev)
{
    struct scratch *s = arg;
    (void)ev;
    enquiry_clear(&s->enquiry);
    json_decref(s->snapshot);
    json_decref(s->offered);
    json_decref(s->withdrawn);
    free(s->offered_to);
    free(s->withdrawn_from);
    if (s->message != NULL)
        cc__chat_message__free_unpacked(s->message, NULL);
    memset(s, 0, sizeof(*s));
}

cc_status queue_events_builder(struct cc_outbox_builder *b, struct queue *q)
{
    (void)q;
    b->build = build;
    b->clear = clear;
    b->arg = calloc(1, sizeof(struct scratch));
    return b->arg != NULL ? CC_OK : CC_ERR_NOMEM;
}

void queue_events_builder_free(struct cc_outbox_builder *b)
{
    free(b->arg);
    b->arg = NULL;
}

/* ---- presence.changed -> reconcile (consumer thread) --------------------------- */

#define BATCH 64
#define FETCH_WAIT_MS 1000
#define RETRY_DELAY_MS 500

struct queue_presence {
    struct queue *q;
    natsSubscription *sub;
    pthread_t thread;
    atomic_bool stop;
};

static natsStatus subscribe(struct queue_presence *p, natsSubscription **sub, jsErrCode *jerr)
{
    jsSubOptions so;

    jsSubOptions_Init(&so);
    so.Stream = CC_EVENTS_STREAM;
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait = 10LL * 1000 * 1000 * 1000; /* ns */
    so.Config.MaxDeliver = -1;
    so.Config.MaxAckPending = 1024;
    /* from when the consumer is first made: older changes are reflected in
     * presence already, and each reconcile looks at the state as it is now */
    so.Config.DeliverPolicy = js_DeliverNew;
    return js_PullSubscribe(sub, cc_bus_js(p->q->bus), "cc.evt.presence.changed",
                            QUEUE_PRESENCE_DURABLE, NULL, &so, jerr);
}

static void handle(struct queue_presence *p, natsMsg *msg)
{
    Cc__Event *ev = cc__event__unpack(NULL, (size_t)natsMsg_GetDataLength(msg),
                                      (const uint8_t *)natsMsg_GetData(msg));
    redisReply *r = NULL;

    if (ev == NULL || ev->staff_id == NULL || ev->staff_id[0] == '\0') {
        cc_log(CC_LOG_WARN, "malformed presence event dropped", NULL);
        natsMsg_Term(msg, NULL);
    } else {
        const char *args[1] = {ev->staff_id};
        if (queue_step(p->q, Q_RECONCILE, NULL, 1, args, NULL, &r) == CC_OK)
            natsMsg_Ack(msg, NULL);
        else
            natsMsg_NakWithDelay(msg, RETRY_DELAY_MS, NULL);
    }
    freeReplyObject(r);
    if (ev != NULL)
        cc__event__free_unpacked(ev, NULL);
}

static void *run(void *arg)
{
    struct queue_presence *p = arg;

    while (!atomic_load(&p->stop)) {
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        natsStatus s = natsSubscription_Fetch(&list, p->sub, BATCH, FETCH_WAIT_MS, &jerr);

        if (s == NATS_TIMEOUT)
            continue;
        if (s != NATS_OK) {
            natsMsgList_Destroy(&list);
            if (atomic_load(&p->stop))
                break;
            cc_log(CC_LOG_WARN, "presence events: fetch failed, retrying", "error",
                   natsStatus_GetText(s), NULL);
            cc_sleep_ms(RETRY_DELAY_MS);
            /* the consumer may be gone (stream recreated): bind again */
            if (jerr == JSConsumerNotFoundErr || jerr == JSStreamNotFoundErr ||
                s == NATS_NOT_FOUND) {
                natsSubscription *sub = NULL;
                char err[256];
                jsErrCode e2 = 0;
                if (cc_events_ensure(p->q->bus, p->q->cfg, err, sizeof(err)) == CC_OK &&
                    subscribe(p, &sub, &e2) == NATS_OK) {
                    natsSubscription_Destroy(p->sub);
                    p->sub = sub;
                }
            }
            continue;
        }
        for (int i = 0; i < list.Count; i++)
            handle(p, list.Msgs[i]);
        natsMsgList_Destroy(&list);
    }
    return NULL;
}

cc_status queue_presence_start(struct queue_presence **pp, struct queue *q, char *err,
                               size_t errlen)
{
    struct queue_presence *p = calloc(1, sizeof(*p));
    jsErrCode jerr = 0;
    natsStatus s;

    *pp = NULL;
    if (p == NULL)
        return CC_ERR_NOMEM;
    p->q = q;
    atomic_init(&p->stop, false);
    s = subscribe(p, &p->sub, &jerr);
    if (s != NATS_OK) {
        snprintf(err, errlen, "durable consumer %s: %s (code %d)", QUEUE_PRESENCE_DURABLE,
                 natsStatus_GetText(s), (int)jerr);
        free(p);
        return cc_bus_status(s);
    }
    if (pthread_create(&p->thread, NULL, run, p) != 0) {
        natsSubscription_Destroy(p->sub);
        free(p);
        return CC_ERR_IO;
    }
    *pp = p;
    return CC_OK;
}

void queue_presence_stop(struct queue_presence *p)
{
    if (p == NULL || p->sub == NULL)
        return;
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    natsSubscription_Destroy(p->sub); /* no Unsubscribe: the durable outlives us */
    p->sub = NULL;
}

void queue_presence_free(struct queue_presence *p)
{
    free(p);
}
