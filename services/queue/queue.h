/*
 * queue: the service's context, shared by its modules (handlers, timer,
 * events), and its life cycle.
 *
 *   handlers.c  the NATS request handlers (queue group "queue")
 *   step.c      running a Lua step (lua/<name>.lua) in its frame: request record,
 *               deadline, outbox
 *   timer.c     the deadline, follow-up and idle-chat timer thread
 *   events.c    outbox entries -> cc.Event (for the relay), and reacting to
 *               presence.changed from a JetStream consumer
 *   codec.c     the enquiry hash -> cc.Enquiry
 *
 * Every state change is one Lua step that also appends its events to the
 * outbox; nothing here publishes a domain event itself.
 */
#ifndef QUEUE_QUEUE_H
#define QUEUE_QUEUE_H
#include "cc_bus.h"
#include "cc_config.h"
#include "cc_outbox.h"
#include "cc_redis.h"
#include "cc_step.h"

enum queue_script {
    Q_CREATE,
    Q_ANSWER,
    Q_EXPIRE,
    Q_END,
    Q_PENDING,
    Q_RECONCILE,
    Q_FOLLOWUPS,
    Q_IDLE,
    Q_CHAT,
    Q_TRANSFER,
    Q_XCANCEL,
    Q_CLOSE,
    Q_HOLDS,
    Q_RECORDING,
    Q_SCRIPT_COUNT
};

struct queue_timer;
struct queue_presence;

/* Shared by every thread of the service; immutable after queue_start except
 * through the thread-safe objects it points to. */
struct queue {
    struct cc_bus *bus;
    struct cc_redis *redis;
    const struct cc_config *cfg;
    int script[Q_SCRIPT_COUNT];
    struct cc_step_frame frame;
    struct cc_outbox *outbox;
    struct queue_timer *timer;
    struct queue_presence *presence;
};

/* Registers the scripts, starts the outbox relay, the timer and the presence
 * consumer. bus, redis and cfg are borrowed until queue_free. */
cc_status queue_start(struct queue **qp, struct cc_bus *bus, struct cc_redis *redis,
                      const struct cc_config *cfg, char *err, size_t errlen);
/* Subscribes the request handlers. */
cc_status queue_serve(struct queue *q);
/* Stops the threads (before the bus drains). */
void queue_stop(struct queue *q);
/* After the bus is drained. Accepts NULL. */
void queue_free(struct queue *q);

/* handlers.c */
cc_status queue_handlers_subscribe(struct queue *q);

#endif
