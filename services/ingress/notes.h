/*
 * notes: the queue's notifications to one staff member about a call
 * enquiry that was already waiting (core NATS, cc.note.enquiry.offered /
 * .withdrawn; services/queue/README.md). Every replica subscribes (no queue
 * group); the nats.c thread only filters and hands each note to the workers
 * (work.c, keyed by the enquiry id), which do the rest in calls.c
 * (calls_on_note): the replica that holds the call's INVITE (cc:call:<id>
 * instance) rings the staff member's phones on "offered" and cancels their
 * rings on "withdrawn" (any reason but answered_by_other: the answered fact
 * does that); the others ignore it.
 *
 * A note is not stored: one lost (ingress down or cut off) leaves that
 * staff member's phones silent for that offer; their console still gets
 * it, and the next offer rings again.
 */
#ifndef INGRESS_NOTES_H
#define INGRESS_NOTES_H
#include "event.pb-c.h"
#include "ingress.h"
#include "sip.h"

/* Subscribes to cc.note.enquiry.> (no queue group). */
cc_status notes_start(struct ingress *in);

/* The work item for a note, or NULL when ingress has nothing to do with
 * it (not a call enquiry, no staff member, another type, withdrawn as
 * answered_by_other) or memory ran out. Caller frees with sip_req_free. */
struct sip_req *notes_item(const Cc__Event *ev);

#endif
