/* enquiries: JSON edge of cc.queue.*. See enquiries.h. */
#include "enquiries.h"
#include "auth.h"
#include "idem.h"
#include "ratelimit.h"
#include "cc_pbjson.h"
#include "enquiry.pb-c.h"
#include "errors.h"
#include "page.h"
#include "visitor.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

static void reply_value(struct gw_reply *r, int status, json_t *j)
{
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
    gw_reply_json(r, status, text != NULL ? text : "{}");
    free(text);
    json_decref(j);
}

/* reply_value of what a visitor may see of j (visitor.h); takes j. */
static void reply_visitor(struct gw_reply *r, int status, json_t *j)
{
    json_t *v = gw_visitor_view(j);
    json_decref(j);
    if (v == NULL)
        gw_reply_error(r, 500, "internal", "out of memory", NULL);
    else
        reply_value(r, status, v);
}

/* Errors of the queue, through the one table (errors.h). */
static bool reply_error(struct gw_reply *r, const Cc__Error *e)
{
    return gw_error_reply(r, e, "queue");
}

static bool call(struct gw_ctx *ctx, const char *subject, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out, struct gw_reply *r)
{
    return gw_ask(ctx, "queue", subject, req, desc, out, r);
}

/* An Enquiry a reply must carry: present, with an id. False (and r a 503)
 * when it is not. */
static bool has_enquiry(struct gw_reply *r, const char *subject, const Cc__Enquiry *e)
{
    if (e != NULL && e->id[0] != '\0')
        return true;
    gw_error_malformed(r, "queue", subject, "enquiry");
    return false;
}

void gw_enquiries_create(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    json_error_t je;
    json_t *j = json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES, &je);
    struct cc_pbjson_error e;
    ProtobufCMessage *in = NULL, *out = NULL;
    struct gw_idem idem;

    if (j == NULL) {
        gw_reply_error(r, 400, "invalid", "body is not valid JSON", "body");
        return;
    }
    if (cc_pbjson_to_message(&cc__create_enquiry_request__descriptor, j, &in, &e) != CC_OK) {
        gw_reply_error(r, 400, "invalid", e.message, e.field);
    } else if (((Cc__CreateEnquiryRequest *)in)->leg_id[0] != '\0') {
        gw_reply_error(r, 400, "invalid", "leg_id is set by ingress, not by clients", "leg_id");
    } else if (((Cc__CreateEnquiryRequest *)in)->meta != NULL) {
        gw_reply_error(r, 400, "invalid", "not a field of an enquiry", "meta");
    } else if (gw_idem_meta(ctx, req, "", &idem, r) &&
               gw_rate_enquiry(ctx->rate, req, ((Cc__CreateEnquiryRequest *)in)->channel_id, r)) {
        Cc__CreateEnquiryRequest *cr = (Cc__CreateEnquiryRequest *)in;
        bool answered;
        gw_idem_deadline(ctx, &idem); /* from now, not from before the rate check */
        cr->meta = &idem.meta;
        answered = call(ctx, "cc.queue.create", in, &cc__create_enquiry_reply__descriptor, &out, r);
        cr->meta = NULL; /* borrowed */
        if (answered) {
            Cc__CreateEnquiryReply *rep = (Cc__CreateEnquiryReply *)out;
            if (reply_error(r, rep->error) || !has_enquiry(r, "cc.queue.create", rep->enquiry)) {
                /* r is the error */
            } else if (rep->visitor_token[0] == '\0') {
                gw_error_malformed(r, "queue", "cc.queue.create", "visitor_token");
            } else {
                /* the visitor learns the outcome at once (R8.3), not who was
                 * offered it, nor anything else of the staff side */
                reply_visitor(r, 201,
                              json_pack("{s:o,s:s}", "enquiry",
                                        cc_pbjson_from_message(&rep->enquiry->base),
                                        "visitor_token", rep->visitor_token));
            }
        }
    }
    protobuf_c_message_free_unpacked(out, NULL);
    protobuf_c_message_free_unpacked(in, NULL);
    json_decref(j);
}

json_t *gw_enquiries_panel(const Cc__PendingReply *rep)
{
    json_t *j = cc_pbjson_from_message(&rep->base), *items = json_object_get(j, "items");
    json_t *page = json_pack("{s:O,s:i,s:b}", "pending", items != NULL ? items : json_array(),
                             "total", (int)rep->total, "more", rep->more);

    json_decref(j);
    return page;
}

/* GET /api/v1/pending[?limit=N][&before=<id>]: a page of the panel, newest first. */
void gw_enquiries_pending(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    struct gw_staff who;
    struct gw_page page;
    const char *field = NULL;
    Cc__PendingRequest p = CC__PENDING_REQUEST__INIT;
    ProtobufCMessage *out = NULL;

    if (!gw_page_parse(MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "limit"),
                       MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "before"),
                       &page, &field)) {
        gw_reply_error(r, 400, "invalid",
                       strcmp(field, "limit") == 0
                           ? "limit is an integer from 1 to 200"
                           : "before is the id of an enquiry (the last item of the page before)",
                       field);
        return;
    }
    if (!gw_auth_staff(ctx, req, r, &who))
        return;
    p.staff_id = who.id;
    p.limit = page.limit;
    p.before = page.before;
    if (call(ctx, "cc.queue.pending", &p.base, &cc__pending_reply__descriptor, &out, r)) {
        Cc__PendingReply *rep = (Cc__PendingReply *)out;
        bool whole = true;
        for (size_t i = 0; i < rep->n_items && whole; i++)
            whole = rep->items[i]->enquiry != NULL && rep->items[i]->enquiry->id[0] != '\0';
        if (reply_error(r, rep->error)) {
            /* r is the error */
        } else if (!whole) {
            gw_error_malformed(r, "queue", "cc.queue.pending", "items[].enquiry");
        } else {
            reply_value(r, 200, gw_enquiries_panel(rep));
        }
    }
    protobuf_c_message_free_unpacked(out, NULL);
}

static bool is_visitor(const Cc__EnquiryActor *a)
{
    return a->visitor_token != NULL && a->visitor_token[0] != '\0';
}

/* The actor of req: a visitor ("v-" token) or a staff member. */
static bool actor_of(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r,
                     Cc__EnquiryActor *a, struct gw_staff *who)
{
    cc__enquiry_actor__init(a);
    if (req->bearer != NULL && strncmp(req->bearer, "v-", 2) == 0) {
        a->visitor_token = (char *)req->bearer;
        return true;
    }
    if (!gw_auth_staff(ctx, req, r, who))
        return false;
    a->staff_id = who->id;
    return true;
}

/* The request's meta on behalf of actor a; false with r set when malformed. */
static bool meta_of(struct gw_ctx *ctx, const struct gw_request *req, const Cc__EnquiryActor *a,
                    struct gw_idem *idem, struct gw_reply *r)
{
    char who[160];
    if (is_visitor(a))
        snprintf(who, sizeof(who), "visitor:%.140s", a->visitor_token);
    else
        snprintf(who, sizeof(who), "staff:%.140s", a->staff_id);
    return gw_idem_meta(ctx, req, who, idem, r);
}

static void enquiry_call(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r,
                         const char *subject)
{
    Cc__EnquiryActor actor;
    Cc__EnquiryRequest er = CC__ENQUIRY_REQUEST__INIT;
    struct gw_staff who;
    struct gw_idem idem;
    ProtobufCMessage *out = NULL;

    if (!actor_of(ctx, req, r, &actor, &who))
        return;
    er.enquiry_id = (char *)req->param;
    er.actor = &actor;
    if (strcmp(req->method, "POST") == 0) {
        if (!meta_of(ctx, req, &actor, &idem, r))
            return;
        er.meta = &idem.meta;
    }
    if (call(ctx, subject, &er.base, &cc__enquiry_reply__descriptor, &out, r)) {
        Cc__EnquiryReply *rep = (Cc__EnquiryReply *)out;
        if (!reply_error(r, rep->error) && has_enquiry(r, subject, rep->enquiry)) {
            json_t *j = cc_pbjson_from_message(out);
            json_object_del(j, "error");
            json_object_del(j, "offered_to");
            if (is_visitor(&actor))
                reply_visitor(r, 200, j); /* only their enquiry: no custom info */
            else
                reply_value(r, 200, j);
        }
    }
    protobuf_c_message_free_unpacked(out, NULL);
}

void gw_enquiries_get(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    enquiry_call(ctx, req, r, "cc.queue.get");
}

void gw_enquiries_end(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    enquiry_call(ctx, req, r, "cc.queue.end");
}

void gw_enquiries_close(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    enquiry_call(ctx, req, r, "cc.queue.close");
}

void gw_enquiries_answer(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    struct gw_staff who;
    Cc__AnswerRequest a = CC__ANSWER_REQUEST__INIT;
    Cc__EnquiryActor actor = CC__ENQUIRY_ACTOR__INIT;
    struct gw_idem idem;
    ProtobufCMessage *out = NULL;

    if (!gw_auth_staff(ctx, req, r, &who))
        return;
    actor.staff_id = who.id;
    if (!meta_of(ctx, req, &actor, &idem, r))
        return;
    a.enquiry_id = (char *)req->param;
    a.staff_id = who.id;
    a.meta = &idem.meta;
    if (call(ctx, "cc.queue.answer", &a.base, &cc__answer_reply__descriptor, &out, r)) {
        Cc__AnswerReply *rep = (Cc__AnswerReply *)out;
        if (!reply_error(r, rep->error) && has_enquiry(r, "cc.queue.answer", rep->enquiry))
            reply_value(r, 200,
                        json_pack("{s:o}", "enquiry", cc_pbjson_from_message(&rep->enquiry->base)));
    }
    protobuf_c_message_free_unpacked(out, NULL);
}

void gw_enquiries_messages(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    Cc__EnquiryActor actor;
    Cc__ChatRequest cr = CC__CHAT_REQUEST__INIT;
    struct gw_staff who;
    ProtobufCMessage *out = NULL;
    json_t *body = NULL;
    bool post = strcmp(req->method, "POST") == 0;
    struct gw_idem idem;

    if (!actor_of(ctx, req, r, &actor, &who))
        return;
    cr.enquiry_id = (char *)req->param;
    cr.actor = &actor;
    if (post) {
        if (!meta_of(ctx, req, &actor, &idem, r))
            return;
        cr.meta = &idem.meta;
        json_error_t je;
        const json_t *text;
        body = json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES, &je);
        text = json_object_get(body, "text");
        if (body == NULL || !json_is_object(body)) {
            gw_reply_error(r, 400, "invalid", "body must be a JSON object", "body");
            goto out;
        }
        if (json_object_size(body) != 1 || !json_is_string(text) || json_string_length(text) == 0) {
            gw_reply_error(r, 400, "invalid", "{\"text\": \"...\"} with 1 to 4000 bytes", "text");
            goto out;
        }
        cr.text = (char *)json_string_value(text);
        /* a visitor's messages are bounded (ratelimit.h); staff are not */
        if (actor.visitor_token != NULL && actor.visitor_token[0] != '\0') {
            if (!gw_rate_chat(ctx->rate, req, actor.visitor_token, r))
                goto out;
            gw_idem_deadline(ctx, &idem); /* from now, not from before the rate check */
        }
    }
    if (call(ctx, "cc.queue.chat", &cr.base, &cc__chat_reply__descriptor, &out, r)) {
        Cc__ChatReply *rep = (Cc__ChatReply *)out;
        if (!reply_error(r, rep->error)) {
            if (post && rep->n_messages != 1) {
                gw_error_malformed(r, "queue", "cc.queue.chat", "messages[0]");
            } else if (post && is_visitor(&actor)) {
                /* the message as a visitor sees it: its author is "staff", never who */
                json_t *m = json_pack("{s:o}", "message",
                                      cc_pbjson_from_message(&rep->messages[0]->base));
                json_t *v = gw_visitor_view(m);
                reply_value(r, 201, json_incref(json_object_get(v, "message")));
                json_decref(v);
                json_decref(m);
            } else if (post) {
                reply_value(r, 201, cc_pbjson_from_message(&rep->messages[0]->base));
            } else {
                json_t *j = cc_pbjson_from_message(out);
                json_object_del(j, "error");
                if (is_visitor(&actor))
                    reply_visitor(r, 200, j);
                else
                    reply_value(r, 200, j);
            }
        }
    }
out:
    protobuf_c_message_free_unpacked(out, NULL);
    json_decref(body);
}

/* POST: transfer {to_staff_id | to_group_id, mode: blind|consult};
 * DELETE: cancel the consult transfer still waiting. */
void gw_enquiries_transfer(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    struct gw_staff who;
    ProtobufCMessage *in = NULL, *out = NULL;
    Cc__TransferRequest cancel = CC__TRANSFER_REQUEST__INIT, *tr = &cancel;
    Cc__EnquiryActor actor = CC__ENQUIRY_ACTOR__INIT;
    Cc__RequestMeta *meta;
    struct gw_idem idem;
    char *eid, *sid;
    json_t *j = NULL;

    if (!gw_auth_staff(ctx, req, r, &who))
        return;
    actor.staff_id = who.id;
    if (!meta_of(ctx, req, &actor, &idem, r))
        return;
    if (strcmp(req->method, "POST") == 0) {
        json_error_t je;
        struct cc_pbjson_error e;
        j = json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES, &je);
        if (j == NULL) {
            gw_reply_error(r, 400, "invalid", "body is not valid JSON", "body");
            goto out;
        }
        if (cc_pbjson_to_message(&cc__transfer_request__descriptor, j, &in, &e) != CC_OK) {
            gw_reply_error(r, 400, "invalid", e.message, e.field);
            goto out;
        }
        tr = (Cc__TransferRequest *)in;
        /* the path names the enquiry, the token the sender */
        if (tr->enquiry_id[0] != '\0' || tr->staff_id[0] != '\0' || tr->cancel ||
            tr->meta != NULL) {
            const char *f = tr->enquiry_id[0] != '\0' ? "enquiry_id"
                            : tr->staff_id[0] != '\0' ? "staff_id"
                            : tr->cancel               ? "cancel"
                                                       : "meta";
            gw_reply_error(r, 400, "invalid", "not a field of a transfer request body", f);
            goto out;
        }
    } else {
        cancel.cancel = true;
    }
    eid = tr->enquiry_id;
    sid = tr->staff_id;
    meta = tr->meta;
    tr->enquiry_id = (char *)req->param;
    tr->staff_id = who.id;
    tr->meta = &idem.meta;
    if (call(ctx, "cc.queue.transfer", &tr->base, &cc__enquiry_reply__descriptor, &out, r)) {
        Cc__EnquiryReply *rep = (Cc__EnquiryReply *)out;
        if (!reply_error(r, rep->error) && has_enquiry(r, "cc.queue.transfer", rep->enquiry))
            reply_value(r, 200,
                        json_pack("{s:o}", "enquiry", cc_pbjson_from_message(&rep->enquiry->base)));
    }
    /* those two were borrowed: put back what the message owns */
    tr->enquiry_id = eid;
    tr->staff_id = sid;
    tr->meta = meta;
out:
    protobuf_c_message_free_unpacked(out, NULL);
    protobuf_c_message_free_unpacked(in, NULL);
    json_decref(j);
}
