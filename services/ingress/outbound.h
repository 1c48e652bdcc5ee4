/*
 * outbound: calls a staff member makes through the carrier trunk
 * (POST /api/v1/calls; docs/api.md "Outbound calls", docs/sip.md
 * "Outbound calls").
 *
 *   create   cc.ingress.call.create (a nats.c thread): the numbers, the
 *            channel of from_number, the trunk with an outbound_uri, the
 *            call (lua/out_new.lua, the Idempotency-Key's record: a retry
 *            returns the first call and dials nothing), the staff member's
 *            bindings, the activity "making an outbound call" in presence
 *            (refused there when they cannot make one), then every binding
 *            rings (phones_ring: the call's `caller` is the number dialled)
 *   staff    the staff phone's 2xx (phones.c hands it over): the carrier
 *            leg on the same media node and the INVITE to the trunk
 *            (sip_dial: Request-URI sip:<to>@<outbound_uri host>, From the
 *            channel's number, the trunk's digest credentials)
 *   carrier  180/183 -> ringing; 2xx -> answered, the two legs bridged;
 *            >= 300 -> ended (the staff phone gets BYE)
 *   the end  outbound_end from any side (DELETE, a BYE from either phone,
 *            an error): every change is one call_set step from the states
 *            it may leave, so it happens once; CANCEL or BYE to the
 *            carrier, CANCEL or BYE to the staff phone, both legs
 *            released, the activity cleared (as the system, with the
 *            reason; presence's sweep clears it too once the call has
 *            ended or is gone, if ingress died first)
 *
 * States of an outbound call: new -> calling_staff -> dialing -> ringing ->
 * answered -> ended (any -> ended).
 */
#ifndef INGRESS_OUTBOUND_H
#define INGRESS_OUTBOUND_H
#include <stdbool.h>
#include "callstore.h"
#include "ingress.h"
#include "sip.h"

#define OUTBOUND_DIAL_PREFIX "dial:" /* the SIP thread's id of a carrier INVITE: dial:<call id> */

/* Subscribes cc.ingress.call.{create,get,hangup} (queue group "ingress"). */
cc_status outbound_start(struct ingress *in);

/* Whether call c is an outbound call. */
bool outbound_is(const struct call *c);

/* phones.c: staff phone ring `ring` of outbound call c answered (its SDP
 * taken, its ring 'answering'). False: too late (another phone, or the
 * call ended): the caller ends the ring with BYE. */
bool outbound_on_staff_answer(struct ingress *in, const char *ring, const struct call *c);
/* phones.c: a staff phone of outbound call call_id stopped ringing
 * without answering: when none rings any more, the call ends. */
void outbound_on_ring_failed(struct ingress *in, const char *call_id);

/* Workers: the carrier's answers to a dial (r->ring starts with
 * OUTBOUND_DIAL_PREFIX): RING_PROGRESS, RING_OK, RING_FAILED. */
void outbound_on_dial(struct ingress *in, const struct sip_req *r);

/* Ends outbound call id (from whatever state it is in) for why. True when
 * this call ended it. */
bool outbound_end(struct ingress *in, const char *id, const char *why);

#endif
