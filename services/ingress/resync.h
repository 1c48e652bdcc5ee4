/*
 * resync: the staff phones of waiting calls follow the offers stored in
 * Redis, whatever notifications were lost.
 *
 * Offers made while a call waits reach ingress as notifications on core
 * NATS (notes.c): one lost (ingress cut off from NATS, a reconnect) would
 * leave a staff member's phones silent for that offer, or ringing after a
 * withdrawal. Every RESYNC_EVERY_MS, and at once after a reconnection to
 * NATS, a thread of its own lists the calls waiting in `offering`
 * (cc:call:offering, kept by lua/call_set.lua) whose INVITE this replica
 * holds, and hands each to its enquiry's worker (SIP_REQ_RESYNC, keyed by
 * the enquiry id like the notes, so a resync and a notification about one
 * enquiry never run at once). The worker (calls_on_resync) rings the
 * offered staff (cc:enq:<id>:offered) whose phones have no ring of the call
 * yet and cancels the rings still ringing of staff no longer offered.
 */
#ifndef INGRESS_RESYNC_H
#define INGRESS_RESYNC_H
#include "cc_status.h"
#include "ingress.h"

#define RESYNC_EVERY_MS 5000

struct resync;

cc_status resync_start(struct resync **rp, struct ingress *in);
/* Stops and joins the thread (before the workers stop). Accepts NULL. */
void resync_stop(struct resync *r);
void resync_free(struct resync *r);

#endif
