/*
 * cc_step: calling a state-changing Lua step in the frame every such script
 * of the project shares (services/common/lua/00_frame.lua): KEYS[1] the
 * service's outbox, KEYS[2] the request record, then ARGV: a fresh event id
 * base, now, the request's fingerprint and deadline, the record's lifetime
 * and the outbox's cap, then the script's own arguments.
 *
 * The reply comes back only when Redis answered the script with an array or
 * an integer; everything else (no connection, a timeout, LOADING, BUSY, an
 * error reply) is CC_ERR_UNAVAILABLE, never "not found". A call that timed
 * out is not sent again (cc_redis never re-sends a written command): its
 * result, if it ran, is recorded under the request key, and a retry of the
 * request with the same key returns it.
 */
#ifndef CC_STEP_H
#define CC_STEP_H
#include <stdint.h>
#include "cc_redis.h"
#include "common.pb-c.h"

#define CC_STEP_MAX_ARGS 16          /* on the stack; more are copied to the heap */
#define CC_STEP_MAX_ARGS_HEAP 1000000 /* the most a step takes (the directory mirror's list) */

/* What is the same for every step of a service. */
struct cc_step_frame {
    struct cc_redis *redis; /* borrowed */
    char outbox_key[96];    /* cc:outbox:<service> */
    char record_prefix[48]; /* cc:req:<service>: */
    int record_ttl_s;
    int outbox_max;
};

/* Fills f for service from cfg's CC_IDEMPOTENCY_TTL_S and CC_OUTBOX_MAX. */
void cc_step_frame_init(struct cc_step_frame *f, struct cc_redis *redis, const char *service,
                        int record_ttl_s, int outbox_max);

/*
 * Runs script (a cc_redis script id) with args[0..n) after the frame (lens
 * NULL: C strings; n at most CC_STEP_MAX_ARGS_HEAP, borrowed for the call). meta may be NULL (a timer's step, a read, a change that
 * is idempotent by nature). On CC_OK *out is the reply (caller frees with
 * freeReplyObject). The frame's refusals come back as CC_ERR_MISMATCH (same
 * key, another request), CC_ERR_TIMEOUT (past the request's deadline:
 * nothing done) and CC_ERR_UNAVAILABLE (the outbox is full).
 */
cc_status cc_step_call(const struct cc_step_frame *f, int script, const Cc__RequestMeta *meta,
                       int n, const char **args, const size_t *lens, redisReply **out);

/* The result word of a step's reply ("" when there is none), and element i
 * as a string ("" when absent); borrowed from r. */
const char *cc_step_result(const redisReply *r);
const char *cc_step_str(const redisReply *r, size_t i);

#endif
