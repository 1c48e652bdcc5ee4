/*
 * events: the queue's side of its events.
 *
 * - The outbox builder: an entry appended by a Lua step (fields enquiry (the
 *   JSON snapshot), staff, reason, offered, withdrawn, message) -> cc.Event,
 *   for the relay (cc_outbox). Called on the relay thread only.
 * - Offers follow availability (R8.1, R8.2): presence.changed facts are read
 *   from the durable JetStream consumer "queue-presence" (replicas share it;
 *   an event is acknowledged only after its reconcile step ran), so a queue
 *   that was down or cut off from NATS catches up instead of missing them.
 */
#ifndef QUEUE_EVENTS_H
#define QUEUE_EVENTS_H
#include "cc_outbox.h"
#include "queue.h"

#define QUEUE_PRESENCE_DURABLE "queue-presence"

/* The builder for cc_outbox_start; its scratch lives in *scratch (freed by
 * queue_events_builder_free). */
cc_status queue_events_builder(struct cc_outbox_builder *b, struct queue *q);
void queue_events_builder_free(struct cc_outbox_builder *b);

/* Binds the durable consumer and starts its thread. */
cc_status queue_presence_start(struct queue_presence **pp, struct queue *q, char *err,
                               size_t errlen);
void queue_presence_stop(struct queue_presence *p);
void queue_presence_free(struct queue_presence *p);

#endif
