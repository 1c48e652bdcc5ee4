/* queue: context and life cycle. See queue.h. */
#include "queue.h"
#include "cc_events.h"
#include "events.h"
#include "lua_queue.h"
#include "timer.h"

#include <stdlib.h>

struct queue_all {
    struct queue q;
    struct cc_outbox_builder builder;
};

cc_status queue_start(struct queue **qp, struct cc_bus *bus, struct cc_redis *redis,
                      const struct cc_config *cfg, char *err, size_t errlen)
{
    const char *const lua[Q_SCRIPT_COUNT] = {
        [Q_CREATE] = queue_lua_create,       [Q_ANSWER] = queue_lua_answer,
        [Q_EXPIRE] = queue_lua_expire,       [Q_END] = queue_lua_end,
        [Q_PENDING] = queue_lua_pending,     [Q_RECONCILE] = queue_lua_reconcile,
        [Q_FOLLOWUPS] = queue_lua_followups, [Q_IDLE] = queue_lua_idle,
        [Q_CHAT] = queue_lua_chat,           [Q_TRANSFER] = queue_lua_transfer,
        [Q_XCANCEL] = queue_lua_transfer_cancel, [Q_CLOSE] = queue_lua_close,
        [Q_HOLDS] = queue_lua_holds,         [Q_RECORDING] = queue_lua_recording,
    };
    struct queue_all *a = calloc(1, sizeof(*a));
    struct queue *q = &a->q;
    cc_status st = a != NULL ? CC_OK : CC_ERR_NOMEM;

    *qp = NULL;
    if (st != CC_OK)
        return st;
    q->bus = bus;
    q->redis = redis;
    q->cfg = cfg;
    cc_step_frame_init(&q->frame, redis, cfg->service, cfg->idempotency_ttl_s, cfg->outbox_max);
    for (int i = 0; st == CC_OK && i < Q_SCRIPT_COUNT; i++)
        st = cc_redis_script_add(redis, lua[i], &q->script[i], err, errlen);
    if (st == CC_OK)
        st = cc_events_ensure(bus, cfg, err, errlen);
    if (st == CC_OK)
        st = queue_events_builder(&a->builder, q);
    if (st == CC_OK)
        st = cc_outbox_start(&q->outbox, cfg, bus, &a->builder, err, errlen);
    if (st == CC_OK)
        st = queue_presence_start(&q->presence, q, err, errlen);
    if (st == CC_OK)
        st = queue_timer_start(&q->timer, q);
    if (st != CC_OK) {
        queue_free(q);
        return st;
    }
    *qp = q;
    return CC_OK;
}

cc_status queue_serve(struct queue *q)
{
    return queue_handlers_subscribe(q);
}

void queue_stop(struct queue *q)
{
    if (q == NULL)
        return;
    queue_timer_free(q->timer);
    q->timer = NULL;
    queue_presence_stop(q->presence);
    cc_outbox_stop(q->outbox);
}

void queue_free(struct queue *q)
{
    struct queue_all *a = (struct queue_all *)q;

    if (q == NULL)
        return;
    queue_stop(q);
    queue_presence_free(q->presence);
    cc_outbox_free(q->outbox);
    queue_events_builder_free(&a->builder);
    free(a);
}
