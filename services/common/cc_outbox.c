/* cc_outbox: the outbox relay. See cc_outbox.h. */
#include "cc_outbox.h"
#include "cc_events.h"
#include "cc_log.h"
#include "cc_redis.h"
#include "cc_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROUP "relay"
#define BLOCK_MS "500"
#define ACK_WAIT_MS 5000
#define CLAIM_EVERY_MS 2000
#define RETRY_PAUSE_MS 500

struct cc_outbox {
    const struct cc_config *cfg;
    struct cc_bus *bus;
    struct cc_outbox_builder b;
    struct cc_redis *redis; /* the relay thread's own: its reads block */
    jsCtx *js;              /* its own, so the acks waited for are its own */
    char key[96];
    int ack_script;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    atomic_bool stream_full; /* JetStream refused a fact: its stream is at its limits */
    /* event ids JetStream did not acknowledge in the batch in hand; written
     * by the library's ack thread, read by the relay thread after the batch */
    pthread_mutex_t lock;
    char (*nacked)[40];
    size_t n_nacked;
};

void cc_outbox_key(char *buf, size_t len, const char *service)
{
    snprintf(buf, len, "cc:outbox:%s", service);
}

const char *cc_outbox_get(const struct cc_outbox_entry *e, const char *name, size_t *len)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->name[i], name) == 0) {
            if (len != NULL)
                *len = e->len[i];
            return e->value[i];
        }
    return NULL;
}

/* The library's thread: a fact was not stored (stream full, no ack in time).
 * It stays in the outbox and is sent again with the same id. */
static void on_nack(jsCtx *js, jsPubAckErr *pae, void *closure)
{
    struct cc_outbox *o = closure;
    const char *id = NULL;
    bool full;
    (void)js;

    natsMsgHeader_Get(pae->Msg, "Nats-Msg-Id", &id);
    full = cc_bus_js_full(pae->ErrCode, pae->ErrText);
    if (full)
        atomic_store(&o->stream_full, true);
    pthread_mutex_lock(&o->lock);
    if (id != NULL && o->n_nacked < CC_OUTBOX_BATCH)
        snprintf(o->nacked[o->n_nacked++], sizeof(o->nacked[0]), "%s", id);
    pthread_mutex_unlock(&o->lock);
    cc_log(CC_LOG_WARN,
           full ? "event stream full, event kept in the outbox"
                : "event not acknowledged by JetStream, kept in the outbox",
           "subject",
           natsMsg_GetSubject(pae->Msg), "error",
           pae->ErrText != NULL ? pae->ErrText : natsStatus_GetText(pae->Err), NULL);
}

static bool nacked(struct cc_outbox *o, const char *id)
{
    for (size_t i = 0; i < o->n_nacked; i++)
        if (strcmp(o->nacked[i], id) == 0)
            return true;
    return false;
}

/* One entry of an XREADGROUP / XAUTOCLAIM reply: [id, [f1, v1, ...]]. */
static bool entry_of(const redisReply *x, struct cc_outbox_entry *e, const char **names,
                     const char **values, size_t *lens, size_t max)
{
    const redisReply *f;

    if (x->type != REDIS_REPLY_ARRAY || x->elements != 2 || x->element[0]->type != REDIS_REPLY_STRING)
        return false;
    e->stream_id = x->element[0]->str;
    e->n = 0;
    f = x->element[1];
    if (f->type != REDIS_REPLY_ARRAY) /* deleted while pending */
        return true;
    for (size_t i = 0; i + 1 < f->elements && e->n < max; i += 2) {
        if (f->element[i]->type != REDIS_REPLY_STRING || f->element[i + 1]->type != REDIS_REPLY_STRING)
            continue;
        names[e->n] = f->element[i]->str;
        values[e->n] = f->element[i + 1]->str;
        lens[e->n] = f->element[i + 1]->len;
        e->n++;
    }
    e->name = names;
    e->value = values;
    e->len = lens;
    return true;
}

/* Sends one entry: a notification on core NATS, a fact into JetStream (acked
 * later). Returns false when it cannot be sent now (stays pending). *drop is
 * set for a malformed entry, which is acknowledged without being sent. */
static bool send_entry(struct cc_outbox *o, const struct cc_outbox_entry *e, bool *is_fact,
                       bool *drop, char id_out[40])
{
    Cc__Event ev = CC__EVENT__INIT;
    const char *id = cc_outbox_get(e, "id", NULL), *type = cc_outbox_get(e, "type", NULL);
    const char *ts = cc_outbox_get(e, "ts", NULL), *note = cc_outbox_get(e, "note", NULL);
    char subject[160];
    bool ok = false;

    *drop = false;
    *is_fact = note == NULL || strcmp(note, "1") != 0;
    if (id == NULL || type == NULL || ts == NULL || !o->b.build(o->b.arg, e, &ev)) {
        cc_log(CC_LOG_ERROR, "malformed outbox entry dropped", "stream_id", e->stream_id, "type",
               type != NULL ? type : "", NULL);
        *drop = true;
        return false;
    }
    snprintf(id_out, 40, "%s", id);
    ev.id = (char *)id;
    ev.type = (char *)type;
    ev.ts_ms = atoll(ts);
    ev.source = (char *)o->cfg->service;
    ev.instance = (char *)o->cfg->instance;
    snprintf(subject, sizeof(subject), "%s.%s", *is_fact ? "cc.evt" : "cc.note", type);
    if (!*is_fact) {
        ok = cc_bus_publish(o->bus, subject, &ev.base) == CC_OK;
    } else {
        size_t n = cc__event__get_packed_size(&ev);
        uint8_t *buf = malloc(n ? n : 1);
        natsMsg *msg = NULL;
        jsPubOptions po;
        if (buf != NULL) {
            cc__event__pack(&ev, buf);
            jsPubOptions_Init(&po);
            po.MaxWait = ACK_WAIT_MS;
            ok = natsMsg_Create(&msg, subject, NULL, (const char *)buf, (int)n) == NATS_OK &&
                 natsMsgHeader_Set(msg, "Nats-Msg-Id", id) == NATS_OK &&
                 js_PublishMsgAsync(o->js, &msg, &po) == NATS_OK;
            natsMsg_Destroy(msg); /* NULL once the library took it */
            free(buf);
        }
    }
    o->b.clear(o->b.arg, &ev);
    return ok;
}

/* Acknowledges and deletes the entries done, in one atomic step: an entry
 * acknowledged but left in the stream would never be relayed again and never
 * leave (a relay killed between two commands could do that). */
static const char *const ack_lua =
    "redis.call('XACK', KEYS[1], 'relay', unpack(ARGV))\n"
    "return redis.call('XDEL', KEYS[1], unpack(ARGV))\n";

static void ack(struct cc_outbox *o, const char **ids, size_t n)
{
    const char *argv[1 + CC_OUTBOX_BATCH];

    if (n == 0)
        return;
    argv[0] = o->key;
    memcpy(&argv[1], ids, n * sizeof(*ids));
    /* not done (Redis down): the entries stay pending and are relayed again
     * with the same ids, which JetStream stores once */
    freeReplyObject(cc_redis_script_call(o->redis, o->ack_script, 1, (int)(1 + n), argv, NULL));
}

/* Relays the entries of a reply's list; true when every one is done. */
static bool relay(struct cc_outbox *o, const redisReply *list)
{
    const char *names[32], *values[32];
    size_t lens[32];
    const char *done[CC_OUTBOX_BATCH], *facts[CC_OUTBOX_BATCH];
    char fact_ids[CC_OUTBOX_BATCH][40];
    size_t n_done = 0, n_facts = 0, n_all = 0;
    bool all = true;

    if (list == NULL || list->type != REDIS_REPLY_ARRAY)
        return true;
    pthread_mutex_lock(&o->lock);
    o->n_nacked = 0;
    pthread_mutex_unlock(&o->lock);
    for (size_t i = 0; i < list->elements && n_all < CC_OUTBOX_BATCH; i++, n_all++) {
        struct cc_outbox_entry e;
        bool fact, drop;
        char id[40];
        if (!entry_of(list->element[i], &e, names, values, lens, 32))
            continue;
        if (e.n == 0 || send_entry(o, &e, &fact, &drop, id) || drop) {
            if (!drop && e.n > 0 && fact) {
                facts[n_facts] = e.stream_id;
                memcpy(fact_ids[n_facts++], id, 40);
            } else {
                done[n_done++] = e.stream_id;
            }
        } else {
            all = false;
        }
    }
    if (n_facts > 0) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = ACK_WAIT_MS + 1000;
        if (js_PublishAsyncComplete(o->js, &po) != NATS_OK) {
            /* acks still outstanding: nothing of this batch is known stored */
            n_facts = 0;
            all = false;
        }
        pthread_mutex_lock(&o->lock);
        for (size_t i = 0; i < n_facts; i++) {
            if (nacked(o, fact_ids[i])) {
                all = false;
            } else {
                done[n_done++] = facts[i];
            }
        }
        pthread_mutex_unlock(&o->lock);
    }
    ack(o, done, n_done);
    if (atomic_exchange(&o->stream_full, false)) {
        /* every replica's request steps refuse (503) while this lasts
         * (services/common/lua/00_frame.lua): a full stream is never a
         * silent loss, and the outbox does not grow without end */
        const char *argv[] = {"SET", CC_OUTBOX_FULL_KEY, o->cfg->service, "PX", "3000"};
        freeReplyObject(cc_redis_command(o->redis, 5, argv, NULL));
        cc_log(CC_LOG_ERROR, "the event stream is full: requests answer 503 until it has room",
               NULL);
    }
    return all;
}

/* The entries after from ("0": our own still pending; ">": new ones, waiting
 * up to BLOCK_MS); NULL when none came, with *failed set if Redis did not
 * answer properly. */
static redisReply *read_group(struct cc_outbox *o, const char *from, bool block, bool *failed)
{
    char count[16];
    const char *argv[] = {"XREADGROUP", "GROUP",   GROUP,    o->cfg->instance, "COUNT", count,
                          "BLOCK",      BLOCK_MS,  "STREAMS", o->key,          from};
    const char *nb[] = {"XREADGROUP", "GROUP", GROUP,  o->cfg->instance, "COUNT",
                        count,        "STREAMS", o->key, from};
    redisReply *r;

    snprintf(count, sizeof(count), "%d", CC_OUTBOX_BATCH);
    r = block ? cc_redis_command(o->redis, 11, argv, NULL) : cc_redis_command(o->redis, 9, nb, NULL);
    *failed = r == NULL || r->type == REDIS_REPLY_ERROR;
    /* [[key, [entries]]] or nil when nothing came */
    if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
        r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2)
        return r;
    if (r != NULL && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOGROUP", 7) == 0) {
        /* the stream was lost (Redis restarted empty, FLUSHALL): make it again */
        const char *mk[] = {"XGROUP", "CREATE", o->key, GROUP, "0", "MKSTREAM"};
        freeReplyObject(cc_redis_command(o->redis, 6, mk, NULL));
    }
    freeReplyObject(r);
    return NULL;
}

/* Takes over entries another relay left pending too long (it died). */
static redisReply *claim(struct cc_outbox *o)
{
    char idle[16], count[16];
    const char *argv[] = {"XAUTOCLAIM", o->key, GROUP, o->cfg->instance, idle, "0-0",
                          "COUNT",      count};
    redisReply *r;

    snprintf(idle, sizeof(idle), "%d", CC_OUTBOX_CLAIM_MS);
    snprintf(count, sizeof(count), "%d", CC_OUTBOX_BATCH);
    r = cc_redis_command(o->redis, 8, argv, NULL);
    /* [next, [entries], [deleted]] */
    if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
        r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements > 0)
        return r;
    freeReplyObject(r);
    return NULL;
}

static void *run(void *arg)
{
    struct cc_outbox *o = arg;
    int64_t next_claim = 0;
    bool own_pending = true; /* at start, and after a failure: our own unacked entries first */

    while (!atomic_load(&o->stop)) {
        redisReply *r;
        bool ok = true;
        if (cc_mono_ms() >= next_claim) {
            next_claim = cc_mono_ms() + CLAIM_EVERY_MS;
            if ((r = claim(o)) != NULL) {
                ok = relay(o, r->element[1]);
                freeReplyObject(r);
            }
        }
        if (own_pending) {
            bool failed;
            r = read_group(o, "0", false, &failed);
            if (r != NULL) {
                const redisReply *list = r->element[0]->element[1];
                own_pending = list->elements > 0;
                ok = relay(o, list) && ok;
                freeReplyObject(r);
            } else {
                own_pending = failed;
                ok = !failed; /* Redis unreachable: pause */
            }
        } else {
            bool failed;
            r = read_group(o, ">", true, &failed);
            if (r != NULL)
                ok = relay(o, r->element[0]->element[1]) && ok;
            else
                ok = !failed;
            freeReplyObject(r);
        }
        if (!ok) {
            own_pending = true;
            cc_sleep_ms(RETRY_PAUSE_MS);
        }
    }
    return NULL;
}

cc_status cc_outbox_start(struct cc_outbox **op, const struct cc_config *cfg, struct cc_bus *bus,
                          const struct cc_outbox_builder *b, char *err, size_t errlen)
{
    struct cc_outbox *o = calloc(1, sizeof(*o));
    jsOptions jo;
    cc_status st;

    *op = NULL;
    if (o == NULL || (o->nacked = calloc(CC_OUTBOX_BATCH, sizeof(*o->nacked))) == NULL) {
        free(o);
        return CC_ERR_NOMEM;
    }
    o->cfg = cfg;
    o->bus = bus;
    o->b = *b;
    pthread_mutex_init(&o->lock, NULL);
    cc_outbox_key(o->key, sizeof(o->key), cfg->service);
    st = cc_redis_connect_auth(&o->redis, cfg->redis_url, cfg->redis_user, cfg->redis_password,
                               CC_REDIS_POOL_DEFAULT, CC_REDIS_TIMEOUT_MS, cfg->connect_timeout_ms,
                               err, errlen);
    if (st == CC_OK)
        st = cc_redis_script_add(o->redis, ack_lua, &o->ack_script, err, errlen);
    if (st == CC_OK) {
        const char *mk[] = {"XGROUP", "CREATE", o->key, GROUP, "0", "MKSTREAM"};
        redisReply *r = cc_redis_command(o->redis, 6, mk, NULL);
        if (r == NULL || (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0)) {
            snprintf(err, errlen, "outbox %s: cannot create the consumer group: %s", o->key,
                     r != NULL ? r->str : "Redis unreachable");
            st = CC_ERR_UNAVAILABLE;
        }
        freeReplyObject(r);
    }
    if (st == CC_OK) {
        jsOptions_Init(&jo);
        jo.PublishAsync.MaxPending = CC_OUTBOX_BATCH * 2;
        jo.PublishAsync.ErrHandler = on_nack;
        jo.PublishAsync.ErrHandlerClosure = o;
        if (natsConnection_JetStream(&o->js, cc_bus_nats(bus), &jo) != NATS_OK) {
            snprintf(err, errlen, "outbox: no JetStream context");
            st = CC_ERR_NATS;
        }
    }
    if (st == CC_OK && pthread_create(&o->thread, NULL, run, o) != 0)
        st = CC_ERR_IO;
    if (st != CC_OK) {
        cc_outbox_free(o);
        return st;
    }
    o->started = true;
    *op = o;
    return CC_OK;
}

void cc_outbox_stop(struct cc_outbox *o)
{
    if (o == NULL || !o->started)
        return;
    atomic_store(&o->stop, true);
    pthread_join(o->thread, NULL);
    o->started = false;
    /* while the connection is still up, so the library closes its ack
     * subscription itself */
    jsCtx_Destroy(o->js);
    o->js = NULL;
}

void cc_outbox_free(struct cc_outbox *o)
{
    if (o == NULL)
        return;
    cc_outbox_stop(o);
    jsCtx_Destroy(o->js);
    cc_redis_free(o->redis);
    pthread_mutex_destroy(&o->lock);
    free(o->nacked);
    free(o);
}
