/* events: outbox entries -> cc.Event; presence.changed -> reconcile. See events.h. */
#include "events.h"
#include "cc_consumer.h"
#include "cc_events.h"
#include "cc_log.h"
#include "codec.h"
#include "step.h"

#include <jansson.h>
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

struct queue_presence {
    struct cc_consumer *consumer;
};

/* From when the consumer is first made: older changes are reflected in
 * presence already, and each reconcile looks at the state as it is now. */
static const struct cc_consumer_spec presence_spec = {
    .durable = QUEUE_PRESENCE_DURABLE,
    .filter = "cc.evt.presence.changed",
    .what = "presence events",
    .batch = 64,
    .retry_delay_ms = 500,
};

static cc_consumer_verdict on_presence(const Cc__Event *ev, int delivered, void *arg)
{
    struct queue *q = arg;
    redisReply *r = NULL;
    const char *args[1];
    cc_status st;
    (void)delivered;

    if (ev->staff_id == NULL || ev->staff_id[0] == '\0') {
        cc_log(CC_LOG_WARN, "malformed presence event dropped", NULL);
        return CC_CONSUMER_DROP;
    }
    args[0] = ev->staff_id;
    st = queue_step(q, Q_RECONCILE, NULL, 1, args, NULL, &r);
    freeReplyObject(r);
    return st == CC_OK ? CC_CONSUMER_ACK : CC_CONSUMER_RETRY;
}

cc_status queue_presence_start(struct queue_presence **pp, struct queue *q, char *err,
                               size_t errlen)
{
    struct queue_presence *p = calloc(1, sizeof(*p));
    cc_status st;

    *pp = NULL;
    if (p == NULL)
        return CC_ERR_NOMEM;
    st = cc_consumer_start(&p->consumer, q->bus, q->cfg, &presence_spec, on_presence, q, err,
                           errlen);
    if (st != CC_OK) {
        free(p);
        return st;
    }
    *pp = p;
    return CC_OK;
}

void queue_presence_stop(struct queue_presence *p)
{
    if (p != NULL)
        cc_consumer_stop(p->consumer);
}

void queue_presence_free(struct queue_presence *p)
{
    if (p == NULL)
        return;
    cc_consumer_free(p->consumer);
    free(p);
}
