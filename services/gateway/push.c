/* push: events -> WebSocket pushes. See push.h. */
#include "push.h"

#include <string.h>

size_t gw_push_max(const Cc__Event *ev)
{
    return 2 + ev->n_offered_to + ev->n_withdrawn_from;
}

/* What a visitor is told about their enquiry. */
static bool visitor_sees(const char *type)
{
    static const char *const outcome[] = {
        "enquiry.answered",    "enquiry.message",  "enquiry.blocked",   "enquiry.cancelled",
        "enquiry.ended",       "enquiry.transfer", "enquiry.transferred",
        "enquiry.transfer_returned", "enquiry.missed", "enquiry.voicemail"};
    for (size_t i = 0; i < sizeof(outcome) / sizeof(outcome[0]); i++)
        if (strcmp(type, outcome[i]) == 0)
            return true;
    return false;
}

static bool is(const char *type, const char *what)
{
    return strcmp(type, what) == 0;
}

/* How an offer is explained to the console it appears in. */
static const char *offer_reason(const Cc__Event *ev)
{
    if (is(ev->type, "enquiry.transfer"))
        return "transfer";
    if (is(ev->type, "enquiry.transfer_returned"))
        return "transfer_returned";
    return "";
}

/* How leaving a panel is told: the type of the push and its reason. */
static void withdraw_as(const Cc__Event *ev, const char **type, const char **reason)
{
    *type = "enquiry.withdrawn";
    *reason = ev->reason;
    if (is(ev->type, "enquiry.missed") || is(ev->type, "enquiry.voicemail"))
        *type = ev->type; /* it left their panel because nobody answered in time */
    else if (is(ev->type, "enquiry.answered"))
        *reason = "answered_by_other";
    else if (is(ev->type, "enquiry.transfer_returned"))
        *reason = is(ev->reason, "cancelled") ? "transfer_cancelled" : "transfer_not_answered";
}

size_t gw_push_derive(const Cc__Event *ev, struct gw_push *out)
{
    const char *enquiry_id = ev->body_case == CC__EVENT__BODY_ENQUIRY && ev->enquiry != NULL
                                 ? ev->enquiry->id
                                 : NULL;
    const char *wtype, *wreason;
    size_t n = 0;

    if (ev->type == NULL)
        return 0;
    /* a notification (offered to / withdrawn from one panel) is a panel push */
    if (ev->staff_id != NULL && ev->staff_id[0] != '\0')
        out[n++] = (struct gw_push){true, ev->staff_id, ev->type, ev->staff_id, ev->reason,
                                    is(ev->type, "enquiry.offered") ||
                                        is(ev->type, "enquiry.withdrawn")};
    if (enquiry_id != NULL && enquiry_id[0] != '\0' && visitor_sees(ev->type))
        out[n++] = (struct gw_push){false, enquiry_id, ev->type, ev->staff_id, ev->reason, false};
    for (size_t i = 0; i < ev->n_offered_to; i++)
        out[n++] = (struct gw_push){true, ev->offered_to[i], "enquiry.offered", ev->offered_to[i],
                                    offer_reason(ev), true};
    withdraw_as(ev, &wtype, &wreason);
    for (size_t i = 0; i < ev->n_withdrawn_from; i++)
        out[n++] = (struct gw_push){true, ev->withdrawn_from[i], wtype, ev->withdrawn_from[i],
                                    wreason, true};
    return n;
}
