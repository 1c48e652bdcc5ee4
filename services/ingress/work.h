/*
 * work: the worker threads that set calls up and tear them down
 * (CC_SIP_WORKERS). The SIP thread hands each request over without waiting;
 * a worker runs it (calls.c: Redis steps, NATS requests to media and queue)
 * and answers through sip_reply(). Every request of one call (same Call-ID)
 * goes to the same worker, in arrival order, so a CANCEL is never handled
 * before the INVITE it cancels.
 */
#ifndef INGRESS_WORK_H
#define INGRESS_WORK_H
#include "cc_status.h"
#include "ingress.h"
#include "sip.h"

#define WORK_QUEUE_MAX 10000 /* requests waiting per worker; more are refused (503) */

struct work;

cc_status work_start(struct work **wp, struct ingress *in, int n);
/* Takes ownership of r (any thread). False when the worker's queue is full:
 * r is still the caller's. */
bool work_post(struct work *w, struct sip_req *r);
/* Runs what is queued, then joins the threads. Accepts NULL. */
void work_stop(struct work *w);
void work_free(struct work *w);

#endif
