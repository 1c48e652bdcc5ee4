/* calls: a trunk call's life. See calls.h. */
#include "calls.h"
#include "auth.h"
#include "callstore.h"
#include "cc_error.h"
#include "cc_id.h"
#include "cc_log.h"
#include "cc_time.h"
#include "enquiry.pb-c.h"
#include "medialeg.h"
#include "number.h"
#include "outbound.h"
#include "phones.h"
#include "sdp.h"
#include "trunk.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALLER_MAX 200
/* A fact about a call whose INVITE another replica holds is left to it for
 * this many deliveries; then that replica is taken as gone. */
#define FOREIGN_DELIVERIES 50

/* Q.850 causes in the Reason header of a call the platform refuses. */
#define REASON_BLOCKED "Q.850;cause=17;text=\"no staff available\""
#define REASON_VOICEMAIL "Q.850;cause=17;text=\"no staff available (voicemail not yet taken)\""
#define REASON_MISSED "Q.850;cause=19;text=\"max wait reached\""
#define REASON_CANCELLED "Q.850;cause=16;text=\"ended by an operator\""
/* How long media's announcement lasts (with a margin): the 480 after it. */
#define ANNOUNCE_MS 1200

void calls_key(char out[65], const char *a, const char *b)
{
    unsigned char md[32];
    unsigned n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    out[0] = '\0';
    if (ctx == NULL)
        return;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestUpdate(ctx, a, strlen(a));
    EVP_DigestUpdate(ctx, "\n", 1);
    EVP_DigestUpdate(ctx, b, strlen(b));
    EVP_DigestFinal_ex(ctx, md, &n);
    EVP_MD_CTX_free(ctx);
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- who is calling -------------------------------------------------------------------- */

enum admit { ADMIT_OK, ADMIT_DENIED, ADMIT_CHALLENGED, ADMIT_UNAVAILABLE };

/* Whether r comes from a trunk: its source address, or digest credentials.
 * Answers the request itself unless ADMIT_OK. */
static enum admit admit(struct ingress *in, const struct sip_req *r, char *trunk_id, size_t len)
{
    struct trunk_set *ts = malloc(sizeof(*ts));
    struct cc_netaddr src;
    const struct trunk *t = NULL;
    enum admit res = ADMIT_DENIED;
    cc_status st;

    if (ts == NULL) {
        sip_reply_status(in->sip, r->txn, 500, NULL);
        return ADMIT_UNAVAILABLE;
    }
    if (trunk_load(ts, in->redis, in->script[I_TRUNKS]) != CC_OK) {
        sip_reply_status(in->sip, r->txn, 503, "the trunk list cannot be read");
        free(ts);
        return ADMIT_UNAVAILABLE;
    }
    if (cc_netaddr_parse(&src, r->src_ip, strlen(r->src_ip)))
        t = trunk_by_address(ts, &src);
    if (t == NULL && trunk_any_digest(ts)) {
        t = auth_verify(in, ts, r->auth, "INVITE", &st);
        if (st != CC_OK) {
            sip_reply_status(in->sip, r->txn, 503, "cannot check credentials now");
            free(ts);
            return ADMIT_UNAVAILABLE;
        }
        if (t == NULL) {
            char challenge[AUTH_CHALLENGE_MAX];
            const char *realm = in->cfg->sip_realm;
            for (size_t i = 0; i < ts->n; i++)
                if (ts->t[i].username[0] != '\0' && ts->t[i].realm[0] != '\0') {
                    realm = ts->t[i].realm;
                    break;
                }
            if (auth_challenge(in, realm, challenge) != CC_OK) {
                sip_reply_status(in->sip, r->txn, 503, "cannot issue a challenge now");
                res = ADMIT_UNAVAILABLE;
            } else {
                sip_reply(in->sip, r->txn,
                          &(struct sip_reply){.status = 401, .www_auth = challenge});
                res = ADMIT_CHALLENGED;
            }
            free(ts);
            return res;
        }
    }
    if (t != NULL) {
        snprintf(trunk_id, len, "%s", t->id);
        res = ADMIT_OK;
    } else {
        sip_reply_status(in->sip, r->txn, 403, NULL);
        cc_log(CC_LOG_INFO, "INVITE from outside the trunks refused", "source", r->src_ip,
               "call_id", r->call_id, NULL);
    }
    free(ts);
    return res;
}

/* The channel of the dialled number into channel: CC_OK, or the request
 * was answered (484 not a number, 404 unknown, 503). */
static bool number_channel(struct ingress *in, const struct sip_req *r, char e164[NUMBER_E164_MAX],
                           char channel[128])
{
    char key[64];
    const char *argv[2] = {"GET", key};
    redisReply *rep;
    bool ok = false;

    if (!number_e164(e164, r->ruri_user, strlen(r->ruri_user))) {
        sip_reply_status(in->sip, r->txn, 484, "the Request-URI names no phone number");
        return false;
    }
    snprintf(key, sizeof(key), "cc:dir:number:%s", e164);
    rep = cc_redis_command(in->redis, 2, argv, NULL);
    if (cc_redis_reply_status(rep) != CC_OK)
        sip_reply_status(in->sip, r->txn, 503, NULL);
    else if (rep->type != REDIS_REPLY_STRING || rep->len == 0 || rep->len >= 128)
        sip_reply_status(in->sip, r->txn, 404, "no such number");
    else {
        snprintf(channel, 128, "%s", rep->str);
        ok = true;
    }
    freeReplyObject(rep);
    return ok;
}

/* The caller as the enquiry shows it: the From number in E.164 when it is
 * one, else its user part, else "anonymous". */
static void caller_of(const struct sip_req *r, char out[CALLER_MAX + 1])
{
    char e164[NUMBER_E164_MAX];

    if (number_e164(e164, r->from_user, strlen(r->from_user)))
        snprintf(out, CALLER_MAX + 1, "%s", e164);
    else if (r->from_user[0] != '\0')
        snprintf(out, CALLER_MAX + 1, "%.*s", CALLER_MAX, r->from_user);
    else
        snprintf(out, CALLER_MAX + 1, "anonymous");
}

/* ---- the enquiry ---------------------------------------------------------------------------- */

static cc_status enquiry_create(struct ingress *in, const struct sip_req *r, const char *channel,
                                const char *caller, const char *leg_id,
                                Cc__CreateEnquiryReply **out)
{
    Cc__CreateEnquiryRequest req = CC__CREATE_ENQUIRY_REQUEST__INIT;
    Cc__RequestMeta meta = CC__REQUEST_META__INIT;
    char key[65], fp[65];
    ProtobufCMessage *rep = NULL;
    cc_status st;

    /* the Call-ID is the idempotency key: a retried INVITE never makes a
     * second enquiry */
    calls_key(key, "ingress:invite", r->call_id);
    calls_key(fp, channel, caller);
    meta.key = key;
    meta.fingerprint = fp;
    req.channel_id = (char *)channel;
    req.kind = CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL;
    req.caller = (char *)caller;
    req.leg_id = (char *)leg_id;
    req.meta = &meta;
    st = cc_bus_request(in->bus, "cc.queue.create", &req.base,
                        &cc__create_enquiry_reply__descriptor, in->cfg->request_timeout_ms, &rep);
    *out = (Cc__CreateEnquiryReply *)rep;
    if (st == CC_OK && cc_error_is_set((*out)->error))
        st = cc_error_status((*out)->error);
    else if (st == CC_OK && ((*out)->enquiry == NULL || (*out)->visitor_token == NULL))
        st = CC_ERR_PROTO;
    return st;
}

cc_status calls_enquiry_end(struct ingress *in, const struct call *c, const char *staff_id)
{
    return calls_enquiry_end_why(in, c, staff_id, NULL);
}

cc_status calls_enquiry_end_why(struct ingress *in, const struct call *c, const char *staff_id,
                                const char *reason)
{
    Cc__EnquiryRequest req = CC__ENQUIRY_REQUEST__INIT;
    Cc__EnquiryActor actor = CC__ENQUIRY_ACTOR__INIT;
    Cc__RequestMeta meta = CC__REQUEST_META__INIT;
    const char *enq = call_get(c, "enquiry_id");
    char key[65], fp[65];
    ProtobufCMessage *rep = NULL;
    cc_status st;

    if (enq[0] == '\0')
        return CC_OK;
    calls_key(key, staff_id != NULL ? "ingress:staff-end" : "ingress:end", call_get(c, "id"));
    calls_key(fp, "end", enq);
    meta.key = key;
    meta.fingerprint = fp;
    if (staff_id != NULL)
        actor.staff_id = (char *)staff_id;
    else
        actor.visitor_token = (char *)call_get(c, "visitor_token");
    req.enquiry_id = (char *)enq;
    req.actor = &actor;
    req.meta = &meta;
    if (reason != NULL)
        req.end_reason = (char *)reason;
    st = cc_bus_request(in->bus, "cc.queue.end", &req.base, &cc__enquiry_reply__descriptor,
                        in->cfg->request_timeout_ms, &rep);
    if (st == CC_OK) {
        st = cc_error_status(((Cc__EnquiryReply *)rep)->error);
        if (st == CC_ERR_CONFLICT || st == CC_ERR_NOT_FOUND)
            st = CC_OK; /* ended already */
    }
    if (rep != NULL)
        protobuf_c_message_free_unpacked(rep, NULL);
    if (st != CC_OK)
        cc_log(CC_LOG_WARN, "cannot end the enquiry of a call", "enquiry_id", enq, "error",
               cc_status_str(st), NULL);
    return st;
}

static void release(struct ingress *in, const struct call *c)
{
    if (media_release(in, call_get(c, "node"), call_get(c, "leg_id")) != CC_OK)
        cc_log(CC_LOG_WARN, "cannot release a media leg", "leg_id", call_get(c, "leg_id"), NULL);
}

/* ---- INVITE ------------------------------------------------------------------------------ */

/* The call ends before it was offered: its leg is released, its record
 * ended. */
static void abandon(struct ingress *in, const char *id, const char *node, const char *leg_id)
{
    struct call c = {0};
    char prev[16];

    if (leg_id != NULL && leg_id[0] != '\0')
        media_release(in, node, leg_id);
    call_set(in, id, "*", "ended", false, 0, NULL, &c, prev);
    call_clear(&c);
}

/* A refused enquiry (blocked, voicemail): 480 with a Reason at once. */
/* Nobody can take the call (R8.3): the caller is told at once. Its media
 * leg plays the announcement (media's "announce": three rising tones, about
 * a second, the leg then ends by itself) as early media in a 183 with our
 * SDP, and the 480 with its Reason follows when it has played. Without the
 * announcement (media refused it), the 480 at once and the leg released. */
static void refuse(struct ingress *in, uint64_t txn, const char *state, const char *node,
                   const char *leg_id, const char *answer)
{
    const char *reason = strcmp(state, "voicemail") == 0 ? REASON_VOICEMAIL : REASON_BLOCKED;
    char why[200];
    bool told = media_leg_cmd(in, node, "announce", leg_id, NULL, why, sizeof(why)) == CC_OK;

    if (told)
        sip_reply(in->sip, txn, &(struct sip_reply){.status = 183, .sdp = answer});
    else
        media_release(in, node, leg_id);
    sip_reply(in->sip, txn,
              &(struct sip_reply){.status = 480, .reason = reason,
                                  .delay_ms = told ? ANNOUNCE_MS : 0});
}

static const char *state_name(Cc__EnquiryState s)
{
    switch (s) {
    case CC__ENQUIRY_STATE__ENQUIRY_STATE_PENDING:
        return "pending";
    case CC__ENQUIRY_STATE__ENQUIRY_STATE_ACTIVE:
        return "active";
    case CC__ENQUIRY_STATE__ENQUIRY_STATE_BLOCKED:
        return "blocked";
    case CC__ENQUIRY_STATE__ENQUIRY_STATE_VOICEMAIL:
        return "voicemail";
    default:
        return "ended";
    }
}

/* A retried INVITE (same Call-ID) of a call still offered: this
 * transaction takes the place of the first. */
static void invite_again(struct ingress *in, const struct sip_req *r, const char *id,
                         const char *state)
{
    char txn[24], prev[16];
    const char *f[4] = {"instance", in->cfg->instance, "txn", txn};
    struct call c = {0};
    cc_status st;

    if (strcmp(state, "offering") != 0) {
        sip_reply_status(in->sip, r->txn, strcmp(state, "answered") == 0 ? 482 : 480, NULL);
        return;
    }
    snprintf(txn, sizeof(txn), "%llu", (unsigned long long)r->txn);
    st = call_set(in, id, "offering", "offering", false, 4, f, &c, prev);
    if (st == CC_OK)
        sip_reply(in->sip, r->txn, &(struct sip_reply){.status = 180});
    else
        sip_reply_status(in->sip, r->txn, st == CC_ERR_UNAVAILABLE ? 503 : 480, NULL);
    call_clear(&c);
}

static void on_invite(struct ingress *in, const struct sip_req *r)
{
    char trunk[65], e164[NUMBER_E164_MAX], channel[128], caller[CALLER_MAX + 1];
    char id[CC_ID_LEN], existing[64], state[16], leg_id[64], why[200], txn[24];
    char answer[SDP_ANSWER_MAX], sess[24], prev[16];
    struct sdp_offer offer;
    struct media_leg leg = {0};
    Cc__CreateEnquiryReply *cr = NULL;
    struct call c = {0};
    bool existed = false;
    enum sdp_result sr;
    cc_status st;

    if (admit(in, r, trunk, sizeof(trunk)) != ADMIT_OK)
        return;
    if (!number_channel(in, r, e164, channel))
        return;
    sr = sdp_offer_parse(&offer, r->body, r->body_len, why, sizeof(why));
    if (sr != SDP_OK) {
        sip_reply_status(in->sip, r->txn, sr == SDP_BAD ? 400 : 488, why);
        return;
    }
    caller_of(r, caller);
    cc_id_new(id);
    {
        const char *f[] = {"instance", in->cfg->instance, "trunk", trunk,   "number", e164,
                           "channel",  channel,           "caller", caller, "local",  "",
                           "remote",   r->from,           "target", r->contact,
                           "route",    r->route};
        st = call_new(in, id, r->call_id, (int)(sizeof(f) / sizeof(f[0])), f, &existed, existing,
                      state);
    }
    if (st != CC_OK) {
        sip_reply_status(in->sip, r->txn, 503, NULL);
        return;
    }
    if (existed) {
        invite_again(in, r, existing, state);
        return;
    }
    st = media_pick(in, leg.node);
    snprintf(leg_id, sizeof(leg_id), "sip-%s", id);
    if (st != CC_OK) {
        snprintf(why, sizeof(why), "no media node");
        goto unavailable;
    }
    st = media_allocate(in, leg.node, leg_id, &leg, why, sizeof(why));
    if (st != CC_OK) {
        leg_id[0] = '\0';
        goto unavailable;
    }
    st = media_remote(in, leg.node, leg_id, &offer, NULL, why, sizeof(why));
    if (st != CC_OK) {
        if (st == CC_ERR_INVALID) {
            abandon(in, id, leg.node, leg_id);
            sip_reply_status(in->sip, r->txn, 488, why);
            return;
        }
        goto unavailable;
    }
    if (sdp_answer_print(answer, sizeof(answer), &offer, leg.address, leg.port,
                         sdp_session_id(leg_id), 1) < 0) {
        snprintf(why, sizeof(why), "the SDP answer does not fit");
        goto unavailable;
    }
    st = enquiry_create(in, r, channel, caller, leg_id, &cr);
    if (st != CC_OK) {
        snprintf(why, sizeof(why), "the enquiry cannot be created: %s", cc_status_str(st));
        if (st == CC_ERR_NOT_FOUND) { /* the number's channel is gone */
            abandon(in, id, leg.node, leg_id);
            sip_reply_status(in->sip, r->txn, 404, why);
            goto out;
        }
        goto unavailable;
    }
    snprintf(txn, sizeof(txn), "%llu", (unsigned long long)r->txn);
    snprintf(sess, sizeof(sess), "%lld", (long long)cc_wall_ms());
    {
        const char *to = state_name(cr->enquiry->state);
        bool pending = strcmp(to, "pending") == 0;
        char local[1200];
        const char *f[] = {"enquiry_id", cr->enquiry->id, "visitor_token", cr->visitor_token,
                           "node",       leg.node,        "leg_id",        leg_id,
                           "answer_sdp", answer,          "txn",           txn,
                           "local",      local,           "sdp_version",   "1"};
        snprintf(local, sizeof(local), "%s;tag=%s", r->to, r->local_tag);
        st = call_set(in, id, "new", pending ? "offering" : "ended", false,
                      (int)(sizeof(f) / sizeof(f[0])), f, &c, prev);
        if (st != CC_OK) {
            snprintf(why, sizeof(why), "the call cannot be stored");
            goto unavailable;
        }
        if (!pending) {
            refuse(in, r->txn, to, leg.node, leg_id, answer);
            cc_log(CC_LOG_INFO, "call refused", "call", id, "enquiry_id", cr->enquiry->id,
                   "state", to, NULL);
            goto out;
        }
    }
    sip_reply(in->sip, r->txn, &(struct sip_reply){.status = 180});
    cc_log(CC_LOG_INFO, "call offered", "call", id, "enquiry_id", cr->enquiry->id, "number", e164,
           "trunk", trunk, "media", leg.node, NULL);
    goto out;
unavailable:
    abandon(in, id, leg.node, leg_id);
    sip_reply_status(in->sip, r->txn, 503, why);
    cc_log(CC_LOG_WARN, "call not set up", "call_id", r->call_id, "why", why, NULL);
out:
    call_clear(&c);
    if (cr != NULL)
        cc__create_enquiry_reply__free_unpacked(cr, NULL);
}

/* ---- in the dialog: CANCEL, BYE, re-INVITE --------------------------------------------------- */

/* Ends the call (from whichever live state) and what hangs on it: the
 * enquiry (as the caller), the media leg. True when this call made the change. */
static bool end_call(struct ingress *in, const char *id, const char *why)
{
    struct call c = {0};
    char prev[16];
    const char *f[2] = {"end_reason", why};
    cc_status st = call_set(in, id, "new,offering,answered", "ended", false, 2, f, &c, prev);

    if (st == CC_OK) {
        calls_enquiry_end(in, &c, NULL);
        release(in, &c);
        phones_hangup(in, id, why);
        cc_log(CC_LOG_INFO, "call ended", "call", id, "by", why, NULL);
    }
    call_clear(&c);
    return st == CC_OK;
}

static cc_status owner(struct ingress *in, const char *id, bool *ours);

void calls_on_note(struct ingress *in, const struct sip_req *r)
{
    const char *sid = r->to_user;
    bool offer = r->kind == SIP_REQ_NOTE_OFFERED, ours = false;
    struct call c = {0};
    char id[64];
    cc_status st = call_lookup(in, "enq", r->call_id, id);

    if (st == CC_OK)
        st = owner(in, id, &ours);
    if (st != CC_OK || !ours) {
        if (st == CC_ERR_UNAVAILABLE)
            cc_log(CC_LOG_WARN, "notification not acted on: Redis did not answer", "enquiry_id",
                   r->call_id, "staff", sid, NULL);
        return; /* not a call (or not ours: its replica acts) */
    }
    if (!offer) {
        phones_stop_ringing(in, id, sid);
        cc_log(CC_LOG_DEBUG, "call withdrawn from staff", "call", id, "staff", sid, NULL);
        return;
    }
    st = call_read(in, id, &c);
    if (st == CC_OK && strcmp(call_get(&c, "state"), "offering") == 0 &&
        phones_ring_again(in, &c, sid) != CC_OK)
        cc_log(CC_LOG_WARN, "staff phones not rung: Redis did not answer", "call", id, "staff",
               sid, NULL);
    call_clear(&c);
}

void calls_on_resync(struct ingress *in, const struct sip_req *r)
{
    char id[64], key[160];
    const char *argv[2] = {"SMEMBERS", key};
    bool ours = false;
    struct call c = {0};
    redisReply *offered = NULL;
    cc_status st = call_lookup(in, "enq", r->call_id, id);

    if (st == CC_OK)
        st = owner(in, id, &ours);
    if (st != CC_OK || !ours)
        return;
    if (call_read(in, id, &c) != CC_OK || strcmp(call_get(&c, "state"), "offering") != 0)
        goto out;
    snprintf(key, sizeof(key), "cc:enq:%s:offered", r->call_id);
    offered = cc_redis_command(in->redis, 2, argv, NULL);
    if (cc_redis_reply_status(offered) != CC_OK || offered->type != REDIS_REPLY_ARRAY)
        goto out;
    for (size_t i = 0; i < offered->elements; i++)
        if (offered->element[i]->type == REDIS_REPLY_STRING &&
            phones_ring(in, &c, offered->element[i]->str) != CC_OK)
            goto out;
    phones_ring_only(in, id, offered);
out:
    freeReplyObject(offered);
    call_clear(&c);
}

static void on_cancel(struct ingress *in, const struct sip_req *r)
{
    char id[64];

    if (call_lookup(in, "sip", r->call_id, id) == CC_OK)
        end_call(in, id, "caller_cancelled");
}

static void on_bye(struct ingress *in, const struct sip_req *r)
{
    char id[64];
    cc_status st = call_lookup(in, "sip", r->call_id, id);

    if (st == CC_ERR_NOT_FOUND) {
        if (!phones_on_bye(in, r)) /* else the staff phone's dialog */
            sip_reply_status(in->sip, r->txn, 481, NULL);
        return;
    }
    if (st != CC_OK) {
        sip_reply_status(in->sip, r->txn, 503, NULL);
        return;
    }
    {
        struct call c = {0};
        bool out = call_read(in, id, &c) == CC_OK && outbound_is(&c);
        call_clear(&c);
        if (out) { /* the callee of an outbound call hung up */
            sip_reply_status(in->sip, r->txn, 200, NULL);
            outbound_end(in, id, "callee_hung_up");
            return;
        }
    }
    end_call(in, id, "caller_hung_up");
    sip_reply_status(in->sip, r->txn, 200, NULL);
}

int calls_reanswer(struct ingress *in, const struct sip_req *r, const char *node,
                   const char *leg_id, unsigned version, char answer[SDP_ANSWER_MAX], char *why,
                   size_t whylen)
{
    struct sdp_offer offer;
    struct media_leg leg = {0};
    cc_status st;

    if (r->body_len == 0) {
        snprintf(why, whylen, "a re-INVITE without an SDP offer is not taken");
        return 488;
    }
    if (sdp_offer_parse(&offer, r->body, r->body_len, why, whylen) != SDP_OK)
        return 488;
    st = media_remote(in, node, leg_id, &offer, &leg, why, whylen);
    if (st != CC_OK)
        return st == CC_ERR_INVALID ? 488 : 503;
    if (sdp_answer_print(answer, SDP_ANSWER_MAX, &offer, leg.address, leg.port,
                         sdp_session_id(leg_id), version) < 0) {
        snprintf(why, whylen, "the SDP answer does not fit");
        return 500;
    }
    cc_log(CC_LOG_INFO, "re-INVITE: the media leg follows the new SDP", "leg_id", leg_id,
           "direction", offer.dir == SDP_SENDRECV ? "sendrecv" : "hold", NULL);
    return 0;
}

/* A re-INVITE in a caller's dialog (an inbound call) or a carrier's (an
 * outbound call), else in a staff phone's (phones.c). */
static void on_reinvite(struct ingress *in, const struct sip_req *r)
{
    char id[64], why[200] = "", answer[SDP_ANSWER_MAX], ver[16], prev[16];
    struct call c = {0};
    unsigned v;
    int status;
    cc_status st = call_lookup(in, "sip", r->call_id, id);

    if (st == CC_ERR_NOT_FOUND && phones_on_reinvite(in, r))
        return;
    if (st != CC_OK) {
        sip_reply_status(in->sip, r->txn, st == CC_ERR_NOT_FOUND ? 481 : 503, NULL);
        return;
    }
    /* read the call (a step that changes nothing) to know its leg */
    st = call_set(in, id, "answered", "answered", false, 0, NULL, &c, prev);
    if (st != CC_OK) {
        sip_reply_status(in->sip, r->txn,
                         st == CC_ERR_UNAVAILABLE ? 503 : st == CC_ERR_CONFLICT ? 491 : 481, NULL);
        goto out;
    }
    v = (unsigned)atoi(call_get(&c, "sdp_version"));
    v = (v < 1 ? 1 : v) + 1;
    status = calls_reanswer(in, r, call_get(&c, "node"),
                            call_get(&c, outbound_is(&c) ? "carrier_leg" : "leg_id"), v, answer,
                            why, sizeof(why));
    if (status != 0) {
        sip_reply_status(in->sip, r->txn, status, why);
        goto out;
    }
    call_clear(&c);
    snprintf(ver, sizeof(ver), "%u", v);
    {
        const char *f[4] = {"answer_sdp", answer, "sdp_version", ver};
        st = call_set(in, id, "answered", "answered", false, 4, f, &c, prev);
    }
    if (st != CC_OK) {
        sip_reply_status(in->sip, r->txn, 503, NULL);
        goto out;
    }
    sip_reply(in->sip, r->txn, &(struct sip_reply){.status = 200, .sdp = answer});
out:
    call_clear(&c);
}

void calls_on_request(struct ingress *in, const struct sip_req *r)
{
    switch (r->kind) {
    case SIP_REQ_INVITE:
        on_invite(in, r);
        break;
    case SIP_REQ_REINVITE:
        on_reinvite(in, r);
        break;
    case SIP_REQ_BYE:
        on_bye(in, r);
        break;
    case SIP_REQ_CANCEL:
        on_cancel(in, r);
        break;
    case SIP_REQ_REGISTER:
        phones_on_register(in, r);
        break;
    case SIP_REQ_RING_OK:
    case SIP_REQ_RING_FAILED:
    case SIP_REQ_RING_PROGRESS:
        if (strncmp(r->ring, OUTBOUND_DIAL_PREFIX, strlen(OUTBOUND_DIAL_PREFIX)) == 0)
            outbound_on_dial(in, r); /* the carrier's answer to an outbound call */
        else if (r->kind == SIP_REQ_RING_OK)
            phones_on_ring_ok(in, r);
        else if (r->kind == SIP_REQ_RING_FAILED)
            phones_on_ring_failed(in, r);
        break;
    case SIP_REQ_NOTE_OFFERED:
    case SIP_REQ_NOTE_WITHDRAWN:
        calls_on_note(in, r);
        break;
    case SIP_REQ_RESYNC:
        calls_on_resync(in, r);
        break;
    }
}

/* ---- enquiry facts ---------------------------------------------------------------------------- */

/* Whether a call's enquiry is being created now (its fact may come before
 * the call knows its enquiry id). */
static cc_status creating(struct ingress *in, bool *yes)
{
    char min[24];
    const char *argv[4] = {"ZCOUNT", "cc:call:creating", min, "+inf"};
    redisReply *r;

    snprintf(min, sizeof(min), "%lld", (long long)(cc_wall_ms() - 30000));
    r = cc_redis_command(in->redis, 4, argv, NULL);
    if (cc_redis_reply_status(r) != CC_OK || r->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(r);
        return CC_ERR_UNAVAILABLE;
    }
    *yes = r->integer > 0;
    freeReplyObject(r);
    return CC_OK;
}

/* A final answer to the INVITE the call's record names. */
static void final_to_invite(struct ingress *in, const struct call *c, const struct sip_reply *rep)
{
    sip_reply(in->sip, strtoull(call_get(c, "txn"), NULL, 10), rep);
}

static enum fact_result answered(struct ingress *in, const char *id, bool ours)
{
    struct call c = {0};
    char prev[16];
    cc_status st = call_set(in, id, "offering", "answered", false, 0, NULL, &c, prev);

    if (st == CC_ERR_UNAVAILABLE)
        return FACT_RETRY;
    if (st == CC_OK && !ours) {
        /* the replica that held the INVITE is gone: nobody can answer it */
        end_call(in, id, "ingress_lost");
    } else if (st == CC_OK) {
        final_to_invite(in, &c, &(struct sip_reply){.status = 200, .sdp = call_get(&c, "answer_sdp")});
        /* A console's answer has no staff media leg yet (WebRTC comes with
         * its issue): the caller gets 200 and no bridge. A staff phone's
         * answer takes this step itself and bridges (phones.c, won()). */
        cc_log(CC_LOG_INFO, "call answered", "call", id, "enquiry_id", call_get(&c, "enquiry_id"),
               NULL);
    }
    /* answered by anyone (a console, or a phone whose ring is answered
     * already): every phone still ringing gets CANCEL */
    if (st == CC_OK || st == CC_ERR_CONFLICT)
        phones_stop_ringing(in, id, NULL);
    call_clear(&c);
    return FACT_DONE;
}

static enum fact_result ended(struct ingress *in, const char *id, const char *why);

/* The enquiry ended before an answer (missed, cancelled by an operator):
 * 480 to the caller. A call answered already (its enquiry pending again
 * after a blind transfer nobody took) gets BYE instead. */
static enum fact_result unanswered(struct ingress *in, const char *id, const char *reason,
                                   const char *why)
{
    struct call c = {0};
    char prev[16];
    const char *f[2] = {"end_reason", why};
    cc_status st = call_set(in, id, "offering", "ended", false, 2, f, &c, prev);

    if (st == CC_ERR_UNAVAILABLE)
        return FACT_RETRY;
    if (st == CC_ERR_CONFLICT && strcmp(prev, "answered") == 0) {
        call_clear(&c);
        return ended(in, id, why);
    }
    if (st == CC_OK) {
        final_to_invite(in, &c, &(struct sip_reply){.status = 480, .reason = reason});
        release(in, &c);
        phones_hangup(in, id, why);
        cc_log(CC_LOG_INFO, "call not answered", "call", id, "why", why, NULL);
    }
    call_clear(&c);
    return FACT_DONE;
}

/* Staff (or an operator) ended the answered call: BYE to the caller. */
static enum fact_result ended(struct ingress *in, const char *id, const char *why)
{
    struct call c = {0};
    char prev[16];
    const char *f[2] = {"end_reason", why};
    cc_status st = call_set(in, id, "answered", "ended", true, 2, f, &c, prev);

    if (st == CC_ERR_UNAVAILABLE)
        return FACT_RETRY;
    if (st == CC_OK) {
        call_send_bye(in, &c);
        release(in, &c);
        phones_hangup(in, id, why);
        cc_log(CC_LOG_INFO, "call ended", "call", id, "by", why, NULL);
    }
    call_clear(&c);
    return FACT_DONE;
}

/* The call is offered to staff (ev->offered_to): their phones ring. Only
 * the replica holding the caller's INVITE rings, so that it also gets the
 * phones' answers and can answer the caller. */
static enum fact_result offered(struct ingress *in, const char *id, const Cc__Event *ev)
{
    struct call c = {0};
    cc_status st = call_read(in, id, &c);

    if (st == CC_ERR_UNAVAILABLE)
        return FACT_RETRY;
    cc_log(CC_LOG_DEBUG, "call offered to staff", "call", id, "state", call_get(&c, "state"),
           NULL);
    if (st == CC_OK && strcmp(call_get(&c, "state"), "offering") == 0)
        for (size_t i = 0; i < ev->n_offered_to; i++)
            if (phones_ring(in, &c, ev->offered_to[i]) != CC_OK) {
                call_clear(&c);
                return FACT_RETRY; /* rings made already are not made again */
            }
    call_clear(&c);
    return FACT_DONE;
}

/* The caller of c, alone while a blind transfer rings, hears hold audio
 * (media: hold of a leg with no bridge) until a phone takes the call (its
 * bridge ends the hold). */
static void hold_alone(struct ingress *in, const struct call *c)
{
    char why[200];

    if (media_leg_cmd(in, call_get(c, "node"), "hold", call_get(c, "leg_id"), NULL, why,
                      sizeof(why)) != CC_OK)
        cc_log(CC_LOG_WARN, "caller not put on hold for the transfer", "call", call_get(c, "id"),
               "why", why, NULL);
}

/* A transfer of an answered call (R14; docs/sip.md, "Transfers"): the
 * phones follow the enquiry. enquiry.transfer: blind, the sender's phone
 * leaves at once (BYE; the caller waits on hold audio); both modes, the
 * target's phones ring (offered_to). enquiry.transferred: the sender's
 * phone leaves, unless the taker's phone took the call over already
 * (phones.c, won()). enquiry.transfer_returned: the target's phones stop
 * ringing; a blind one offered back to the sender rings theirs. */
static enum fact_result transfer_fact(struct ingress *in, const char *id, const char *type,
                                      const Cc__Event *ev)
{
    const char *from = ev->staff_id != NULL ? ev->staff_id : "";
    const char *mode = ev->reason != NULL ? ev->reason : "";
    bool start = strcmp(type, "enquiry.transfer") == 0;
    bool back = strcmp(type, "enquiry.transfer_returned") == 0;
    struct call c = {0};
    cc_status st = call_read(in, id, &c);

    if (st == CC_OK && strcmp(call_get(&c, "state"), "answered") == 0 && !outbound_is(&c)) {
        if (back)
            phones_stop_ringing(in, id, NULL);
        else if (!start || strcmp(mode, "blind") == 0)
            st = phones_leave(in, &c, from, "transferred");
        if (st == CC_OK && start && strcmp(mode, "blind") == 0)
            hold_alone(in, &c);
        for (size_t i = 0; st == CC_OK && (start || back) && i < ev->n_offered_to; i++)
            st = phones_ring_again(in, &c, ev->offered_to[i]);
    }
    call_clear(&c);
    return st == CC_ERR_UNAVAILABLE ? FACT_RETRY : FACT_DONE;
}

/* Whether this instance's SIP thread holds the call's INVITE (a read). */
static cc_status owner(struct ingress *in, const char *id, bool *ours)
{
    char key[128];
    const char *argv[3] = {"HGET", key, "instance"};
    redisReply *r;

    snprintf(key, sizeof(key), "cc:call:%s", id);
    r = cc_redis_command(in->redis, 3, argv, NULL);
    if (cc_redis_reply_status(r) != CC_OK) {
        freeReplyObject(r);
        return CC_ERR_UNAVAILABLE;
    }
    *ours = r->type == REDIS_REPLY_STRING && strcmp(r->str, in->cfg->instance) == 0;
    freeReplyObject(r);
    return CC_OK;
}

enum fact_result calls_on_fact(struct ingress *in, const Cc__Event *ev, int delivered)
{
    const char *type = ev->type != NULL ? ev->type : "";
    const Cc__Enquiry *e = ev->enquiry;
    char id[64];
    bool ours = false, busy = false;
    cc_status st;

    if (ev->body_case != CC__EVENT__BODY_ENQUIRY || e == NULL ||
        e->kind != CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL)
        return FACT_DONE;
    bool xfer = strcmp(type, "enquiry.transfer") == 0 || strcmp(type, "enquiry.transferred") == 0 ||
                strcmp(type, "enquiry.transfer_returned") == 0;

    if (strcmp(type, "enquiry.created") != 0 && strcmp(type, "enquiry.answered") != 0 &&
        strcmp(type, "enquiry.missed") != 0 && strcmp(type, "enquiry.cancelled") != 0 &&
        strcmp(type, "enquiry.ended") != 0 && !xfer)
        return FACT_DONE;
    st = call_lookup(in, "enq", e->id, id);
    if (st == CC_ERR_NOT_FOUND) {
        /* not a call of ours, or one whose INVITE step has not yet stored
         * its enquiry: wait while some call is being created. A call that
         * left "creating" between the lookup and this check has stored its
         * enquiry (one step does both): look again before giving up */
        if (creating(in, &busy) != CC_OK)
            return FACT_RETRY;
        if (busy)
            return delivered < FOREIGN_DELIVERIES ? FACT_RETRY : FACT_DONE;
        st = call_lookup(in, "enq", e->id, id);
        if (st == CC_ERR_NOT_FOUND)
            return FACT_DONE;
    }
    if (st != CC_OK || owner(in, id, &ours) != CC_OK)
        return FACT_RETRY;
    if (strcmp(type, "enquiry.ended") == 0)
        return ended(in, id, e->end_reason != NULL ? e->end_reason : "ended");
    /* the rest answer the INVITE, which only its replica holds */
    if (!ours && delivered < FOREIGN_DELIVERIES)
        return FACT_RETRY;
    if (strcmp(type, "enquiry.created") == 0)
        return ours ? offered(in, id, ev) : FACT_DONE;
    if (xfer) /* rung from the INVITE's replica, or from this one once it is gone */
        return transfer_fact(in, id, type, ev);
    if (strcmp(type, "enquiry.answered") == 0)
        return answered(in, id, ours);
    if (strcmp(type, "enquiry.missed") == 0)
        return unanswered(in, id, REASON_MISSED, "max_wait");
    return unanswered(in, id, REASON_CANCELLED,
                      e->end_reason != NULL && e->end_reason[0] ? e->end_reason : "cancelled");
}
