/*
 * events: what the packet loops and the recording writer report, published
 * on NATS by a thread of its own (nothing of NATS on the packet path).
 *
 *   cc.evt.media.dtmf        a digit from a leg's phone (RFC 4733)    fact
 *   cc.evt.media.leg_ended   a leg ended by media (reason
 *                            "media_timeout")                         fact
 *   cc.evt.media.recorded    a recording finished: its path, length   fact
 *   cc.note.media.stats      every leg's counters, every
 *                            MEDIA_STATS_PERIOD_MS                    notification
 *
 * Facts are cc.Event messages into the JetStream stream CC_EVENTS (calllog
 * stores them; ingress reacts from a consumer), with Nats-Msg-Id = event id,
 * retried while JetStream does not acknowledge. Media changes no Redis
 * state with them, so they do not go through an outbox. The stats are a
 * notification on core NATS: a sample that is stale by the next one, not
 * history, and at one message per node every few seconds they would only
 * fill the stream.
 */
#ifndef MEDIA_EVENTS_H
#define MEDIA_EVENTS_H
#include <stddef.h>
#include <stdint.h>
#include "cc_bus.h"
#include "cc_config.h"
#include "leg.h"

#define MEDIA_STATS_PERIOD_MS 5000
#define MEDIA_EVENTS_QUEUE_MAX 10000 /* facts waiting for JetStream; beyond, the oldest go */

enum { MEV_DTMF = 1, MEV_LEG_ENDED, MEV_RECORDED };

struct media_event {
    int kind;
    int64_t wall_ms;
    struct media_leg_info leg;    /* DTMF, LEG_ENDED: the leg */
    char reason[32];              /* LEG_ENDED */
    char digit;                   /* DTMF */
    int duration_ms;              /* DTMF */
    char path[MEDIA_PATH_MAX];    /* RECORDED */
    int64_t record_ms;            /* RECORDED */
    char caller_leg[LEG_ID_MAX], staff_leg[LEG_ID_MAX]; /* RECORDED */
    struct media_event *next;
};

/* What the publisher asks of the control plane (control.h), on its thread. */
struct media_events_hooks {
    void *arg;
    /* a leg the loop ended is gone: forget it, free its ports */
    void (*leg_gone)(void *arg, const char *leg_id, uint64_t serial);
    /* every leg of the node; *out is freed by the caller (free()) */
    size_t (*list)(void *arg, struct media_leg_info **out);
};

struct media_events;

/* bus and cfg are borrowed until media_events_stop. */
cc_status media_events_start(struct media_events **ep, struct cc_bus *bus,
                             const struct cc_config *cfg);
/* Set once, before the first post (control.c does it when it starts). */
void media_events_set_hooks(struct media_events *e, const struct media_events_hooks *h);
/* Any thread; takes ev (malloc'd). */
void media_events_post(struct media_events *e, struct media_event *ev);
/* Publishes what is queued (a few seconds at most), stops. Accepts NULL. */
void media_events_stop(struct media_events *e);

#endif
