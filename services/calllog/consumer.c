/* consumer: fetch events, store them, ack. See consumer.h. */
#include "consumer.h"
#include "cc_events.h"
#include "cc_log.h"
#include "row.h"
#include "cc_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define BATCH 64
#define FETCH_WAIT_MS 1000
#define RETRY_DELAY_MS 1000
#define PROBE_EVERY_MS 5000

struct clog_consumer {
    struct cc_bus *bus;
    struct cc_pg *pg; /* touched by the consumer thread only */
    /* The consumer thread's while it runs (recover() replaces it); the
     * caller's again once clog_consumer_stop joined the thread. */
    natsSubscription *sub;
    pthread_t thread;
    bool joined; /* caller's thread only: stop ran */
    atomic_bool stop;
    atomic_bool db_ok;
};

bool clog_consumer_db_ok(const struct clog_consumer *c)
{
    return atomic_load(&c->db_ok);
}

/* Stores one message; acks it, or naks it for redelivery when the database
 * failed. A message that can never be stored is terminated (logged, dropped). */
static void handle(struct clog_consumer *c, natsMsg *msg)
{
    const uint8_t *data = (const uint8_t *)natsMsg_GetData(msg);
    size_t len = (size_t)natsMsg_GetDataLength(msg);
    Cc__Event *ev = cc__event__unpack(NULL, len, data);
    struct clog_row row;
    const char *why = "malformed protobuf";
    char err[512], n[24];
    bool inserted;
    cc_status st;

    if (ev == NULL || !clog_row_from_event(&row, ev, &why)) {
        snprintf(n, sizeof(n), "%zu", len);
        cc_log(CC_LOG_WARN, "malformed event dropped", "subject", natsMsg_GetSubject(msg), "reason",
               why, "bytes", n, NULL);
        natsMsg_Term(msg, NULL);
        goto out;
    }
    st = clog_pg_insert(c->pg, &row, data, len, &inserted, err, sizeof(err));
    if (st == CC_OK) {
        atomic_store(&c->db_ok, true);
        natsMsg_Ack(msg, NULL);
        cc_log(CC_LOG_DEBUG, inserted ? "event stored" : "event already stored", "id", row.id,
               "type", row.type, NULL);
    } else if (st == CC_ERR_UNAVAILABLE) {
        if (atomic_exchange(&c->db_ok, false))
            cc_log(CC_LOG_WARN, "PostgreSQL unavailable, events wait in the stream", "error", err,
                   NULL);
        natsMsg_NakWithDelay(msg, RETRY_DELAY_MS, NULL);
    } else {
        /* the server refused this row (a bug, or a constraint): keep it for later */
        cc_log(CC_LOG_ERROR, "event not stored, will be redelivered", "id", row.id, "error", err,
               NULL);
        natsMsg_NakWithDelay(msg, 10 * RETRY_DELAY_MS, NULL);
    }
out:
    if (ev != NULL)
        cc__event__free_unpacked(ev, NULL);
}

/* Creates (or binds to) the durable pull consumer. */
static natsStatus subscribe(struct clog_consumer *c, natsSubscription **sub, jsErrCode *jerr)
{
    jsSubOptions so;

    jsSubOptions_Init(&so);
    so.Stream = CC_EVENTS_STREAM;
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait = 30LL * 1000 * 1000 * 1000; /* ns */
    so.Config.MaxDeliver = -1;
    so.Config.MaxAckPending = 4096;
    so.Config.DeliverPolicy = js_DeliverAll;
    return js_PullSubscribe(sub, cc_bus_js(c->bus), CC_EVENTS_SUBJECTS, CLOG_DURABLE, NULL, &so,
                            jerr);
}

/* Consumer thread: when JetStream says the stream or our consumer no longer
 * exists (deleted by an operator, JetStream storage lost), make both again,
 * so that what is published from now on is stored (publishers resend what
 * was not acknowledged meanwhile). Anything else (JetStream not answering)
 * is left to the next try. */
static void recover(struct clog_consumer *c)
{
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsSubscription *sub = NULL;
    natsStatus s = js_GetConsumerInfo(&ci, cc_bus_js(c->bus), CC_EVENTS_STREAM, CLOG_DURABLE, NULL,
                                      &jerr);
    char err[256];

    jsConsumerInfo_Destroy(ci);
    if (s == NATS_OK || (jerr != JSConsumerNotFoundErr && jerr != JSStreamNotFoundErr))
        return;
    cc_log(CC_LOG_WARN, "the event stream or its consumer is gone; creating them again", "error",
           jerr == JSStreamNotFoundErr ? "stream not found" : "consumer not found", NULL);
    if (cc_events_ensure(c->bus, err, sizeof(err)) != CC_OK) {
        cc_log(CC_LOG_WARN, "cannot create the event stream yet", "error", err, NULL);
        return;
    }
    jerr = 0;
    if ((s = subscribe(c, &sub, &jerr)) != NATS_OK) {
        cc_log(CC_LOG_WARN, "cannot create the durable consumer yet", "error",
               natsStatus_GetText(s), NULL);
        return;
    }
    natsSubscription_Destroy(c->sub); /* no Unsubscribe: that would delete the new consumer */
    c->sub = sub;
    cc_log(CC_LOG_INFO, "event stream and consumer created again", NULL);
}

static void *run(void *arg)
{
    struct clog_consumer *c = arg;
    int64_t next_probe = cc_mono_ms() + PROBE_EVERY_MS;

    while (!atomic_load(&c->stop)) {
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        natsStatus s = natsSubscription_Fetch(&list, c->sub, BATCH, FETCH_WAIT_MS, &jerr);

        if (s == NATS_TIMEOUT) {
            /* idle: probe the database now and then so readiness stays honest */
            if (cc_mono_ms() >= next_probe) {
                bool ok = cc_pg_probe(c->pg);
                if (atomic_exchange(&c->db_ok, ok) != ok)
                    cc_log(ok ? CC_LOG_INFO : CC_LOG_WARN,
                           ok ? "PostgreSQL reachable again" : "PostgreSQL unreachable", NULL);
                recover(c);
                next_probe = cc_mono_ms() + PROBE_EVERY_MS;
            }
            continue;
        }
        if (s != NATS_OK) {
            if (!atomic_load(&c->stop))
                cc_log(CC_LOG_WARN, "fetch failed, retrying", "error", natsStatus_GetText(s), NULL);
            natsMsgList_Destroy(&list);
            cc_sleep_ms(RETRY_DELAY_MS);
            if (!atomic_load(&c->stop))
                recover(c);
            continue;
        }
        for (int i = 0; i < list.Count; i++)
            handle(c, list.Msgs[i]);
        natsMsgList_Destroy(&list);
    }
    return NULL;
}

cc_status clog_consumer_start(struct clog_consumer **cp, struct cc_bus *bus, struct cc_pg *pg,
                              char *err, size_t errlen)
{
    struct clog_consumer *c;
    jsErrCode jerr = 0;
    natsStatus s;

    *cp = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return CC_ERR_NOMEM;
    c->bus = bus;
    c->pg = pg;
    atomic_init(&c->stop, false);
    atomic_init(&c->db_ok, cc_pg_ok(pg));

    s = subscribe(c, &c->sub, &jerr);
    if (s != NATS_OK) {
        snprintf(err, errlen, "durable consumer %s: %s (code %d)", CLOG_DURABLE,
                 natsStatus_GetText(s), (int)jerr);
        free(c);
        return cc_bus_status(s);
    }
    if (pthread_create(&c->thread, NULL, run, c) != 0) {
        natsSubscription_Destroy(c->sub);
        free(c);
        snprintf(err, errlen, "cannot start the consumer thread");
        return CC_ERR_IO;
    }
    *cp = c;
    return CC_OK;
}

void clog_consumer_stop(struct clog_consumer *c)
{
    if (c == NULL || c->joined)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    c->joined = true;
    /* The thread is gone, c->sub is ours (not before: recover() may be
     * replacing it). Destroy without Unsubscribe: the durable consumer must
     * outlive us. */
    natsSubscription_Destroy(c->sub);
    c->sub = NULL;
}

void clog_consumer_free(struct clog_consumer *c)
{
    free(c);
}
