/* mediafacts: the consumer "ingress-media". See mediafacts.h. */
#include "mediafacts.h"
#include "calls.h"
#include "callstore.h"
#include "cc_consumer.h"
#include "cc_log.h"
#include "medialeg.h"
#include "phones.h"
#include "sip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASON "media_timeout"

struct mediafacts {
    struct cc_consumer *consumer;
};

static const struct cc_consumer_spec spec = {
    .durable = INGRESS_MEDIA_DURABLE,
    .filter = "cc.evt.media.>",
    .what = "media events",
    .batch = 32,
    .retry_delay_ms = 500,
};

/* The call id of leg_id into id: CC_ERR_NOT_FOUND when the leg is no call's. */
static cc_status call_of_leg(struct ingress *in, const char *leg_id, char id[64])
{
    char key[128];
    const char *argv[3] = {"HGET", key, "call"};
    redisReply *r;
    cc_status st;

    if (strncmp(leg_id, "sip-", 4) == 0 && strlen(leg_id + 4) < 64) {
        snprintf(id, 64, "%s", leg_id + 4);
        return CC_OK;
    }
    if (strncmp(leg_id, "ring-", 5) != 0 || strlen(leg_id) > 100)
        return CC_ERR_NOT_FOUND;
    snprintf(key, sizeof(key), "cc:ring:%s", leg_id + 5);
    r = cc_redis_command(in->redis, 3, argv, NULL);
    st = cc_redis_reply_status(r);
    if (st != CC_OK)
        st = CC_ERR_UNAVAILABLE;
    else if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len >= 64)
        st = CC_ERR_NOT_FOUND;
    else
        snprintf(id, 64, "%s", r->str);
    freeReplyObject(r);
    return st;
}

/* Ends answered call id because one of its legs timed out. */
static cc_consumer_verdict end_call(struct ingress *in, const char *id, const char *leg_id)
{
    struct call c = {0};
    char prev[16];
    const char *f[2] = {"end_reason", REASON};
    cc_status st = call_set(in, id, "answered", "ended", true, 2, f, &c, prev);

    if (st == CC_ERR_UNAVAILABLE)
        return CC_CONSUMER_RETRY;
    if (st != CC_OK) { /* not answered (yet, or any more), or no such call */
        cc_log(CC_LOG_DEBUG, "media timeout of a call not in progress", "call", id, "leg_id",
               leg_id, "state", prev, NULL);
        call_clear(&c);
        return CC_CONSUMER_ACK;
    }
    call_send_bye(in, &c);
    if (media_release(in, call_get(&c, "node"), call_get(&c, "leg_id")) != CC_OK)
        cc_log(CC_LOG_WARN, "cannot release a media leg", "leg_id", call_get(&c, "leg_id"), NULL);
    phones_hangup(in, id, REASON);
    /* the call is ended already: a failure here is the queue's to retry
     * (calls_enquiry_end logs it); the enquiry's own fact finds the call ended */
    calls_enquiry_end_why(in, &c, NULL, REASON);
    cc_log(CC_LOG_INFO, "call ended", "call", id, "by", REASON, "leg_id", leg_id, NULL);
    call_clear(&c);
    return CC_CONSUMER_ACK;
}

static cc_consumer_verdict on_fact(const Cc__Event *ev, int delivered, void *arg)
{
    struct ingress *in = arg;
    const Cc__MediaReport *m = ev->media;
    char id[64];
    cc_status st;

    (void)delivered;
    if (ev->type == NULL || strcmp(ev->type, "media.leg_ended") != 0 ||
        ev->body_case != CC__EVENT__BODY_MEDIA || m == NULL || m->n_legs == 0 ||
        m->legs[0]->leg_id == NULL || ev->reason == NULL || strcmp(ev->reason, REASON) != 0)
        return CC_CONSUMER_ACK;
    st = call_of_leg(in, m->legs[0]->leg_id, id);
    if (st == CC_ERR_UNAVAILABLE)
        return CC_CONSUMER_RETRY;
    if (st != CC_OK)
        return CC_CONSUMER_ACK;
    return end_call(in, id, m->legs[0]->leg_id);
}

cc_status mediafacts_start(struct mediafacts **mp, struct ingress *in, char *err, size_t errlen)
{
    struct mediafacts *m = calloc(1, sizeof(*m));
    cc_status st;

    *mp = NULL;
    if (m == NULL)
        return CC_ERR_NOMEM;
    st = cc_consumer_start(&m->consumer, in->bus, in->cfg, &spec, on_fact, in, err, errlen);
    if (st != CC_OK) {
        free(m);
        return st;
    }
    *mp = m;
    return CC_OK;
}

void mediafacts_stop(struct mediafacts *m)
{
    if (m != NULL)
        cc_consumer_stop(m->consumer);
}

void mediafacts_free(struct mediafacts *m)
{
    if (m == NULL)
        return;
    cc_consumer_free(m->consumer);
    free(m);
}
