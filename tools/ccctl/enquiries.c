/* enquiries: ccctl enquiries / ccctl end. See enquiries.h. */
#include "enquiries.h"
#include "cc_error.h"
#include "cc_pbjson.h"
#include "cc_time.h"
#include "enquiry.pb-c.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static const char *kind_name(Cc__EnquiryKind k)
{
    return k == CC__ENQUIRY_KIND__ENQUIRY_KIND_CHAT ? "chat" : "call";
}

static bool failed(const Cc__Error *e)
{
    if (!cc_error_is_set(e))
        return false;
    fprintf(stderr, "ccctl: %s (%s)\n", e->message, cc_status_str(cc_error_status(e)));
    return true;
}

int ccctl_enquiries(struct cc_bus *bus, int timeout_ms, bool json)
{
    Cc__HoldsRequest h = CC__HOLDS_REQUEST__INIT; /* no staff_id: every active enquiry */
    ProtobufCMessage *out = NULL;
    Cc__HoldsReply *rep;
    int64_t now = cc_wall_ms();

    h.staff_id = "";
    if (cc_bus_request(bus, "cc.queue.holds", &h.base, &cc__holds_reply__descriptor, timeout_ms,
                       &out) != CC_OK) {
        fprintf(stderr, "ccctl: the queue did not answer\n");
        return 1;
    }
    rep = (Cc__HoldsReply *)out;
    if (failed(rep->error)) {
        protobuf_c_message_free_unpacked(out, NULL);
        return 1;
    }
    if (json) {
        json_t *j = cc_pbjson_from_message(out);
        char *text = json_dumps(json_object_get(j, "active"), JSON_COMPACT);
        printf("%s\n", text != NULL ? text : "[]");
        free(text);
        json_decref(j);
    } else {
        printf("%-36s  %-4s  %-16s  %8s  %-16s  %s\n", "ENQUIRY", "KIND", "HELD BY", "AGE",
               "CHANNEL", "CALLER");
        for (size_t i = 0; i < rep->n_active; i++) {
            const Cc__Enquiry *e = rep->active[i];
            int64_t age = e->answered_at_ms > 0 ? (now - e->answered_at_ms) / 1000 : 0;
            printf("%-36s  %-4s  %-16s  %7llds  %-16s  %s\n", e->id, kind_name(e->kind),
                   e->answered_by, (long long)age, e->channel_id, e->caller);
        }
        printf("%zu active\n", rep->n_active);
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return 0;
}

int ccctl_end(struct cc_bus *bus, int timeout_ms, const char *id)
{
    Cc__EnquiryRequest er = CC__ENQUIRY_REQUEST__INIT;
    Cc__EnquiryActor actor = CC__ENQUIRY_ACTOR__INIT;
    ProtobufCMessage *out = NULL;
    Cc__EnquiryReply *rep;
    int rc = 1;

    actor.operator_ = true;
    er.enquiry_id = (char *)id;
    er.actor = &actor;
    if (cc_bus_request(bus, "cc.queue.end", &er.base, &cc__enquiry_reply__descriptor, timeout_ms,
                       &out) != CC_OK) {
        fprintf(stderr, "ccctl: the queue did not answer\n");
        return 1;
    }
    rep = (Cc__EnquiryReply *)out;
    if (!failed(rep->error) && rep->enquiry != NULL) {
        const ProtobufCEnumValue *v =
            protobuf_c_enum_descriptor_get_value(&cc__enquiry_state__descriptor, rep->enquiry->state);
        printf("%s %s (%s)\n", rep->enquiry->id, v != NULL ? v->name : "?",
               rep->enquiry->end_reason);
        rc = 0;
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return rc;
}
