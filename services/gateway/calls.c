/* calls: outbound calls over HTTP. See calls.h. */
#include "calls.h"
#include "auth.h"
#include "call.pb-c.h"
#include "cc_pbjson.h"
#include "errors.h"
#include "idem.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* r = status with the call of rep as JSON, or rep's error. */
static void reply_call(struct gw_reply *r, int status, const char *subject,
                       const Cc__OutboundCallReply *rep)
{
    json_t *j;
    char *text;

    if (gw_error_reply(r, rep->error, "ingress"))
        return;
    if (rep->call == NULL || rep->call->id[0] == '\0') {
        gw_error_malformed(r, "ingress", subject, "call");
        return;
    }
    j = cc_pbjson_from_message(&rep->call->base);
    text = json_dumps(j, JSON_COMPACT);
    gw_reply_json(r, status, text != NULL ? text : "{}");
    free(text);
    json_decref(j);
}

/* The body {"to", "from_number", optional "enquiry_id"}: strings, nothing
 * else. False with r a 400 naming the field. Strings borrowed from *j. */
static bool body_of(const struct gw_request *req, json_t **j, Cc__OutboundCallRequest *out,
                    struct gw_reply *r)
{
    static const char *const fields[] = {"to", "from_number", "enquiry_id"};
    const char *key;
    json_t *v;

    *j = json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(*j)) {
        gw_reply_error(r, 400, "invalid", "body is not a JSON object", "body");
        return false;
    }
    json_object_foreach(*j, key, v)
    {
        size_t i;
        for (i = 0; i < 3 && strcmp(key, fields[i]) != 0; i++)
            ;
        if (i == 3) {
            gw_reply_error(r, 400, "invalid", "unknown field", key);
            return false;
        }
        if (!json_is_string(v)) {
            gw_reply_error(r, 400, "invalid", "must be a string", fields[i]);
            return false;
        }
    }
    out->to = (char *)json_string_value(json_object_get(*j, "to"));
    out->from_number = (char *)json_string_value(json_object_get(*j, "from_number"));
    out->enquiry_id = (char *)json_string_value(json_object_get(*j, "enquiry_id"));
    if (out->to == NULL || out->to[0] == '\0') {
        gw_reply_error(r, 400, "invalid", "to is required: the number to call", "to");
        return false;
    }
    if (out->from_number == NULL || out->from_number[0] == '\0') {
        gw_reply_error(r, 400, "invalid",
                       "from_number is required: a virtual number of the directory",
                       "from_number");
        return false;
    }
    if (out->enquiry_id == NULL)
        out->enquiry_id = "";
    return true;
}

void gw_calls_create(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    Cc__OutboundCallRequest oc = CC__OUTBOUND_CALL_REQUEST__INIT;
    struct gw_staff who;
    struct gw_idem idem;
    char actor[160];
    json_t *j = NULL;
    ProtobufCMessage *out = NULL;

    if (!gw_auth_staff(ctx, req, r, &who))
        return;
    snprintf(actor, sizeof(actor), "staff:%.140s", who.id);
    if (!gw_idem_meta(ctx, req, actor, &idem, r) || !body_of(req, &j, &oc, r)) {
        json_decref(j);
        return;
    }
    oc.staff_id = who.id;
    oc.meta = &idem.meta;
    if (gw_ask(ctx, "ingress", "cc.ingress.call.create", &oc.base,
               &cc__outbound_call_reply__descriptor, &out, r))
        reply_call(r, 201, "cc.ingress.call.create", (Cc__OutboundCallReply *)out);
    protobuf_c_message_free_unpacked(out, NULL);
    json_decref(j);
}

void gw_calls_item(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    Cc__CallRequest cr = CC__CALL_REQUEST__INIT;
    struct gw_staff who;
    bool get = strcmp(req->method, "DELETE") != 0;
    const char *subject = get ? "cc.ingress.call.get" : "cc.ingress.call.hangup";
    ProtobufCMessage *out = NULL;

    if (!gw_auth_staff(ctx, req, r, &who))
        return;
    cr.staff_id = who.id;
    cr.call_id = (char *)req->param;
    if (gw_ask(ctx, "ingress", subject, &cr.base, &cc__outbound_call_reply__descriptor, &out, r))
        reply_call(r, 200, subject, (Cc__OutboundCallReply *)out);
    protobuf_c_message_free_unpacked(out, NULL);
}
