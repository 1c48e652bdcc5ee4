/*
 * timer: the queue's clock. Every 100 ms it runs the expire (maximum waits,
 * R3; transfers nobody took, R14), follow-up (R7.2) and idle-chat steps.
 * Any replica may run them: each step takes what is due out of its Redis
 * sorted set in the same atomic step that acts on it, so each fires once.
 * Their events go through the outbox like every other step's, so a step
 * whose reply was lost (Redis stalled past the timeout) has still told
 * everyone what it did.
 */
#ifndef QUEUE_TIMER_H
#define QUEUE_TIMER_H
#include "queue.h"

cc_status queue_timer_start(struct queue_timer **tp, struct queue *q);
/* Joins the thread. Accepts NULL. */
void queue_timer_free(struct queue_timer *t);

#endif
