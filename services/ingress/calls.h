/*
 * calls: what happens to a call from the trunk.
 *
 *   calls_on_request  a worker thread (work.c), for each INVITE, re-INVITE,
 *                     BYE and CANCEL the SIP thread handed over: who may
 *                     call (trunks), which number, the media leg, the
 *                     enquiry (cc.queue.create), the call in Redis, the
 *                     answer (sip_reply)
 *   calls_on_fact     the facts consumer's thread (facts.c), for each
 *                     enquiry fact about a call: answered -> 200 OK with
 *                     SDP, missed -> 480, cancelled -> 480, ended -> BYE
 *
 * Each change of a call is one call_set() step from the states it may
 * leave, so when the caller's CANCEL and a staff answer cross (on two
 * threads or two replicas), one of them wins and the other sees it.
 */
#ifndef INGRESS_CALLS_H
#define INGRESS_CALLS_H
#include "event.pb-c.h"
#include "ingress.h"
#include "sdp.h"
#include "sip.h"

/* r stays the caller's. */
void calls_on_request(struct ingress *in, const struct sip_req *r);

/* A worker, for a notification (notes.c, SIP_REQ_NOTE_*): when this replica
 * holds the INVITE of the call of enquiry r->call_id, offered rings staff
 * r->to_user's phones (the call still offering), withdrawn cancels their
 * rings still ringing. Anything else is ignored. */
void calls_on_note(struct ingress *in, const struct sip_req *r);

/* A worker, for a resync (resync.c, SIP_REQ_RESYNC): when this replica
 * holds the INVITE of the call of enquiry r->call_id and it still waits,
 * the offered staff (cc:enq:<id>:offered) whose phones have no ring of it
 * ring, and rings still ringing of staff no longer offered get CANCEL. */
void calls_on_resync(struct ingress *in, const struct sip_req *r);

enum fact_result {
    FACT_DONE,  /* acknowledge */
    FACT_RETRY, /* a server did not answer, or the call is another replica's
                 * and it has not taken it yet: deliver again later */
};

/* SHA-256 of a "\n" b as hex: the idempotency keys of our requests. */
void calls_key(char out[65], const char *a, const char *b);

struct call;
/* Ends call c's enquiry (cc.queue.end): as its caller (the visitor token:
 * a pending one is cancelled, an answered one ended), or as staff_id when
 * not NULL (the staff member hung up). Ended already is fine. */
cc_status calls_enquiry_end(struct ingress *in, const struct call *c, const char *staff_id);
/* The same with an end reason the queue records instead of the actor's
 * ("media_timeout"); NULL or "" as calls_enquiry_end. */
cc_status calls_enquiry_end_why(struct ingress *in, const struct call *c, const char *staff_id,
                                const char *reason);

/* A re-INVITE r in a dialog whose media is leg leg_id on node: the leg
 * follows r's SDP offer (address, codec; a=sendonly / inactive / c=0.0.0.0
 * holds: media sends it nothing), and answer gets our SDP (the leg's
 * address and port, o= sdp_session_id(leg_id) and version, the direction
 * mirrored). 0, or the status to answer r with (488, 503, 500), why said.
 * The caller stores the version and answers. */
int calls_reanswer(struct ingress *in, const struct sip_req *r, const char *node,
                   const char *leg_id, unsigned version, char answer[SDP_ANSWER_MAX], char *why,
                   size_t whylen);

/* delivered: how many times JetStream has delivered this fact (1 first). */
enum fact_result calls_on_fact(struct ingress *in, const Cc__Event *ev, int delivered);

#endif
