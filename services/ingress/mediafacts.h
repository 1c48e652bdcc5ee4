/*
 * mediafacts: media's facts ingress reacts to, from the JetStream durable
 * consumer "ingress-media" (cc.evt.media.>, shared by the replicas).
 *
 * cc.evt.media.leg_ended with reason media_timeout (media released a leg
 * that received no RTP for CC_MEDIA_TIMEOUT_S, hold not counted) of a
 * leg of an answered call ends that call: BYE to the caller and to the
 * staff phone, both legs released, the enquiry ended through the queue
 * with end_reason media_timeout. The caller's leg is "sip-<call id>", a
 * phone's "ring-<ring id>" (its ring names the call). A call not answered
 * yet, or a leg of no call of ours, is left alone (acknowledged); the
 * other facts (dtmf, recorded) are acknowledged and not acted on.
 * Acknowledged after the reaction, or delivered again when Redis or the
 * queue did not answer.
 */
#ifndef INGRESS_MEDIAFACTS_H
#define INGRESS_MEDIAFACTS_H
#include "cc_status.h"
#include "ingress.h"

#define INGRESS_MEDIA_DURABLE "ingress-media"

struct mediafacts;

cc_status mediafacts_start(struct mediafacts **mp, struct ingress *in, char *err, size_t errlen);
/* Finishes the batch in hand and joins the thread. Accepts NULL. */
void mediafacts_stop(struct mediafacts *m);
void mediafacts_free(struct mediafacts *m);

#endif
