/*
 * step: one Lua step of the queue (cc_step.h), with the queue's first
 * argument, the heartbeat cutoff (a staff member last seen before it is not
 * available, R7.1), put in front of the script's own arguments.
 */
#ifndef QUEUE_STEP_H
#define QUEUE_STEP_H
#include "cc_step.h"
#include "queue.h"

cc_status queue_step(struct queue *q, enum queue_script script, const Cc__RequestMeta *meta,
                     int n, const char **args, const size_t *lens, redisReply **out);

#define queue_step_result cc_step_result
#define queue_step_str cc_step_str

#endif
