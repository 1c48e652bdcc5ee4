/* notes: offered / withdrawn notifications for staff phones. See notes.h. */
#include "notes.h"
#include "cc_log.h"
#include "enquiry.pb-c.h"
#include "work.h"

#include <stdlib.h>
#include <string.h>

static bool is(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

struct sip_req *notes_item(const Cc__Event *ev)
{
    const Cc__Enquiry *e = ev->body_case == CC__EVENT__BODY_ENQUIRY ? ev->enquiry : NULL;
    enum sip_req_kind kind;
    struct sip_req *r;

    if (e == NULL || e->kind != CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL || e->id == NULL ||
        e->id[0] == '\0' || ev->staff_id == NULL || ev->staff_id[0] == '\0')
        return NULL;
    if (is(ev->type, "enquiry.offered"))
        kind = SIP_REQ_NOTE_OFFERED;
    else if (is(ev->type, "enquiry.withdrawn") && !is(ev->reason, "answered_by_other"))
        kind = SIP_REQ_NOTE_WITHDRAWN;
    else
        return NULL;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->kind = kind;
    r->call_id = strdup(e->id);
    r->to_user = strdup(ev->staff_id);
    if (r->call_id == NULL || r->to_user == NULL) {
        sip_req_free(r);
        return NULL;
    }
    return r;
}

/* The nats.c thread: never waits on Redis or SIP, only queues. */
static void on_note(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                    void *arg)
{
    struct ingress *in = arg;
    struct sip_req *r = notes_item((const Cc__Event *)pb);

    (void)bus;
    if (r == NULL)
        return;
    if (!work_post(in->work, r)) {
        cc_log(CC_LOG_WARN, "notification dropped: the workers are full or stopping", "subject",
               m->subject, "enquiry_id", r->call_id, NULL);
        sip_req_free(r);
    }
}

/* One subscription for both, so that a staff member's offered and withdrawn
 * about one enquiry reach the workers in the order the queue sent them. */
cc_status notes_start(struct ingress *in)
{
    return cc_bus_subscribe_pb(in->bus, "cc.note.enquiry.>", NULL, &cc__event__descriptor,
                               on_note, in);
}
