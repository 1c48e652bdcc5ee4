/* cc_consumer: a durable pull consumer of CC_EVENTS. See cc_consumer.h. */
#include "cc_consumer.h"
#include "cc_events.h"
#include "cc_log.h"
#include "cc_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define FETCH_WAIT_MS 1000

struct cc_consumer {
    struct cc_bus *bus;
    const struct cc_config *cfg;
    struct cc_consumer_spec spec;
    cc_consumer_fn fn;
    void *arg;
    natsSubscription *sub; /* the consumer thread's once started */
    pthread_t thread;
    atomic_bool stop;
};

static natsStatus bind_consumer(struct cc_consumer *c, natsSubscription **sub, jsErrCode *jerr)
{
    jsSubOptions so;

    jsSubOptions_Init(&so);
    so.Stream = CC_EVENTS_STREAM;
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait = 10LL * 1000 * 1000 * 1000; /* ns */
    so.Config.MaxDeliver = -1;
    so.Config.MaxAckPending = 1024;
    so.Config.DeliverPolicy = js_DeliverNew;
    return js_PullSubscribe(sub, cc_bus_js(c->bus), c->spec.filter, c->spec.durable, NULL, &so,
                            jerr);
}

static void handle(struct cc_consumer *c, natsMsg *msg)
{
    Cc__Event *ev = cc__event__unpack(NULL, (size_t)natsMsg_GetDataLength(msg),
                                      (const uint8_t *)natsMsg_GetData(msg));
    jsMsgMetaData *meta = NULL;
    int delivered = 1;

    if (ev == NULL) {
        cc_log(CC_LOG_WARN, "malformed event dropped", "consumer", c->spec.durable, "subject",
               natsMsg_GetSubject(msg), NULL);
        natsMsg_Term(msg, NULL);
        return;
    }
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
        delivered = (int)meta->NumDelivered;
        jsMsgMetaData_Destroy(meta);
    }
    switch (c->fn(ev, delivered, c->arg)) {
    case CC_CONSUMER_ACK:
        natsMsg_Ack(msg, NULL);
        break;
    case CC_CONSUMER_RETRY:
        natsMsg_NakWithDelay(msg, c->spec.retry_delay_ms, NULL);
        break;
    case CC_CONSUMER_DROP:
        natsMsg_Term(msg, NULL);
        break;
    }
    cc__event__free_unpacked(ev, NULL);
}

/* The stream or the consumer is gone (the stream recreated): ensure the
 * stream and bind again; the next fetch tells whether it worked. */
static void rebind(struct cc_consumer *c)
{
    natsSubscription *sub = NULL;
    char err[256];
    jsErrCode jerr = 0;

    if (cc_events_ensure(c->bus, c->cfg, err, sizeof(err)) == CC_OK &&
        bind_consumer(c, &sub, &jerr) == NATS_OK) {
        natsSubscription_Destroy(c->sub);
        c->sub = sub;
    }
}

static void *run(void *arg)
{
    struct cc_consumer *c = arg;

    while (!atomic_load(&c->stop)) {
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        natsStatus s = natsSubscription_Fetch(&list, c->sub, c->spec.batch, FETCH_WAIT_MS, &jerr);

        if (s == NATS_TIMEOUT)
            continue;
        if (s != NATS_OK) {
            natsMsgList_Destroy(&list);
            if (atomic_load(&c->stop))
                break;
            cc_log(CC_LOG_WARN, "fetch failed, retrying", "consumer", c->spec.durable, "of",
                   c->spec.what, "error", natsStatus_GetText(s), NULL);
            cc_sleep_ms(c->spec.retry_delay_ms);
            if (jerr == JSConsumerNotFoundErr || jerr == JSStreamNotFoundErr ||
                s == NATS_NOT_FOUND)
                rebind(c);
            continue;
        }
        for (int i = 0; i < list.Count; i++)
            handle(c, list.Msgs[i]);
        natsMsgList_Destroy(&list);
    }
    return NULL;
}

cc_status cc_consumer_start(struct cc_consumer **cp, struct cc_bus *bus,
                            const struct cc_config *cfg, const struct cc_consumer_spec *spec,
                            cc_consumer_fn fn, void *arg, char *err, size_t errlen)
{
    struct cc_consumer *c = calloc(1, sizeof(*c));
    jsErrCode jerr = 0;
    natsStatus s;

    *cp = NULL;
    if (c == NULL)
        return CC_ERR_NOMEM;
    c->bus = bus;
    c->cfg = cfg;
    c->spec = *spec;
    c->fn = fn;
    c->arg = arg;
    atomic_init(&c->stop, false);
    s = bind_consumer(c, &c->sub, &jerr);
    if (s != NATS_OK) {
        snprintf(err, errlen, "durable consumer %s: %s (code %d)", spec->durable,
                 natsStatus_GetText(s), (int)jerr);
        free(c);
        return cc_bus_status(s);
    }
    if (pthread_create(&c->thread, NULL, run, c) != 0) {
        natsSubscription_Destroy(c->sub);
        free(c);
        return CC_ERR_IO;
    }
    *cp = c;
    return CC_OK;
}

void cc_consumer_stop(struct cc_consumer *c)
{
    if (c == NULL || c->sub == NULL)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    natsSubscription_Destroy(c->sub); /* no Unsubscribe: the durable outlives us */
    c->sub = NULL;
}

void cc_consumer_free(struct cc_consumer *c)
{
    free(c);
}
