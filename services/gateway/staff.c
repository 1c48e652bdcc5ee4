/* staff: login and the staff member's presence over HTTP. See staff.h. */
#include "staff.h"
#include "cc_error.h"
#include "auth.h"
#include "cc_pbjson.h"
#include "enquiry.pb-c.h"
#include "errors.h"
#include "ratelimit.h"
#include "presence.pb-c.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void reply_message(struct gw_reply *r, int status, const ProtobufCMessage *m)
{
    json_t *j = cc_pbjson_from_message(m);
    char *text;

    json_object_del(j, "error");
    text = json_dumps(j, JSON_COMPACT);
    gw_reply_json(r, status, text != NULL ? text : "{}");
    free(text);
    json_decref(j);
}

/* Parses the body as desc; on failure fills r with a 400 naming the field. */
static ProtobufCMessage *parse(const ProtobufCMessageDescriptor *desc, const struct gw_request *req,
                               struct gw_reply *r)
{
    json_error_t je;
    json_t *j = json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES, &je);
    struct cc_pbjson_error e;
    ProtobufCMessage *m = NULL;

    if (j == NULL) {
        gw_reply_error(r, 400, "invalid", "body is not valid JSON", "body");
        return NULL;
    }
    if (cc_pbjson_to_message(desc, j, &m, &e) != CC_OK)
        gw_reply_error(r, 400, "invalid", e.message, e.field);
    json_decref(j);
    return m;
}

/* Sends req on subject; the reply is a SetStatusReply -> presence JSON. */
static void presence_call(struct gw_ctx *ctx, const char *subject, const ProtobufCMessage *req,
                          struct gw_reply *r)
{
    ProtobufCMessage *out = NULL;
    Cc__SetStatusReply *rep;

    if (!gw_ask(ctx, "presence", subject, req, &cc__set_status_reply__descriptor, &out, r))
        return;
    rep = (Cc__SetStatusReply *)out;
    if (gw_error_reply(r, rep->error, "presence")) {
        /* r is the error */
    } else if (rep->presence == NULL) {
        gw_error_malformed(r, "presence", subject, "presence");
    } else {
        reply_message(r, 200, &rep->presence->base);
    }
    protobuf_c_message_free_unpacked(out, NULL);
}

void gw_staff_login(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    Cc__LoginRequest *in = (Cc__LoginRequest *)parse(&cc__login_request__descriptor, req, r);
    ProtobufCMessage *out = NULL;
    Cc__LoginReply *rep;

    if (in == NULL)
        return;
    if (in->email[0] == '\0' || in->password[0] == '\0') {
        gw_reply_error(r, 400, "invalid", "email and password are required",
                       in->email[0] == '\0' ? "email" : "password");
        protobuf_c_message_free_unpacked(&in->base, NULL);
        return;
    }
    if (!gw_rate_login(ctx->rate, req, in->email, r)) {
        protobuf_c_message_free_unpacked(&in->base, NULL);
        return;
    }
    if (gw_ask(ctx, "presence", "cc.presence.login", &in->base, &cc__login_reply__descriptor, &out,
               r)) {
        rep = (Cc__LoginReply *)out;
        if (gw_auth_error_reply(r, rep->error)) {
            /* r is the error: a wrong email or password is a 401 */
        } else if (rep->token[0] == '\0' || rep->staff_id[0] == '\0') {
            gw_error_malformed(r, "presence", "cc.presence.login",
                               rep->token[0] == '\0' ? "token" : "staff_id");
        } else {
            reply_message(r, 200, out);
        }
        protobuf_c_message_free_unpacked(out, NULL);
    }
    protobuf_c_message_free_unpacked(&in->base, NULL);
}

void gw_staff_logout(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    Cc__LogoutRequest lr = CC__LOGOUT_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    Cc__LogoutReply *rep;

    if (req->bearer == NULL) {
        gw_reply_error(r, 401, "unauthorized", "missing \"Authorization: Bearer <token>\"", NULL);
        return;
    }
    lr.token = (char *)req->bearer;
    if (!gw_ask(ctx, "presence", "cc.presence.logout", &lr.base, &cc__logout_reply__descriptor,
                &out, r))
        return;
    rep = (Cc__LogoutReply *)out;
    if (!gw_auth_error_reply(r, rep->error))
        r->status = 204; /* nothing else is in a LogoutReply */
    protobuf_c_message_free_unpacked(out, NULL);
}

/* Adds "holds" to the presence JSON in r: the enquiries the staff member
 * holds and the call they follow up, so a console can always find and end
 * what it holds (after a crash, a reload, a lost reply). */
static void add_holds(struct gw_ctx *ctx, const char *staff_id, struct gw_reply *r)
{
    Cc__HoldsRequest h = CC__HOLDS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    Cc__HoldsReply *rep;
    json_t *me = json_loadb(r->body, r->len, 0, NULL), *holds;
    char *text;

    h.staff_id = (char *)staff_id;
    if (me == NULL || cc_bus_request(ctx->bus, "cc.queue.holds", &h.base,
                                     &cc__holds_reply__descriptor, ctx->cfg->request_timeout_ms,
                                     &out) != CC_OK) {
        gw_reply_error(r, 503, "unavailable", "the queue did not answer, try again", NULL);
        goto out;
    }
    rep = (Cc__HoldsReply *)out;
    if (cc_error_is_set(rep->error)) {
        gw_reply_error(r, 503, "unavailable", "the queue is not available, try again", NULL);
        goto out;
    }
    holds = cc_pbjson_from_message(out);
    json_object_del(holds, "error");
    if (json_object_get(holds, "active") == NULL)
        json_object_set_new(holds, "active", json_array());
    json_object_set_new(me, "holds", holds);
    text = json_dumps(me, JSON_COMPACT);
    if (text != NULL) {
        gw_reply_json(r, 200, text);
        free(text);
    }
out:
    protobuf_c_message_free_unpacked(out, NULL);
    json_decref(me);
}

void gw_staff_me(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    struct gw_staff who;
    Cc__GetPresenceRequest g = CC__GET_PRESENCE_REQUEST__INIT;

    if (!gw_auth_staff(ctx, req, r, &who))
        return;
    g.staff_id = who.id;
    presence_call(ctx, "cc.presence.get", &g.base, r);
    if (r->status == 200)
        add_holds(ctx, who.id, r);
}

void gw_staff_status(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    struct gw_staff who;
    Cc__SetStatusRequest *in;

    if (!gw_auth_staff(ctx, req, r, &who))
        return;
    in = (Cc__SetStatusRequest *)parse(&cc__set_status_request__descriptor, req, r);
    if (in == NULL)
        return;
    if (in->status == CC__STAFF_STATUS__STAFF_STATUS_UNSPECIFIED) {
        gw_reply_error(r, 400, "invalid", "status must be \"online\", \"busy\" or \"offline\"",
                       "status");
    } else if (in->staff_id[0] != '\0' && strcmp(in->staff_id, who.id) != 0) {
        gw_reply_error(r, 403, "forbidden", "a staff member sets only their own status",
                       "staff_id");
    } else {
        Cc__SetStatusRequest sr = *in;
        sr.staff_id = who.id;
        presence_call(ctx, "cc.presence.status", &sr.base, r);
    }
    protobuf_c_message_free_unpacked(&in->base, NULL);
}

void gw_staff_heartbeat(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    struct gw_staff who;
    Cc__HeartbeatRequest h = CC__HEARTBEAT_REQUEST__INIT;

    if (!gw_auth_staff(ctx, req, r, &who))
        return;
    h.staff_id = who.id;
    presence_call(ctx, "cc.presence.heartbeat", &h.base, r);
}

void gw_staff_activity(struct gw_ctx *ctx, const struct gw_request *req, struct gw_reply *r)
{
    struct gw_staff who;
    Cc__SetActivityRequest *in;

    if (!gw_auth_staff(ctx, req, r, &who))
        return;
    in = (Cc__SetActivityRequest *)parse(&cc__set_activity_request__descriptor, req, r);
    if (in == NULL)
        return;
    if (in->staff_id[0] != '\0' && strcmp(in->staff_id, who.id) != 0) {
        gw_reply_error(r, 403, "forbidden", "a staff member sets only their own activity",
                       "staff_id");
    } else if (in->call_id[0] != '\0' || in->reason[0] != '\0') {
        /* the activity of a call through the platform is the system's */
        gw_reply_error(r, 400, "invalid", "unknown field",
                       in->call_id[0] != '\0' ? "call_id" : "reason");
    } else {
        Cc__SetActivityRequest ar = *in;
        ar.staff_id = who.id;
        presence_call(ctx, "cc.presence.activity", &ar.base, r);
    }
    protobuf_c_message_free_unpacked(&in->base, NULL);
}
