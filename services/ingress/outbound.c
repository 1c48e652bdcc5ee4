/* outbound: calls staff make through the trunk. See outbound.h. */
#include "outbound.h"
#include "call.pb-c.h"
#include "calls.h"
#include "cc_error.h"
#include "cc_id.h"
#include "cc_log.h"
#include "cc_time.h"
#include "medialeg.h"
#include "number.h"
#include "phones.h"
#include "presence.pb-c.h"
#include "sdp.h"
#include "trunk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_STATES "new,calling_staff,dialing,ringing,answered"

bool outbound_is(const struct call *c)
{
    return strcmp(call_get(c, "outbound"), "1") == 0;
}

/* ---- the reply ------------------------------------------------------------------------------ */

static void call_message(Cc__OutboundCall *m, const struct call *c)
{
    cc__outbound_call__init(m);
    m->id = (char *)call_get(c, "id");
    m->state = (char *)call_get(c, "state");
    m->staff_id = (char *)call_get(c, "staff");
    m->to = (char *)call_get(c, "to");
    m->from_number = (char *)call_get(c, "from_number");
    m->channel_id = (char *)call_get(c, "channel");
    m->enquiry_id = (char *)call_get(c, "callback_enquiry_id");
    m->trunk_id = (char *)call_get(c, "trunk");
    m->outbound = true;
    m->created_at_ms = atoll(call_get(c, "created_ms"));
    m->answered_at_ms = atoll(call_get(c, "answered_ms"));
    m->ended_at_ms = atoll(call_get(c, "ended_ms"));
    m->end_reason = (char *)call_get(c, "end_reason");
}

static void reply_call(struct ingress *in, const struct cc_bus_msg *m, const struct call *c)
{
    Cc__OutboundCallReply rep = CC__OUTBOUND_CALL_REPLY__INIT;
    Cc__OutboundCall call;

    call_message(&call, c);
    rep.call = &call;
    cc_bus_reply(in->bus, m, &rep.base);
}

static void reply_error(struct ingress *in, const struct cc_bus_msg *m, cc_status st,
                        const char *message, const char *field)
{
    Cc__OutboundCallReply rep = CC__OUTBOUND_CALL_REPLY__INIT;
    Cc__Error err = CC__ERROR__INIT;

    cc_error_set(&err, st, message, field);
    rep.error = &err;
    cc_bus_reply(in->bus, m, &rep.base);
}

/* ---- presence: the activity ----------------------------------------------------------------- */

/* Sets (on) or clears the staff member's outbound-call activity for call
 * id, as the system. CC_ERR_CONFLICT (why in msg): they cannot make one. */
static cc_status activity(struct ingress *in, const char *sid, const char *id, bool on,
                          const char *reason, char *msg, size_t msglen)
{
    Cc__SetActivityRequest req = CC__SET_ACTIVITY_REQUEST__INIT;
    ProtobufCMessage *rep = NULL;
    cc_status st;

    req.staff_id = (char *)sid;
    req.outbound_call = on;
    req.call_id = (char *)id;
    req.reason = (char *)reason;
    st = cc_bus_request(in->bus, "cc.presence.activity", &req.base,
                        &cc__set_status_reply__descriptor, in->cfg->request_timeout_ms, &rep);
    if (st == CC_OK) {
        Cc__SetStatusReply *r = (Cc__SetStatusReply *)rep;
        if (cc_error_is_set(r->error)) {
            st = cc_error_status(r->error);
            if (msg != NULL)
                snprintf(msg, msglen, "%s", r->error->message);
        }
    }
    if (rep != NULL)
        protobuf_c_message_free_unpacked(rep, NULL);
    if (st != CC_OK && !on)
        cc_log(CC_LOG_WARN, "cannot clear the outbound-call activity (presence's sweep will)",
               "staff", sid, "call", id, "error", cc_status_str(st), NULL);
    return st;
}

/* ---- the end ---------------------------------------------------------------------------------- */

static void dial_id(char out[SIP_RING_ID_MAX], const char *call_id)
{
    snprintf(out, SIP_RING_ID_MAX, "%s%s", OUTBOUND_DIAL_PREFIX, call_id);
}

bool outbound_end(struct ingress *in, const char *id, const char *why)
{
    struct call c = {0};
    char prev[16], dial[SIP_RING_ID_MAX];
    const char *f[2] = {"end_reason", why};
    cc_status st = call_set(in, id, LIVE_STATES, "ended", true, 2, f, &c, prev);

    if (st != CC_OK) {
        call_clear(&c);
        return false;
    }
    dial_id(dial, id);
    if (strcmp(prev, "dialing") == 0 || strcmp(prev, "ringing") == 0)
        sip_ring_cancel(in->sip, dial); /* a 2xx crossing it gets BYE (outbound_on_dial) */
    else if (strcmp(prev, "answered") == 0 && strcmp(why, "callee_hung_up") != 0)
        call_send_bye(in, &c);
    phones_hangup(in, id, why); /* CANCEL or BYE to the staff phone(s), their legs */
    if (call_get(&c, "carrier_leg")[0] != '\0' &&
        media_release(in, call_get(&c, "node"), call_get(&c, "carrier_leg")) != CC_OK)
        cc_log(CC_LOG_WARN, "cannot release a media leg", "leg_id", call_get(&c, "carrier_leg"),
               NULL);
    if (strcmp(prev, "new") != 0 || strcmp(why, "refused") != 0)
        activity(in, call_get(&c, "staff"), id, false, "outbound_call_ended", NULL, 0);
    cc_log(CC_LOG_INFO, "outbound call ended", "call", id, "by", why, NULL);
    call_clear(&c);
    return true;
}

/* ---- create ----------------------------------------------------------------------------------- */

/* The channel of virtual number e164: CC_ERR_NOT_FOUND when none. */
static cc_status number_channel(struct ingress *in, const char *e164, char channel[128])
{
    char key[64];
    const char *argv[2] = {"GET", key};
    redisReply *r;
    cc_status st = CC_OK;

    snprintf(key, sizeof(key), "cc:dir:number:%s", e164);
    r = cc_redis_command(in->redis, 2, argv, NULL);
    if (cc_redis_reply_status(r) != CC_OK)
        st = CC_ERR_UNAVAILABLE;
    else if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len >= 128)
        st = CC_ERR_NOT_FOUND;
    else
        snprintf(channel, 128, "%s", r->str);
    freeReplyObject(r);
    return st;
}

/* The trunk outbound calls use: the first (by id) with an outbound_uri. */
static cc_status outbound_trunk(struct ingress *in, struct trunk *out)
{
    struct trunk_set *ts = malloc(sizeof(*ts));
    cc_status st = ts != NULL ? trunk_load(ts, in->redis, in->script[I_TRUNKS]) : CC_ERR_NOMEM;

    if (st == CC_OK) {
        st = CC_ERR_NOT_FOUND;
        for (size_t i = 0; i < ts->n; i++)
            if (ts->t[i].outbound_uri[0] != '\0') {
                *out = ts->t[i];
                st = CC_OK;
                break;
            }
    }
    free(ts);
    return st;
}

/* How many phones staff member sid has registered now. */
static cc_status bindings(struct ingress *in, const char *sid, size_t *n)
{
    redisReply *rep;

    if (phones_bindings(in, sid, &rep) != CC_OK)
        return CC_ERR_UNAVAILABLE;
    *n = rep->elements > 0 ? (rep->elements - 1) / 2 : 0;
    freeReplyObject(rep);
    return CC_OK;
}

static bool valid_id(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64)
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return false;
    return true;
}

/* The call record (new), recorded under the request's key: *id the call
 * (the first one's, for a retry). */
static cc_status record(struct ingress *in, const Cc__OutboundCallRequest *req, const char *to,
                        const char *from_number, const char *channel, const struct trunk *t,
                        const char *node, char id[64])
{
    char fresh[CC_ID_LEN], sip_call_id[128], tag[17], local[300], remote[420], target[400], ttl[16];
    const char *host = t->outbound_uri + 4; /* after "sip:" (dir_valid_outbound_uri) */
    bool v6 = strchr(in->cfg->sip_addr, ':') != NULL;
    redisReply *r = NULL;
    cc_status st;

    cc_id_new(fresh);
    sip_random_hex(tag, 8);
    snprintf(sip_call_id, sizeof(sip_call_id), "out-%s@cc-ingress", fresh);
    snprintf(local, sizeof(local), "<sip:%s@%s%s%s:%d>;tag=%s", from_number, v6 ? "[" : "",
             in->cfg->sip_addr, v6 ? "]" : "", in->cfg->sip_port, tag);
    snprintf(target, sizeof(target), "sip:%s@%s", to, host);
    snprintf(remote, sizeof(remote), "<%s>", target);
    snprintf(ttl, sizeof(ttl), "%d", CALL_TTL_S);
    {
        const char *args[] = {fresh,     sip_call_id,    ttl,
                              "staff",   req->staff_id,  "to",
                              to,        "caller",       to,
                              "from_number", from_number, "channel",
                              channel,   "trunk",        t->id,
                              "callback_enquiry_id", req->enquiry_id, "node",
                              node,      "local",        local,
                              "remote",  remote,         "target",
                              target,    "route",        "",
                              "instance", in->cfg->instance};
        st = cc_step_call(&in->frame, in->script[I_OUT_NEW], req->meta,
                          (int)(sizeof(args) / sizeof(args[0])), args, NULL, &r);
    }
    if (st == CC_OK && (r->type != REDIS_REPLY_ARRAY || strcmp(cc_step_result(r), "new") != 0))
        st = CC_ERR_UNAVAILABLE;
    if (st == CC_OK)
        snprintf(id, 64, "%s", cc_step_str(r, 1));
    freeReplyObject(r);
    return st;
}

/* Refuses call id (it never rang): ended with the error kept, so that a
 * retry with the same key gets the same answer. */
static void refuse(struct ingress *in, const struct cc_bus_msg *m, const char *id, cc_status st,
                   const char *message, const char *field)
{
    struct call c = {0};
    char prev[16], code[16];
    const char *f[8] = {"end_reason", "refused", "refused_code", code, "refused_message",
                        message, "refused_field", field != NULL ? field : ""};

    snprintf(code, sizeof(code), "%d", (int)st);
    call_set(in, id, "new,calling_staff", "ended", false, 8, f, &c, prev);
    call_clear(&c);
    reply_error(in, m, st, message, field);
}

/* A retried create: the call as it is (or the first answer's error). */
static void replay(struct ingress *in, const struct cc_bus_msg *m, const char *id)
{
    struct call c = {0};
    cc_status st = call_read(in, id, &c);

    if (st != CC_OK)
        reply_error(in, m, CC_ERR_UNAVAILABLE, "try again", NULL);
    else if (strcmp(call_get(&c, "end_reason"), "refused") == 0)
        reply_error(in, m, (cc_status)atoi(call_get(&c, "refused_code")),
                    call_get(&c, "refused_message"), call_get(&c, "refused_field"));
    else
        reply_call(in, m, &c);
    call_clear(&c);
}

static void on_create(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                      void *arg)
{
    struct ingress *in = arg;
    Cc__OutboundCallRequest *req = (Cc__OutboundCallRequest *)pb;
    char to[NUMBER_E164_MAX], from[NUMBER_E164_MAX], channel[128], node[MEDIA_NODE_MAX], id[64];
    char prev[16], msg[256];
    struct trunk t;
    struct call c = {0};
    size_t phones = 0;
    cc_status st;
    (void)bus;

    if (req->staff_id[0] == '\0')
        return reply_error(in, m, CC_ERR_INVALID, "staff_id is required", "staff_id");
    if (!number_e164(to, req->to, strlen(req->to)))
        return reply_error(in, m, CC_ERR_INVALID,
                           "to must be a phone number: an optional + and 1 to 15 digits", "to");
    if (!number_e164(from, req->from_number, strlen(req->from_number)))
        return reply_error(in, m, CC_ERR_INVALID,
                           "from_number must be a phone number: an optional + and 1 to 15 digits",
                           "from_number");
    if (req->enquiry_id[0] != '\0' && !valid_id(req->enquiry_id))
        return reply_error(in, m, CC_ERR_INVALID, "enquiry_id is not an enquiry id",
                           "enquiry_id");
    st = number_channel(in, from, channel);
    if (st == CC_ERR_NOT_FOUND)
        return reply_error(in, m, st, "from_number is not a virtual number of the directory",
                           "from_number");
    if (st == CC_OK) {
        st = outbound_trunk(in, &t);
        if (st == CC_ERR_NOT_FOUND)
            return reply_error(in, m, CC_ERR_CONFLICT,
                               "no trunk has an outbound_uri: outbound calls are not configured",
                               NULL);
    }
    if (st == CC_OK) {
        st = media_pick(in, node);
        if (st == CC_ERR_NOT_FOUND)
            return reply_error(in, m, CC_ERR_UNAVAILABLE, "no media node", NULL);
    }
    if (st == CC_OK)
        st = record(in, req, to, from, channel, &t, node, id);
    if (st != CC_OK)
        return reply_error(in, m, st == CC_ERR_MISMATCH ? st : CC_ERR_UNAVAILABLE,
                           st == CC_ERR_MISMATCH ? "Idempotency-Key used with another request"
                                                 : "try again",
                           NULL);
    /* the one request that moves it on dials; a retry only reads */
    st = call_set(in, id, "new", "calling_staff", false, 0, NULL, &c, prev);
    call_clear(&c);
    if (st == CC_ERR_CONFLICT)
        return replay(in, m, id);
    if (st != CC_OK)
        return reply_error(in, m, CC_ERR_UNAVAILABLE, "try again", NULL);
    st = bindings(in, req->staff_id, &phones);
    if (st != CC_OK)
        return refuse(in, m, id, CC_ERR_UNAVAILABLE, "try again", NULL);
    if (phones == 0)
        return refuse(in, m, id, CC_ERR_CONFLICT,
                      "the staff member has no registered phone to call from", NULL);
    st = activity(in, req->staff_id, id, true, "outbound_call", msg, sizeof(msg));
    if (st == CC_ERR_CONFLICT)
        return refuse(in, m, id, st, msg, NULL);
    if (st != CC_OK)
        return refuse(in, m, id, CC_ERR_UNAVAILABLE, "presence did not answer, try again", NULL);
    if (call_read(in, id, &c) == CC_OK && phones_ring(in, &c, req->staff_id) == CC_OK &&
        strcmp(call_get(&c, "state"), "calling_staff") == 0) {
        reply_call(in, m, &c);
        cc_log(CC_LOG_INFO, "outbound call: staff phone rung", "call", id, "staff", req->staff_id,
               "to", to, NULL);
    } else {
        outbound_end(in, id, "failed");
        call_clear(&c);
        if (call_read(in, id, &c) == CC_OK)
            reply_call(in, m, &c);
        else
            reply_error(in, m, CC_ERR_UNAVAILABLE, "try again", NULL);
    }
    call_clear(&c);
}

/* ---- get, hangup ------------------------------------------------------------------------------- */

/* Call id when it is staff sid's outbound call (else the error is
 * answered and false). */
static bool own_call(struct ingress *in, const struct cc_bus_msg *m, const Cc__CallRequest *req,
                     struct call *c)
{
    cc_status st = valid_id(req->call_id) ? call_read(in, req->call_id, c) : CC_ERR_NOT_FOUND;

    if (st == CC_OK && !outbound_is(c))
        st = CC_ERR_NOT_FOUND;
    if (st == CC_ERR_NOT_FOUND) {
        reply_error(in, m, st, "no such call", "id");
    } else if (st != CC_OK) {
        reply_error(in, m, CC_ERR_UNAVAILABLE, "try again", NULL);
    } else if (strcmp(call_get(c, "staff"), req->staff_id) != 0) {
        reply_error(in, m, CC_ERR_DENIED, "a staff member sees and ends only their own calls",
                    "id");
        st = CC_ERR_DENIED;
    }
    if (st != CC_OK)
        call_clear(c);
    return st == CC_OK;
}

static void on_get(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb, void *arg)
{
    struct ingress *in = arg;
    struct call c = {0};
    (void)bus;

    if (!own_call(in, m, (Cc__CallRequest *)pb, &c))
        return;
    reply_call(in, m, &c);
    call_clear(&c);
}

static void on_hangup(struct cc_bus *bus, const struct cc_bus_msg *m, ProtobufCMessage *pb,
                      void *arg)
{
    struct ingress *in = arg;
    Cc__CallRequest *req = (Cc__CallRequest *)pb;
    struct call c = {0};
    (void)bus;

    if (!own_call(in, m, req, &c))
        return;
    call_clear(&c);
    outbound_end(in, req->call_id, "staff_hung_up"); /* ended already: nothing to do */
    if (call_read(in, req->call_id, &c) == CC_OK)
        reply_call(in, m, &c);
    else
        reply_error(in, m, CC_ERR_UNAVAILABLE, "try again", NULL);
    call_clear(&c);
}

cc_status outbound_start(struct ingress *in)
{
    cc_status st = cc_bus_subscribe_pb(in->bus, "cc.ingress.call.create", "ingress",
                                       &cc__outbound_call_request__descriptor, on_create, in);
    if (st == CC_OK)
        st = cc_bus_subscribe_pb(in->bus, "cc.ingress.call.get", "ingress",
                                 &cc__call_request__descriptor, on_get, in);
    if (st == CC_OK)
        st = cc_bus_subscribe_pb(in->bus, "cc.ingress.call.hangup", "ingress",
                                 &cc__call_request__descriptor, on_hangup, in);
    return st;
}

/* ---- the staff phone answers: the carrier is dialled ------------------------------------------ */

bool outbound_on_staff_answer(struct ingress *in, const char *ring, const struct call *c)
{
    const char *id = call_get(c, "id"), *node = call_get(c, "node");
    char leg_id[80], dial[SIP_RING_ID_MAX], sdp[SDP_ANSWER_MAX], why[200], prev[16];
    const char *f[4] = {"ring", ring, "carrier_leg", leg_id};
    struct media_leg leg = {0};
    struct call now = {0};
    struct trunk_set *ts;
    const struct trunk *t = NULL;
    cc_status st;

    snprintf(leg_id, sizeof(leg_id), "dial-%s", id);
    st = call_set(in, id, "calling_staff", "dialing", false, 4, f, &now, prev);
    call_clear(&now);
    if (st != CC_OK)
        return false; /* another of their phones was first, or the call ended */
    phones_stop_ringing(in, id, NULL);
    ts = malloc(sizeof(*ts));
    if (ts != NULL && trunk_load(ts, in->redis, in->script[I_TRUNKS]) == CC_OK)
        for (size_t i = 0; i < ts->n && t == NULL; i++)
            if (strcmp(ts->t[i].id, call_get(c, "trunk")) == 0 && ts->t[i].outbound_uri[0] != '\0')
                t = &ts->t[i];
    st = t == NULL ? CC_ERR_NOT_FOUND : media_allocate(in, node, leg_id, &leg, why, sizeof(why));
    if (st != CC_OK ||
        sdp_offer_print(sdp, sizeof(sdp), leg.address, leg.port, sdp_session_id(leg_id), 1) < 0) {
        cc_log(CC_LOG_WARN, "outbound call: cannot dial the carrier", "call", id, "why",
               t == NULL ? "the trunk has gone" : why, NULL);
        free(ts);
        outbound_end(in, id, "failed");
        return true; /* the ring was answered; outbound_end sends its BYE */
    }
    dial_id(dial, id);
    sip_dial(in->sip, &(struct sip_dial){.ring = {.id = dial,
                                                  .call_id = call_get(c, "sip_call_id"),
                                                  .from = call_get(c, "local"),
                                                  .to = call_get(c, "remote"),
                                                  .target = call_get(c, "target"),
                                                  .sdp = sdp},
                                         .user = t->username,
                                         .ha1 = t->ha1,
                                         .realm = t->realm});
    free(ts);
    /* ended between the step above and the INVITE reaching the SIP thread:
     * its CANCEL found nothing there; ask again behind the INVITE */
    if (call_read(in, id, &now) == CC_OK && strcmp(call_get(&now, "state"), "ended") == 0)
        sip_ring_cancel(in->sip, dial);
    call_clear(&now);
    cc_log(CC_LOG_INFO, "outbound call: carrier dialled", "call", id, "target",
           call_get(c, "target"), NULL);
    return true;
}

void outbound_on_ring_failed(struct ingress *in, const char *call_id)
{
    char key[128];
    const char *argv[2] = {"HVALS", key};
    redisReply *ids;
    bool ringing = false;

    snprintf(key, sizeof(key), "cc:call:%s:rings", call_id);
    ids = cc_redis_command(in->redis, 2, argv, NULL);
    if (cc_redis_reply_status(ids) != CC_OK || ids->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(ids);
        return;
    }
    for (size_t i = 0; i < ids->elements && !ringing; i++) {
        char rkey[128];
        const char *hget[3] = {"HGET", rkey, "state"};
        redisReply *s;

        if (ids->element[i]->type != REDIS_REPLY_STRING)
            continue;
        snprintf(rkey, sizeof(rkey), "cc:ring:%s", ids->element[i]->str);
        s = cc_redis_command(in->redis, 3, hget, NULL);
        ringing = s == NULL || s->type != REDIS_REPLY_STRING ||
                  strcmp(s->str, "ringing") == 0 || strcmp(s->str, "answering") == 0 ||
                  strcmp(s->str, "answered") == 0;
        freeReplyObject(s);
    }
    freeReplyObject(ids);
    if (!ringing) {
        struct call c = {0};
        if (call_read(in, call_id, &c) == CC_OK &&
            strcmp(call_get(&c, "state"), "calling_staff") == 0)
            outbound_end(in, call_id, "staff_did_not_answer");
        call_clear(&c);
    }
}

/* ---- the carrier answers ------------------------------------------------------------------------ */

static void carrier_answered(struct ingress *in, const char *id, const struct sip_req *r)
{
    char cseq[16], now_ms[24], prev[16], why[200];
    const char *f[10] = {"remote", r->to,         "target",     r->contact, "route",
                         r->route, "local_cseq", cseq,         "answered_ms", now_ms};
    struct call c = {0}, g = {0};
    struct sdp_offer ans;
    cc_status st;

    snprintf(cseq, sizeof(cseq), "%u", r->cseq);
    snprintf(now_ms, sizeof(now_ms), "%lld", (long long)cc_wall_ms());
    st = call_set(in, id, "dialing,ringing", "answered", false, 10, f, &c, prev);
    if (st == CC_ERR_CONFLICT) {
        /* ended meanwhile: its 2xx crossed our CANCEL; BYE in the dialog it made */
        struct call tmp = {0};
        call_clear(&c);
        if (call_read(in, id, &tmp) == CC_OK) {
            struct sip_dialog d = {.call_id = r->call_id,
                                   .local = call_get(&tmp, "local"),
                                   .remote = r->to,
                                   .target = r->contact,
                                   .route = r->route,
                                   .cseq = r->cseq + 1};
            sip_send_bye(in->sip, &d);
        }
        call_clear(&tmp);
        return;
    }
    if (st != CC_OK) {
        call_clear(&c);
        return;
    }
    if (sdp_offer_parse(&ans, r->body, r->body_len, why, sizeof(why)) != SDP_OK ||
        media_remote(in, call_get(&c, "node"), call_get(&c, "carrier_leg"), &ans, NULL, why,
                     sizeof(why)) != CC_OK) {
        cc_log(CC_LOG_WARN, "outbound call: the carrier's answer is unusable", "call", id, "why",
               why, NULL);
        call_clear(&c);
        outbound_end(in, id, "bad_sdp");
        return;
    }
    {
        char rkey[128];
        const char *hget[3] = {"HGET", rkey, "leg_id"};
        redisReply *leg;

        snprintf(rkey, sizeof(rkey), "cc:ring:%s", call_get(&c, "ring"));
        leg = cc_redis_command(in->redis, 3, hget, NULL);
        if (cc_redis_reply_status(leg) != CC_OK || leg->type != REDIS_REPLY_STRING ||
            media_bridge(in, call_get(&c, "node"), call_get(&c, "carrier_leg"), leg->str, why,
                         sizeof(why)) != CC_OK)
            cc_log(CC_LOG_ERROR, "outbound call: cannot bridge the staff phone to the carrier",
                   "call", id, "why", why, NULL);
        freeReplyObject(leg);
    }
    cc_log(CC_LOG_INFO, "outbound call answered", "call", id, NULL);
    call_clear(&c);
    call_clear(&g);
}

void outbound_on_dial(struct ingress *in, const struct sip_req *r)
{
    const char *id = r->ring + strlen(OUTBOUND_DIAL_PREFIX);
    struct call c = {0};
    char prev[16], why[32];

    if (r->kind == SIP_REQ_RING_PROGRESS) {
        if (call_set(in, id, "dialing", "ringing", false, 0, NULL, &c, prev) == CC_OK)
            cc_log(CC_LOG_INFO, "outbound call: the callee is ringing", "call", id, NULL);
        call_clear(&c);
    } else if (r->kind == SIP_REQ_RING_OK) {
        carrier_answered(in, id, r);
    } else {
        if (r->status == 486 || r->status == 600)
            snprintf(why, sizeof(why), "busy");
        else if (r->status == 487)
            snprintf(why, sizeof(why), "cancelled");
        else
            snprintf(why, sizeof(why), "rejected_%d", r->status);
        outbound_end(in, id, why);
    }
}
