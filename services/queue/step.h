/*
 * step: one Lua step of the queue, called in the frame every script shares
 * (services/common/lua/00_frame.lua): the outbox key, the request record,
 * a fresh event id base, now, the request's fingerprint and deadline, and
 * the heartbeat cutoff as the queue's first argument.
 *
 * The reply comes back only when Redis answered the script with an array;
 * everything else (no connection, a timeout, LOADING, BUSY, an error reply)
 * is CC_ERR_UNAVAILABLE: never "not found". A call that timed out is not
 * sent again: its result, if it ran, is recorded under the request key and
 * a retry of the request with the same key returns it.
 */
#ifndef QUEUE_STEP_H
#define QUEUE_STEP_H
#include "enquiry.pb-c.h"
#include "queue.h"

/* Runs script with args[0..n) after the frame (lens NULL: C strings). meta
 * may be NULL (a timer's step or a read). On CC_OK *out is an array reply
 * whose first element, when a string, is the step's result word; the caller
 * frees it with freeReplyObject. Refusals of the frame come back as
 * CC_ERR_MISMATCH (same key, other body: 422), CC_ERR_TIMEOUT
 * (past the request's deadline: nothing done) or CC_ERR_UNAVAILABLE (the
 * outbox is full). */
cc_status queue_step(struct queue *q, enum queue_script script, const Cc__RequestMeta *meta,
                     int n, const char **args, const size_t *lens, redisReply **out);

/* The result word of a step's reply ("" when there is none). */
const char *queue_step_result(const redisReply *r);
/* Element i of the reply as a string ("" when absent). */
const char *queue_step_str(const redisReply *r, size_t i);

#endif
