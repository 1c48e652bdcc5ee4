/*
 * control: call controls for the staff member in a call (docs/sip.md,
 * "Call controls"): cc.ingress.control (CallControlRequest ->
 * CallControlReply, queue group "ingress", so any replica answers).
 *
 * A request is checked against Redis: the enquiry's call (cc:call:enq:<id>,
 * else ERR_NOT_FOUND for no enquiry, ERR_CONFLICT for an enquiry that is no
 * phone call), the staff member in it (the answered ring's staff, or the
 * enquiry's answered_by when no phone took it: anyone else ERR_DENIED),
 * answered and bridged to a staff phone (else ERR_CONFLICT). Then the
 * call's media node is told (hold/unhold on the bridge, mute/unmute of the
 * staff leg, dtmf to the caller leg, record_start/record_stop), and the
 * control state (held, muted, recording, record_path) is stored in
 * cc:call:<id> by a call_set step, so every replica answers the same. A
 * recording's path also goes on the enquiry (cc.queue.recording) before
 * the answer.
 *
 * Handlers run on nats.c's thread for the subject (blocking requests to
 * Redis, media and queue); they touch only the thread-safe bus and redis.
 */
#ifndef INGRESS_CONTROL_H
#define INGRESS_CONTROL_H
#include <stdbool.h>
#include <stddef.h>
#include "cc_status.h"
#include "ingress.h"

#define CONTROL_DIGITS_MAX 32

/* Whether digits (len bytes, not NUL-terminated) are 1-32 of 0-9 * # A-D:
 * what media sends as RFC 4733 events. */
bool control_digits_valid(const char *digits, size_t len);

/* Subscribes cc.ingress.control; the subscription lives until the bus drains. */
cc_status control_start(struct ingress *in);

#endif
