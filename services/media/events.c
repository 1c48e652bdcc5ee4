/* events: media's events onto NATS, off the packet path. See events.h. */
#include "events.h"
#include "cc_id.h"
#include "cc_log.h"
#include "cc_time.h"
#include "event.pb-c.h"
#include "pb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ACK_WAIT_MS 2000
#define RETRY_MS 1000
#define STOP_BUDGET_MS 3000

struct media_events {
    struct cc_bus *bus;
    const struct cc_config *cfg;
    pthread_t thread;
    pthread_mutex_t lock; /* guards the queue, stopping and hooks */
    pthread_cond_t wake;
    struct media_event *head, *tail;
    size_t n;
    bool stopping;
    struct media_events_hooks hooks;
};

static const char *type_of(int kind)
{
    return kind == MEV_DTMF ? "media.dtmf" : kind == MEV_LEG_ENDED ? "media.leg_ended" : "media.recorded";
}

/* Packs ev as a cc.Event and sends it into JetStream; false when not acked. */
static bool publish_fact(struct media_events *e, const struct media_event *ev, const char *id)
{
    Cc__Event msg = CC__EVENT__INIT;
    Cc__MediaReport rep = CC__MEDIA_REPORT__INIT;
    struct media_pb_leg pl, pl2[2];
    Cc__MediaLeg *legs[1], *legs2[2];
    struct media_leg_info two[2];
    char subject[96], digit[2] = {ev->digit, '\0'};
    size_t n;
    uint8_t *buf;
    natsMsg *m = NULL;
    jsPubOptions po;
    jsPubAck *ack = NULL;
    jsErrCode code = 0;
    bool ok;

    msg.id = (char *)id;
    msg.ts_ms = ev->wall_ms;
    msg.type = (char *)type_of(ev->kind);
    msg.source = (char *)e->cfg->service;
    msg.instance = (char *)e->cfg->instance;
    msg.reason = (char *)ev->reason;
    msg.body_case = CC__EVENT__BODY_MEDIA;
    msg.media = &rep;
    if (ev->kind != MEV_RECORDED) {
        media_pb_leg(&pl, &ev->leg, e->cfg->media_addr);
        legs[0] = &pl.leg;
        rep.legs = legs;
        rep.n_legs = 1;
    }
    if (ev->kind == MEV_DTMF) {
        rep.digit = digit;
        rep.duration_ms = ev->duration_ms;
    }
    if (ev->kind == MEV_RECORDED || ev->path[0] != '\0')
        rep.record_path = (char *)ev->path;
    rep.record_ms = ev->record_ms;
    if (ev->kind == MEV_RECORDED) { /* the two legs, by id and role */
        memset(two, 0, sizeof(two));
        snprintf(two[0].leg_id, LEG_ID_MAX, "%s", ev->caller_leg);
        two[0].role = ROLE_CALLER;
        snprintf(two[1].leg_id, LEG_ID_MAX, "%s", ev->staff_leg);
        two[1].role = ROLE_STAFF;
        for (int i = 0; i < 2; i++) {
            media_pb_leg(&pl2[i], &two[i], e->cfg->media_addr);
            legs2[i] = &pl2[i].leg;
        }
        rep.legs = legs2;
        rep.n_legs = 2;
    }
    snprintf(subject, sizeof(subject), "cc.evt.%s", msg.type);
    n = cc__event__get_packed_size(&msg);
    buf = malloc(n ? n : 1);
    if (buf == NULL)
        return false;
    cc__event__pack(&msg, buf);
    jsPubOptions_Init(&po);
    po.MaxWait = ACK_WAIT_MS;
    ok = natsMsg_Create(&m, subject, NULL, (const char *)buf, (int)n) == NATS_OK &&
         natsMsgHeader_Set(m, "Nats-Msg-Id", id) == NATS_OK &&
         js_PublishMsg(&ack, cc_bus_js(e->bus), m, &po, &code) == NATS_OK;
    jsPubAck_Destroy(ack);
    natsMsg_Destroy(m);
    free(buf);
    return ok;
}

static void publish_stats(struct media_events *e, const struct media_events_hooks *h)
{
    struct media_leg_info *infos = NULL;
    struct media_pb_leg *pl;
    Cc__MediaLeg **legs;
    Cc__Event msg = CC__EVENT__INIT;
    Cc__MediaReport rep = CC__MEDIA_REPORT__INIT;
    char id[CC_ID_LEN];
    size_t n = h->list != NULL ? h->list(h->arg, &infos) : 0;

    if (n == 0) {
        free(infos);
        return;
    }
    pl = calloc(n, sizeof(*pl));
    legs = calloc(n, sizeof(*legs));
    if (pl != NULL && legs != NULL) {
        for (size_t i = 0; i < n; i++) {
            media_pb_leg(&pl[i], &infos[i], e->cfg->media_addr);
            legs[i] = &pl[i].leg;
        }
        cc_id_new(id);
        msg.id = id;
        msg.ts_ms = cc_wall_ms();
        msg.type = "media.stats";
        msg.source = (char *)e->cfg->service;
        msg.instance = (char *)e->cfg->instance;
        msg.body_case = CC__EVENT__BODY_MEDIA;
        msg.media = &rep;
        rep.legs = legs;
        rep.n_legs = n;
        if (cc_bus_publish(e->bus, "cc.note.media.stats", &msg.base) != CC_OK)
            cc_log(CC_LOG_DEBUG, "media stats not published", NULL);
    }
    free(legs);
    free(pl);
    free(infos);
}

static void timed_wait(struct media_events *e, int64_t until_wall_ms)
{
    struct timespec ts = {.tv_sec = until_wall_ms / 1000, .tv_nsec = until_wall_ms % 1000 * 1000000};
    pthread_cond_timedwait(&e->wake, &e->lock, &ts);
}

static void *publisher_main(void *arg)
{
    struct media_events *e = arg;
    int64_t next_stats = cc_wall_ms() + MEDIA_STATS_PERIOD_MS, stop_by = 0, retry_at = 0;
    char id[CC_ID_LEN];
    struct media_event *pending_id_for = NULL;

    pthread_mutex_lock(&e->lock);
    for (;;) {
        struct media_events_hooks h = e->hooks;
        struct media_event *ev = NULL;
        int64_t now = cc_wall_ms();

        if (e->stopping && stop_by == 0)
            stop_by = now + STOP_BUDGET_MS;
        if (e->stopping && (e->head == NULL || now >= stop_by))
            break;
        if (e->head != NULL && now >= retry_at) {
            ev = e->head;
        } else if (now < next_stats) {
            int64_t until = e->head != NULL && retry_at < next_stats ? retry_at : next_stats;
            timed_wait(e, until);
            continue;
        }
        pthread_mutex_unlock(&e->lock);
        if (ev != NULL) {
            bool ok;
            if (pending_id_for != ev) { /* one id per event, kept over retries (deduplicated) */
                cc_id_new(id);
                pending_id_for = ev;
                if (ev->kind == MEV_LEG_ENDED && h.leg_gone != NULL)
                    h.leg_gone(h.arg, ev->leg.leg_id, ev->leg.serial);
            }
            ok = publish_fact(e, ev, id);
            pthread_mutex_lock(&e->lock);
            if (ok) {
                e->head = ev->next;
                if (e->head == NULL)
                    e->tail = NULL;
                e->n--;
                pending_id_for = NULL;
                free(ev);
            } else {
                retry_at = cc_wall_ms() + RETRY_MS;
                cc_log(CC_LOG_WARN, "media event not stored yet, retrying", "type",
                       type_of(ev->kind), NULL);
            }
            pthread_mutex_unlock(&e->lock);
        }
        if (cc_wall_ms() >= next_stats) {
            publish_stats(e, &h);
            next_stats = cc_wall_ms() + MEDIA_STATS_PERIOD_MS;
        }
        pthread_mutex_lock(&e->lock);
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

cc_status media_events_start(struct media_events **ep, struct cc_bus *bus,
                             const struct cc_config *cfg)
{
    struct media_events *e = calloc(1, sizeof(*e));
    pthread_condattr_t ca;

    *ep = NULL;
    if (e == NULL)
        return CC_ERR_NOMEM;
    e->bus = bus;
    e->cfg = cfg;
    pthread_mutex_init(&e->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_cond_init(&e->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&e->thread, NULL, publisher_main, e) != 0) {
        pthread_cond_destroy(&e->wake);
        pthread_mutex_destroy(&e->lock);
        free(e);
        return CC_ERR_IO;
    }
    *ep = e;
    return CC_OK;
}

void media_events_set_hooks(struct media_events *e, const struct media_events_hooks *h)
{
    pthread_mutex_lock(&e->lock);
    e->hooks = *h;
    pthread_mutex_unlock(&e->lock);
}

void media_events_post(struct media_events *e, struct media_event *ev)
{
    struct media_event *drop = NULL;

    ev->next = NULL;
    pthread_mutex_lock(&e->lock);
    if (e->n >= MEDIA_EVENTS_QUEUE_MAX && e->head != NULL) {
        /* the oldest droppable one after the head (which may be in the
         * middle of a publish); leg_ended is never dropped: its leg must be
         * forgotten to free its ports, and there are at most as many as
         * ports */
        for (struct media_event *p = e->head; p->next != NULL; p = p->next) {
            if (p->next->kind != MEV_LEG_ENDED) {
                drop = p->next;
                p->next = drop->next;
                if (e->tail == drop)
                    e->tail = p;
                e->n--;
                break;
            }
        }
    }
    if (e->tail != NULL)
        e->tail->next = ev;
    else
        e->head = ev;
    e->tail = ev;
    e->n++;
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->lock);
    if (drop != NULL) {
        cc_log(CC_LOG_ERROR, "media event dropped: JetStream has not taken events for too long",
               "type", type_of(drop->kind), NULL);
        free(drop);
    }
}

void media_events_stop(struct media_events *e)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&e->lock);
    e->stopping = true;
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->lock);
    pthread_join(e->thread, NULL);
    while (e->head != NULL) {
        struct media_event *next = e->head->next;
        cc_log(CC_LOG_WARN, "media event not stored at stop", "type", type_of(e->head->kind), NULL);
        free(e->head);
        e->head = next;
    }
    pthread_cond_destroy(&e->wake);
    pthread_mutex_destroy(&e->lock);
    free(e);
}
