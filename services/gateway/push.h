/*
 * push: who is told what about an event, over the WebSocket.
 *
 * A stored fact (cc.evt.*) carries its per-panel consequences (offered_to,
 * withdrawn_from); a notification (cc.note.*) names one staff member. From
 * either this derives the pushes: the fact to the staff member it concerns
 * and to the visitor of the enquiry, "enquiry.offered" to each panel it now
 * appears in and "enquiry.withdrawn" (or the outcome, for a missed or
 * voicemail enquiry) to each panel it leaves, with the reason a console
 * shows. The messages are those docs/api.md describes.
 *
 * A push that only changes a console's pending panel (an offer, or the
 * enquiry leaving the panel for someone else's reason) is marked panel: a
 * console may get those coalesced into one snapshot of its panel under a
 * burst (panel.h). The facts about a staff member's own enquiries (the
 * one they answered, ended, transferred) never are.
 *
 * Pure: no I/O, no locks, so the table is unit-tested on its own.
 */
#ifndef GW_PUSH_H
#define GW_PUSH_H
#include <stdbool.h>
#include <stddef.h>
#include "event.pb-c.h"

struct gw_push {
    bool staff;           /* to a staff member's consoles, else to the enquiry's visitor */
    const char *to;       /* staff id, or enquiry id for the visitor */
    const char *type;     /* "enquiry.offered", ... */
    const char *staff_id; /* the message's staff_id field */
    const char *reason;
    bool panel;           /* only changes the console's pending panel (panel.h) */
};

/* Number of pushes ev can cause at most (the size of out for gw_push_derive). */
size_t gw_push_max(const Cc__Event *ev);
/* Fills out[0..n) and returns n. Strings are borrowed from ev or static. */
size_t gw_push_derive(const Cc__Event *ev, struct gw_push *out);

#endif
