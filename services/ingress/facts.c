/* facts: the consumer "ingress-enquiry". See facts.h. */
#include "facts.h"
#include "calls.h"
#include "cc_events.h"
#include "cc_log.h"
#include "cc_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define BATCH 32
#define FETCH_WAIT_MS 1000
#define RETRY_DELAY_MS 200

struct facts {
    struct ingress *in;
    natsSubscription *sub;
    pthread_t thread;
    atomic_bool stop;
};

static natsStatus subscribe(struct facts *f, natsSubscription **sub, jsErrCode *jerr)
{
    jsSubOptions so;

    jsSubOptions_Init(&so);
    so.Stream = CC_EVENTS_STREAM;
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait = 10LL * 1000 * 1000 * 1000; /* ns */
    so.Config.MaxDeliver = -1;
    so.Config.MaxAckPending = 1024;
    /* from when the consumer is first made: calls from before did not exist */
    so.Config.DeliverPolicy = js_DeliverNew;
    return js_PullSubscribe(sub, cc_bus_js(f->in->bus), "cc.evt.enquiry.>",
                            INGRESS_ENQUIRY_DURABLE, NULL, &so, jerr);
}

static void handle(struct facts *f, natsMsg *msg)
{
    Cc__Event *ev = cc__event__unpack(NULL, (size_t)natsMsg_GetDataLength(msg),
                                      (const uint8_t *)natsMsg_GetData(msg));
    jsMsgMetaData *meta = NULL;
    int delivered = 1;

    if (ev == NULL) {
        cc_log(CC_LOG_WARN, "malformed enquiry event dropped", NULL);
        natsMsg_Term(msg, NULL);
        return;
    }
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
        delivered = (int)meta->NumDelivered;
        jsMsgMetaData_Destroy(meta);
    }
    if (calls_on_fact(f->in, ev, delivered) == FACT_DONE)
        natsMsg_Ack(msg, NULL);
    else
        natsMsg_NakWithDelay(msg, RETRY_DELAY_MS, NULL);
    cc__event__free_unpacked(ev, NULL);
}

static void *run(void *arg)
{
    struct facts *f = arg;

    while (!atomic_load(&f->stop)) {
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        natsStatus s = natsSubscription_Fetch(&list, f->sub, BATCH, FETCH_WAIT_MS, &jerr);

        if (s == NATS_TIMEOUT)
            continue;
        if (s != NATS_OK) {
            natsMsgList_Destroy(&list);
            if (atomic_load(&f->stop))
                break;
            cc_log(CC_LOG_WARN, "enquiry events: fetch failed, retrying", "error",
                   natsStatus_GetText(s), NULL);
            cc_sleep_ms(500);
            /* the consumer may be gone (stream recreated): bind again */
            if (jerr == JSConsumerNotFoundErr || jerr == JSStreamNotFoundErr ||
                s == NATS_NOT_FOUND) {
                natsSubscription *sub = NULL;
                char err[256];
                jsErrCode e2 = 0;
                if (cc_events_ensure(f->in->bus, f->in->cfg, err, sizeof(err)) == CC_OK &&
                    subscribe(f, &sub, &e2) == NATS_OK) {
                    natsSubscription_Destroy(f->sub);
                    f->sub = sub;
                }
            }
            continue;
        }
        for (int i = 0; i < list.Count; i++)
            handle(f, list.Msgs[i]);
        natsMsgList_Destroy(&list);
    }
    return NULL;
}

cc_status facts_start(struct facts **fp, struct ingress *in, char *err, size_t errlen)
{
    struct facts *f = calloc(1, sizeof(*f));
    jsErrCode jerr = 0;
    natsStatus s;

    *fp = NULL;
    if (f == NULL)
        return CC_ERR_NOMEM;
    f->in = in;
    atomic_init(&f->stop, false);
    s = subscribe(f, &f->sub, &jerr);
    if (s != NATS_OK) {
        snprintf(err, errlen, "durable consumer %s: %s (code %d)", INGRESS_ENQUIRY_DURABLE,
                 natsStatus_GetText(s), (int)jerr);
        free(f);
        return cc_bus_status(s);
    }
    if (pthread_create(&f->thread, NULL, run, f) != 0) {
        natsSubscription_Destroy(f->sub);
        free(f);
        return CC_ERR_IO;
    }
    *fp = f;
    return CC_OK;
}

void facts_stop(struct facts *f)
{
    if (f == NULL || f->sub == NULL)
        return;
    atomic_store(&f->stop, true);
    pthread_join(f->thread, NULL);
    natsSubscription_Destroy(f->sub); /* no Unsubscribe: the durable outlives us */
    f->sub = NULL;
}

void facts_free(struct facts *f)
{
    free(f);
}
