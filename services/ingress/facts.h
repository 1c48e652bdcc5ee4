/*
 * facts: the enquiry facts ingress reacts to, from the JetStream durable
 * consumer "ingress-enquiry" (cc.evt.enquiry.>, shared by the replicas).
 * Each fact is acknowledged after calls_on_fact() handled it, or delivered
 * again later (a server did not answer; the call's INVITE is another
 * replica's). So nothing is missed while ingress is down or cut off: a
 * restarted ingress reads on from where the consumer stands.
 */
#ifndef INGRESS_FACTS_H
#define INGRESS_FACTS_H
#include "cc_status.h"
#include "ingress.h"

#define INGRESS_ENQUIRY_DURABLE "ingress-enquiry"

struct facts;

cc_status facts_start(struct facts **fp, struct ingress *in, char *err, size_t errlen);
/* Finishes the batch in hand and joins the thread. Accepts NULL. */
void facts_stop(struct facts *f);
void facts_free(struct facts *f);

#endif
