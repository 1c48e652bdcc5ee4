/*
 * phones: staff SIP phones (docs/sip.md, "Staff phones").
 *
 *   REGISTER   digest against the staff member's sip_ha1 (auth.c), their
 *              bindings in cc:reg:<sid> (lua/reg.lua, rules in contact.c)
 *   ringing    when a call is offered to a staff member, an INVITE to each
 *              of their bindings: a ring (cc:ring:<id>, lua/ring_set.lua)
 *              with a media leg of its own on the caller's media node
 *   answer     a phone's 2xx (ACKed by the SIP thread) is the staff
 *              member's answer through the same atomic step as the console
 *              (cc.queue.answer, keyed by the ring so a retransmitted 2xx is
 *              one answer): won: 200 OK to the caller, the two legs bridged,
 *              every other ring cancelled; lost: BYE to that phone
 *   the end    CANCEL to rings still ringing when the call is answered
 *              elsewhere or ends; BYE from the phone ends the call as staff;
 *              BYE to the phone when the caller or an operator ends it
 *
 * Requests and ring responses run on the workers (work.c), the ringing and
 * the end on the facts thread too: every change is one ring_set step from
 * the states it may leave, so a 2xx that crosses our CANCEL, or two phones
 * answering at once, are settled in Redis.
 */
#ifndef INGRESS_PHONES_H
#define INGRESS_PHONES_H
#include "callstore.h"
#include "ingress.h"
#include "sip.h"

/* Workers: a REGISTER; a ring's 2xx or final error. r stays the caller's. */
void phones_on_register(struct ingress *in, const struct sip_req *r);
void phones_on_ring_ok(struct ingress *in, const struct sip_req *r);
void phones_on_ring_failed(struct ingress *in, const struct sip_req *r);
/* A BYE: true when it was in a phone's dialog (then it is answered). */
bool phones_on_bye(struct ingress *in, const struct sip_req *r);
/* A re-INVITE in a staff phone's dialog (it holds or resumes, or moves):
 * its media leg follows the new SDP, 200 with ours. False when r is in no
 * ring's dialog (r not answered). */
bool phones_on_reinvite(struct ingress *in, const struct sip_req *r);

/* Staff member sid's registered phones now (lua/reg.lua, only reading): the
 * reply {'ok', contact, seconds left, contact, ...} into *out (freed with
 * freeReplyObject). CC_ERR_UNAVAILABLE: Redis did not answer. */
cc_status phones_bindings(struct ingress *in, const char *sid, redisReply **out);

/* Rings every binding of staff member sid for call c (offering). Rings
 * that exist already (a fact delivered again) are not made twice.
 * CC_ERR_UNAVAILABLE: Redis did not answer; try again. */
cc_status phones_ring(struct ingress *in, const struct call *c, const char *sid);
/* The same for a later offer (cc.note.enquiry.offered): a phone whose ring
 * of this call is over (cancelled after a withdrawal, ended) rings anew; one
 * still ringing or answered is left as it is. */
cc_status phones_ring_again(struct ingress *in, const struct call *c, const char *sid);

/* CANCEL to every ring of call id still ringing (only staff sid's when
 * sid is not NULL). */
void phones_stop_ringing(struct ingress *in, const char *call_id, const char *sid);

/* CANCEL to every ring of call id still ringing whose staff member is not
 * one of offered (an array reply of staff ids). */
void phones_ring_only(struct ingress *in, const char *call_id, const redisReply *offered);

/* Staff member sid's phone that is in call c (the call's answered ring)
 * leaves it: BYE, its media leg released, which unbridges the caller (a
 * transfer: the sender is free). Nothing when the call's phone is not
 * theirs. CC_ERR_UNAVAILABLE: Redis did not answer. */
cc_status phones_leave(struct ingress *in, const struct call *c, const char *sid, const char *why);

/* The call ends: CANCEL to the rings still ringing, BYE to an answered
 * phone, its media leg released. */
void phones_hangup(struct ingress *in, const char *call_id, const char *why);

#endif
