/* consumer: fetch events, store them in batches, ack. See consumer.h. */
#include "consumer.h"
#include "cc_events.h"
#include "cc_log.h"
#include "row.h"
#include "cc_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define FETCH_MIN 64 /* messages per fetch at least (what the one-row writer fetched) */
#define FETCH_WAIT_MS 1000
#define RETRY_DELAY_MS 1000
#define PROBE_EVERY_MS 5000
#define TRIM_EVERY_MS 2000

/* A fetched message that parsed: the message, its event and its row. */
struct pending {
    natsMsg *msg; /* owned by the fetched list */
    Cc__Event *ev;
    struct clog_row row; /* borrows from ev */
};

struct clog_consumer {
    struct cc_bus *bus;
    const struct cc_config *cfg;
    struct cc_pg *pg; /* touched by the consumer thread only */
    /* The consumer thread's while it runs (recover() replaces it); the
     * caller's again once clog_consumer_stop joined the thread. */
    natsSubscription *sub;
    int batch; /* rows per INSERT: CC_CALLLOG_BATCH */
    int fetch; /* messages per fetch: max(batch, FETCH_MIN) */
    /* the consumer thread's scratch, fetch entries each */
    struct pending *pend;
    struct clog_pg_event *evs;
    pthread_t thread;
    bool joined; /* caller's thread only: stop ran */
    atomic_bool stop;
    atomic_bool db_ok;
    uint64_t trimmed; /* the stream is purged up to here (consumer thread only) */
};

bool clog_consumer_db_ok(const struct clog_consumer *c)
{
    return atomic_load(&c->db_ok);
}

/* Unpacks msg into p; false when it can never be stored: then it is logged
 * and terminated (never redelivered) on its own, and the batch goes on. */
static bool parse(natsMsg *msg, struct pending *p)
{
    const uint8_t *data = (const uint8_t *)natsMsg_GetData(msg);
    size_t len = (size_t)natsMsg_GetDataLength(msg);
    const char *why = "malformed protobuf";
    char n[24];

    p->msg = msg;
    p->ev = cc__event__unpack(NULL, len, data);
    if (p->ev != NULL && clog_row_from_event(&p->row, p->ev, &why))
        return true;
    snprintf(n, sizeof(n), "%zu", len);
    cc_log(CC_LOG_WARN, "malformed event dropped", "subject", natsMsg_GetSubject(msg), "reason",
           why, "bytes", n, NULL);
    natsMsg_Term(msg, NULL);
    if (p->ev != NULL)
        cc__event__free_unpacked(p->ev, NULL);
    p->ev = NULL;
    return false;
}

static void nak_all(struct pending *p, size_t n, int64_t delay_ms)
{
    for (size_t i = 0; i < n; i++)
        natsMsg_NakWithDelay(p[i].msg, delay_ms, NULL);
}

/*
 * Stores n parsed events with one INSERT (one transaction), then acks every
 * one of them: acked only once committed, so nothing is lost. When the
 * database cannot be reached all n are nak'd and come back after a pause;
 * false tells the caller not to try the rest of the fetch now. When the
 * server refused the statement, the rows are stored one by one, so the one
 * it refuses (nak'd, kept for later) holds back no other.
 */
static bool store(struct clog_consumer *c, struct pending *p, size_t n)
{
    size_t inserted = 0;
    char err[512];
    cc_status st;

    for (size_t i = 0; i < n; i++) {
        c->evs[i].row = &p[i].row;
        c->evs[i].body = (const uint8_t *)natsMsg_GetData(p[i].msg);
        c->evs[i].len = (size_t)natsMsg_GetDataLength(p[i].msg);
    }
    st = clog_pg_insert(c->pg, c->evs, n, &inserted, err, sizeof(err));
    if (st == CC_OK) {
        char a[24], b[24];
        atomic_store(&c->db_ok, true);
        for (size_t i = 0; i < n; i++)
            natsMsg_Ack(p[i].msg, NULL);
        snprintf(a, sizeof(a), "%zu", n);
        snprintf(b, sizeof(b), "%zu", inserted);
        cc_log(CC_LOG_DEBUG, "events stored", "events", a, "new", b, "first_id", p[0].row.id, NULL);
        return true;
    }
    if (st == CC_ERR_UNAVAILABLE) {
        if (atomic_exchange(&c->db_ok, false))
            cc_log(CC_LOG_WARN, "PostgreSQL unavailable, events wait in the stream", "error", err,
                   NULL);
        nak_all(p, n, RETRY_DELAY_MS);
        return false;
    }
    if (n > 1) {
        cc_log(CC_LOG_WARN, "batch refused, storing its events one by one", "error", err, NULL);
        for (size_t i = 0; i < n; i++)
            if (!store(c, p + i, 1)) {
                nak_all(p + i + 1, n - i - 1, RETRY_DELAY_MS);
                return false;
            }
        return true;
    }
    /* the server refused this row (a bug, or a constraint): keep it for later */
    cc_log(CC_LOG_ERROR, "event not stored, will be redelivered", "id", p->row.id, "error", err,
           NULL);
    natsMsg_NakWithDelay(p->msg, 10 * RETRY_DELAY_MS, NULL);
    return true;
}

/* One fetch: malformed messages terminated, the rest stored c->batch at a
 * time (CC_CALLLOG_BATCH=1: one row per statement, as the writer was). */
static void handle(struct clog_consumer *c, natsMsgList *list)
{
    size_t n = 0;

    for (int i = 0; i < list->Count; i++)
        if (parse(list->Msgs[i], &c->pend[n]))
            n++;
    for (size_t at = 0; at < n;) {
        size_t k = n - at < (size_t)c->batch ? n - at : (size_t)c->batch;
        if (!store(c, c->pend + at, k)) {
            nak_all(c->pend + at + k, n - at - k, RETRY_DELAY_MS); /* the database is down */
            break;
        }
        at += k;
    }
    for (size_t i = 0; i < n; i++)
        cc__event__free_unpacked(c->pend[i].ev, NULL);
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
    natsStatus s =
        js_GetConsumerInfo(&ci, cc_bus_js(c->bus), CC_EVENTS_STREAM, CLOG_DURABLE, NULL, &jerr);
    char err[256];

    jsConsumerInfo_Destroy(ci);
    if (s == NATS_OK || (jerr != JSConsumerNotFoundErr && jerr != JSStreamNotFoundErr))
        return;
    cc_log(CC_LOG_WARN, "the event stream or its consumer is gone; creating them again", "error",
           jerr == JSStreamNotFoundErr ? "stream not found" : "consumer not found", NULL);
    if (cc_events_ensure(c->bus, c->cfg, err, sizeof(err)) != CC_OK) {
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

/* The stream is a buffer, not the history (PostgreSQL is): what every
 * consumer of it has acknowledged is purged, so the stream's size is what
 * someone still has to read, and "full" (CC_EVENTS_MAX_BYTES, discard-new:
 * publishers keep their events and requests answer 503) means a consumer is
 * that far behind, never that old history piled up. A consumer that stops
 * acknowledging (an abandoned durable) holds the purge back, visibly. */
static void trim(struct clog_consumer *c)
{
    jsConsumerInfoList *list = NULL;
    jsErrCode jerr = 0;
    uint64_t floor = UINT64_MAX;

    if (js_Consumers(&list, cc_bus_js(c->bus), CC_EVENTS_STREAM, NULL, &jerr) != NATS_OK)
        return;
    for (int i = 0; i < list->Count; i++) {
        const jsConsumerInfo *ci = list->List[i];
        /* nothing waiting for an ack: it is done with everything up to what
         * it was last delivered (a filtered consumer skips the rest, and its
         * ack floor stays at the last message it took) */
        uint64_t done = ci->NumAckPending == 0 ? ci->Delivered.Stream : ci->AckFloor.Stream;
        if (done < floor)
            floor = done;
    }
    jsConsumerInfoList_Destroy(list);
    if (floor != UINT64_MAX && floor > c->trimmed) {
        jsOptions o;
        jsOptions_Init(&o);
        o.Stream.Purge.Sequence = floor + 1; /* up to and including floor */
        if (js_PurgeStream(cc_bus_js(c->bus), CC_EVENTS_STREAM, &o, &jerr) == NATS_OK)
            c->trimmed = floor;
    }
}

static void *run(void *arg)
{
    struct clog_consumer *c = arg;
    int64_t next_probe = cc_mono_ms() + PROBE_EVERY_MS, next_trim = cc_mono_ms() + TRIM_EVERY_MS;

    while (!atomic_load(&c->stop)) {
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        natsStatus s;

        if (cc_mono_ms() >= next_trim) { /* busy or idle */
            trim(c);
            next_trim = cc_mono_ms() + TRIM_EVERY_MS;
        }
        s = natsSubscription_Fetch(&list, c->sub, c->fetch, FETCH_WAIT_MS, &jerr);

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
        handle(c, &list);
        natsMsgList_Destroy(&list);
    }
    return NULL;
}

cc_status clog_consumer_start(struct clog_consumer **cp, const struct cc_config *cfg,
                              struct cc_bus *bus, struct cc_pg *pg, char *err, size_t errlen)
{
    struct clog_consumer *c;
    jsErrCode jerr = 0;
    natsStatus s;

    *cp = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return CC_ERR_NOMEM;
    c->bus = bus;
    c->cfg = cfg;
    c->pg = pg;
    c->batch = cfg->calllog_batch > 0 && cfg->calllog_batch <= CLOG_PG_BATCH_MAX
                   ? cfg->calllog_batch
                   : CLOG_PG_BATCH_MAX;
    c->fetch = c->batch > FETCH_MIN ? c->batch : FETCH_MIN;
    c->pend = calloc((size_t)c->fetch, sizeof(*c->pend));
    c->evs = calloc((size_t)c->fetch, sizeof(*c->evs));
    if (c->pend == NULL || c->evs == NULL) {
        clog_consumer_free(c);
        return CC_ERR_NOMEM;
    }
    atomic_init(&c->stop, false);
    atomic_init(&c->db_ok, cc_pg_ok(pg));

    s = subscribe(c, &c->sub, &jerr);
    if (s != NATS_OK) {
        snprintf(err, errlen, "durable consumer %s: %s (code %d)", CLOG_DURABLE,
                 natsStatus_GetText(s), (int)jerr);
        clog_consumer_free(c);
        return cc_bus_status(s);
    }
    if (pthread_create(&c->thread, NULL, run, c) != 0) {
        natsSubscription_Destroy(c->sub);
        clog_consumer_free(c);
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
    if (c == NULL)
        return;
    free(c->evs);
    free(c->pend);
    free(c);
}
