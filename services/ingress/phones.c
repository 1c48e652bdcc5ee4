/* phones: staff SIP phones. See phones.h. */
#include "phones.h"
#include "auth.h"
#include "calls.h"
#include "cc_error.h"
#include "cc_id.h"
#include "cc_log.h"
#include "cc_time.h"
#include "contact.h"
#include "enquiry.pb-c.h"
#include "medialeg.h"
#include "outbound.h"
#include "sdp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING_TTL_S 43200
#define RING_ENDED_TTL_S 600

/* ---- REGISTER ------------------------------------------------------------------------------ */

/* The bindings after the change into a 200 OK (Contact: each with its
 * seconds left). */
static void register_ok(struct ingress *in, uint64_t txn, const redisReply *rep)
{
    const char *uris[CONTACTS_PER_STAFF];
    int secs[CONTACTS_PER_STAFF];
    size_t n = 0;
    char list[CONTACTS_PER_STAFF * (CONTACT_URI_MAX + 24)];

    for (size_t i = 1; i + 1 < rep->elements && n < CONTACTS_PER_STAFF; i += 2) {
        uris[n] = cc_step_str(rep, i);
        secs[n] = atoi(cc_step_str(rep, i + 1));
        n++;
    }
    if (contact_list_print(list, sizeof(list), n, uris, secs) < 0) {
        sip_reply_status(in->sip, txn, 500, NULL);
        return;
    }
    sip_reply(in->sip, txn, &(struct sip_reply){.status = 200, .contact = list});
}

/* Whether r's Contact headers can be taken (else answered 400). */
static bool register_valid(struct ingress *in, const struct sip_req *r)
{
    if (r->ncontacts > SIP_CONTACTS_MAX) {
        sip_reply_status(in->sip, r->txn, 400, "too many Contact headers");
        return false;
    }
    if (r->contact_star && (r->ncontacts != 1 || r->expires != 0)) {
        sip_reply_status(in->sip, r->txn, 400, "Contact: * needs Expires: 0 and no other Contact");
        return false;
    }
    for (int i = 0; i < r->ncontacts; i++)
        if (!r->contact_star && !contact_uri_ok(r->contacts[i], strlen(r->contacts[i]))) {
            sip_reply_status(in->sip, r->txn, 400, "a Contact is not a usable sip: URI");
            return false;
        }
    return true;
}

void phones_on_register(struct ingress *in, const struct sip_req *r)
{
    char sid[128], max[16], secs[SIP_CONTACTS_MAX][16];
    const char *args[3 + 2 * SIP_CONTACTS_MAX];
    int n = 0;
    cc_status st;
    enum auth_staff who = auth_verify_staff(in, r->auth, "REGISTER", sid, &st);
    redisReply *rep = NULL;

    if (st != CC_OK) {
        sip_reply_status(in->sip, r->txn, 503, "cannot check credentials now");
        return;
    }
    if (who == AUTH_STAFF_NONE) {
        char challenge[AUTH_CHALLENGE_MAX];
        if (auth_challenge(in, in->cfg->sip_realm, challenge) != CC_OK)
            sip_reply_status(in->sip, r->txn, 503, "cannot issue a challenge now");
        else
            sip_reply(in->sip, r->txn, &(struct sip_reply){.status = 401, .www_auth = challenge});
        return;
    }
    if (who == AUTH_STAFF_BAD) {
        sip_reply_status(in->sip, r->txn, 403, "wrong credentials");
        cc_log(CC_LOG_INFO, "REGISTER refused: wrong credentials", "source", r->src_ip, NULL);
        return;
    }
    if (strcmp(r->to_user, sid) != 0) {
        sip_reply_status(in->sip, r->txn, 403, "the To user is not the authenticated staff member");
        return;
    }
    if (!register_valid(in, r))
        return;
    snprintf(max, sizeof(max), "%d", CONTACTS_PER_STAFF);
    args[n++] = sid;
    args[n++] = max;
    args[n++] = r->contact_star ? "1" : "0";
    for (int i = 0; !r->contact_star && i < r->ncontacts; i++) {
        snprintf(secs[i], sizeof(secs[i]), "%d",
                 contact_expiry(r->contact_expires[i], r->expires, CONTACT_MAX_S));
        args[n++] = r->contacts[i];
        args[n++] = secs[i];
    }
    st = cc_step_call(&in->frame, in->script[I_REG], NULL, n, args, NULL, &rep);
    if (st != CC_OK || rep->type != REDIS_REPLY_ARRAY) {
        sip_reply_status(in->sip, r->txn, 503, "the registration cannot be stored");
    } else if (strcmp(cc_step_result(rep), "full") == 0) {
        sip_reply_status(in->sip, r->txn, 403, "too many registered phones");
    } else {
        register_ok(in, r->txn, rep);
        if (r->ncontacts > 0)
            cc_log(CC_LOG_INFO, "staff phone registration", "staff", sid, "bindings",
                   rep->elements > 1 ? "some" : "none", NULL);
    }
    freeReplyObject(rep);
}

/* ---- the ring's dialog ------------------------------------------------------------------------ */

static void ring_release(struct ingress *in, const struct call *g)
{
    if (media_release(in, call_get(g, "node"), call_get(g, "leg_id")) != CC_OK)
        cc_log(CC_LOG_WARN, "cannot release a phone's media leg", "leg_id", call_get(g, "leg_id"),
               NULL);
}

/* Ends ring id from one of from: BYE when it was answered (bye), its
 * media leg released. True when this call made the change. */
static bool ring_end(struct ingress *in, const char *id, const char *from, bool bye,
                     const char *why)
{
    struct call g = {0};
    char prev[16];
    const char *f[2] = {"end_reason", why};
    cc_status st = ring_set(in, id, from, "ended", bye, 2, f, &g, prev);

    if (st == CC_OK) {
        if (bye)
            call_send_bye(in, &g);
        ring_release(in, &g);
    }
    call_clear(&g);
    return st == CC_OK;
}

/* The ring ids of call id into *out (caller frees with freeReplyObject). */
static cc_status rings_of(struct ingress *in, const char *call_id, redisReply **out)
{
    char key[128];
    const char *argv[2] = {"HVALS", key};

    snprintf(key, sizeof(key), "cc:call:%s:rings", call_id);
    *out = cc_redis_command(in->redis, 2, argv, NULL);
    if (cc_redis_reply_status(*out) != CC_OK || (*out)->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(*out);
        *out = NULL;
        return CC_ERR_UNAVAILABLE;
    }
    return CC_OK;
}

static void cancel_ring(struct ingress *in, const char *id, const char *sid)
{
    struct call g = {0};
    char prev[16];
    const char *f[2] = {"end_reason", "cancelled"};

    if (sid != NULL) { /* only that staff member's: read the ring first */
        if (ring_set(in, id, "ringing", "ringing", false, 0, NULL, &g, prev) != CC_OK ||
            strcmp(call_get(&g, "staff"), sid) != 0) {
            call_clear(&g);
            return;
        }
        call_clear(&g);
    }
    if (ring_set(in, id, "ringing", "cancelled", false, 2, f, &g, prev) == CC_OK)
        sip_ring_cancel(in->sip, id);
    call_clear(&g);
}

void phones_stop_ringing(struct ingress *in, const char *call_id, const char *sid)
{
    redisReply *ids = NULL;

    if (rings_of(in, call_id, &ids) != CC_OK)
        return;
    for (size_t i = 0; i < ids->elements; i++)
        if (ids->element[i]->type == REDIS_REPLY_STRING)
            cancel_ring(in, ids->element[i]->str, sid);
    freeReplyObject(ids);
}

void phones_hangup(struct ingress *in, const char *call_id, const char *why)
{
    redisReply *ids = NULL;

    if (rings_of(in, call_id, &ids) != CC_OK)
        return;
    for (size_t i = 0; i < ids->elements; i++) {
        const char *id = ids->element[i]->type == REDIS_REPLY_STRING ? ids->element[i]->str : "";
        if (id[0] == '\0')
            continue;
        cancel_ring(in, id, NULL);
        ring_end(in, id, "answering,answered", true, why);
    }
    freeReplyObject(ids);
}

/* ---- ringing --------------------------------------------------------------------------------- */

/* A user part we can put into a From URI as it is. */
static bool plain(const char *s)
{
    if (s[0] == '\0' || strlen(s) > 64)
        return false;
    for (; *s != '\0'; s++)
        if (!(*s >= '0' && *s <= '9') && !(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
            *s != '+' && *s != '-' && *s != '.' && *s != '_')
            return false;
    return true;
}

/* One ring of contact for staff sid: the ring, its media leg, the INVITE.
 * again: a ring of that phone for this call that is over (cancelled,
 * ended) is replaced by this one (an offer after a withdrawal). */
static void ring_one(struct ingress *in, const struct call *c, const char *sid, const char *contact,
                     bool again)
{
    char id[CC_ID_LEN], leg_id[64], tag[33], call_id[128], from[400], to[400], why[200];
    char sdp[SDP_ANSWER_MAX], prev[16];
    const char *caller = plain(call_get(c, "caller")) ? call_get(c, "caller") : "anonymous";
    const char *node = call_get(c, "node");
    bool v6 = strchr(in->cfg->sip_addr, ':') != NULL;
    struct media_leg leg = {0};
    struct call g = {0};
    cc_status st;

    cc_id_new(id);
    snprintf(leg_id, sizeof(leg_id), "ring-%s", id);
    sip_random_hex(tag, 8);
    snprintf(call_id, sizeof(call_id), "ring-%s@cc-ingress", id);
    snprintf(from, sizeof(from), "\"%s\" <sip:%s@%s%s%s:%d>;tag=%s", caller, caller,
             v6 ? "[" : "", in->cfg->sip_addr, v6 ? "]" : "", in->cfg->sip_port, tag);
    snprintf(to, sizeof(to), "<sip:%s@%s%s%s:%d>", sid, v6 ? "[" : "", in->cfg->sip_addr,
             v6 ? "]" : "", in->cfg->sip_port);
    {
        const char *f[] = {"call",   call_get(c, "id"), "staff",    sid,    "contact",
                           contact,  "sip_call_id",     call_id,    "local", from,
                           "remote", to,                "target",   contact, "route",
                           "",       "node",            node,       "leg_id", leg_id,
                           "instance", in->cfg->instance, "again", again ? "1" : "0"};
        st = ring_set(in, id, "none", "ringing", false, (int)(sizeof(f) / sizeof(f[0])), f, &g,
                      prev);
    }
    call_clear(&g);
    if (st != CC_OK) /* rung already (CONFLICT), or Redis did not answer */
        return;
    st = media_allocate(in, node, leg_id, &leg, why, sizeof(why));
    if (st != CC_OK ||
        sdp_offer_print(sdp, sizeof(sdp), leg.address, leg.port, sdp_session_id(leg_id), 1) < 0) {
        cc_log(CC_LOG_WARN, "staff phone not rung: no media leg", "staff", sid, "why", why, NULL);
        if (st == CC_OK)
            media_release(in, node, leg_id);
        ring_end(in, id, "ringing", false, "no_media");
        return;
    }
    sip_ring(in->sip, &(struct sip_ring){.id = id, .call_id = call_id, .from = from, .to = to,
                                         .target = contact, .sdp = sdp});
    /* a CANCEL decided between the step above and the INVITE reaching the
     * SIP thread found nothing to cancel there: ask again behind it */
    if (ring_set(in, id, "cancelled", "cancelled", false, 0, NULL, &g, prev) == CC_OK)
        sip_ring_cancel(in->sip, id);
    call_clear(&g);
    cc_log(CC_LOG_INFO, "staff phone rung", "call", call_get(c, "id"), "staff", sid, "ring", id,
           NULL);
}

cc_status phones_bindings(struct ingress *in, const char *sid, redisReply **out)
{
    char max[16];
    const char *args[3] = {sid, max, "0"};
    cc_status st;

    *out = NULL;
    snprintf(max, sizeof(max), "%d", CONTACTS_PER_STAFF);
    st = cc_step_call(&in->frame, in->script[I_REG], NULL, 3, args, NULL, out);
    if (st != CC_OK || (*out)->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(*out);
        *out = NULL;
        return CC_ERR_UNAVAILABLE;
    }
    return CC_OK;
}

static cc_status ring_all(struct ingress *in, const struct call *c, const char *sid, bool again)
{
    redisReply *rep;

    if (phones_bindings(in, sid, &rep) != CC_OK)
        return CC_ERR_UNAVAILABLE;
    for (size_t i = 1; i + 1 < rep->elements; i += 2)
        ring_one(in, c, sid, cc_step_str(rep, i), again);
    freeReplyObject(rep);
    return CC_OK;
}

cc_status phones_ring(struct ingress *in, const struct call *c, const char *sid)
{
    return ring_all(in, c, sid, false);
}

cc_status phones_ring_again(struct ingress *in, const struct call *c, const char *sid)
{
    return ring_all(in, c, sid, true);
}

/* ---- a phone answers ------------------------------------------------------------------------- */

/* cc.queue.answer as staff sid, keyed by the ring: *won. */
static cc_status answer(struct ingress *in, const char *enquiry_id, const char *sid,
                        const char *ring, bool *won)
{
    Cc__AnswerRequest req = CC__ANSWER_REQUEST__INIT;
    Cc__RequestMeta meta = CC__REQUEST_META__INIT;
    char key[65], fp[65];
    ProtobufCMessage *rep = NULL;
    cc_status st;

    *won = false;
    calls_key(key, "ingress:ring-answer", ring);
    calls_key(fp, enquiry_id, sid);
    meta.key = key;
    meta.fingerprint = fp;
    req.enquiry_id = (char *)enquiry_id;
    req.staff_id = (char *)sid;
    req.meta = &meta;
    st = cc_bus_request(in->bus, "cc.queue.answer", &req.base, &cc__answer_reply__descriptor,
                        in->cfg->request_timeout_ms, &rep);
    if (st == CC_OK) {
        Cc__AnswerReply *a = (Cc__AnswerReply *)rep;
        if (cc_error_is_set(a->error))
            st = cc_error_status(a->error);
        else
            *won = a->won;
    }
    if (rep != NULL)
        protobuf_c_message_free_unpacked(rep, NULL);
    return st;
}

void phones_ring_only(struct ingress *in, const char *call_id, const redisReply *offered)
{
    char key[128];
    const char *argv[2] = {"HKEYS", key};
    redisReply *keys;

    snprintf(key, sizeof(key), "cc:call:%s:rings", call_id);
    keys = cc_redis_command(in->redis, 2, argv, NULL);
    if (cc_redis_reply_status(keys) == CC_OK && keys->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < keys->elements; i++) {
            /* "<staff id> <contact>" */
            const redisReply *k = keys->element[i];
            const char *sp = k->type == REDIS_REPLY_STRING ? strchr(k->str, ' ') : NULL;
            size_t n = sp != NULL ? (size_t)(sp - k->str) : 0;
            bool still = false;
            char sid[128];
            if (n == 0 || n >= sizeof(sid))
                continue;
            memcpy(sid, k->str, n);
            sid[n] = '\0';
            for (size_t j = 0; j < offered->elements && !still; j++)
                still = offered->element[j]->type == REDIS_REPLY_STRING &&
                        strcmp(offered->element[j]->str, sid) == 0;
            if (!still)
                phones_stop_ringing(in, call_id, sid);
        }
    freeReplyObject(keys);
}

cc_status phones_leave(struct ingress *in, const struct call *c, const char *sid, const char *why)
{
    const char *ring = call_get(c, "ring");
    struct call g = {0};
    char prev[16];
    cc_status st;

    if (ring[0] == '\0')
        return CC_OK;
    st = ring_set(in, ring, "answered", "answered", false, 0, NULL, &g, prev); /* a read */
    if (st == CC_OK && strcmp(call_get(&g, "staff"), sid) == 0 &&
        ring_end(in, ring, "answered", true, why))
        cc_log(CC_LOG_INFO, "staff phone left the call", "call", call_get(c, "id"), "staff", sid,
               "why", why, NULL);
    call_clear(&g);
    return st == CC_ERR_UNAVAILABLE ? st : CC_OK;
}

/* The phone of ring g won call call_id: 200 OK to the caller (unless the
 * console's fact did it already), the bridge, the other rings cancelled.
 * An answered call is a transfer taken on this phone: the phone in the call
 * until now (a consult's sender) leaves it first, and the controls start
 * afresh on the new bridge. */
static void won(struct ingress *in, const struct call *g)
{
    const char *call_id = call_get(g, "call"), *ring = call_get(g, "id");
    const char *f[8] = {"ring", ring, "held", "0", "muted", "0", "recording", "0"};
    struct call c = {0};
    char prev[16], why[200];
    cc_status st = call_set(in, call_id, "offering", "answered", false, 2, f, &c, prev);

    if (st == CC_OK) {
        sip_reply(in->sip, strtoull(call_get(&c, "txn"), NULL, 10),
                  &(struct sip_reply){.status = 200, .sdp = call_get(&c, "answer_sdp")});
    } else if (st == CC_ERR_CONFLICT && strcmp(prev, "answered") == 0) {
        st = call_read(in, call_id, &c);
        if (st == CC_OK && call_get(&c, "ring")[0] != '\0' &&
            strcmp(call_get(&c, "ring"), ring) != 0)
            ring_end(in, call_get(&c, "ring"), "answered", true, "transferred");
        call_clear(&c);
        if (st == CC_OK)
            st = call_set(in, call_id, "answered", "answered", false, 8, f, &c, prev);
    }
    phones_stop_ringing(in, call_id, NULL);
    if (st != CC_OK) {
        /* the caller is gone (or Redis is): this phone's call ends */
        ring_end(in, ring, "answered", true, "caller_gone");
        call_clear(&c);
        return;
    }
    if (media_bridge(in, call_get(&c, "node"), call_get(&c, "leg_id"), call_get(g, "leg_id"), why,
                     sizeof(why)) != CC_OK)
        cc_log(CC_LOG_ERROR, "cannot bridge the caller to the staff phone", "call", call_id,
               "why", why, NULL);
    cc_log(CC_LOG_INFO, "call answered on a staff phone", "call", call_id, "staff",
           call_get(g, "staff"), "ring", ring, NULL);
    call_clear(&c);
}

void phones_on_ring_ok(struct ingress *in, const struct sip_req *r)
{
    char cseq[16], prev[16], why[200];
    const char *f[8] = {"remote", r->to, "target", r->contact, "route", r->route,
                        "local_cseq", cseq};
    struct call g = {0}, c = {0};
    struct sdp_offer ans;
    bool is_won = false;
    cc_status st;

    snprintf(cseq, sizeof(cseq), "%u", r->cseq);
    st = ring_set(in, r->ring, "ringing", "answering", false, 8, f, &g, prev);
    if (st == CC_ERR_CONFLICT) {
        /* cancelled meanwhile (answered elsewhere, the call ended): the
         * 2xx crossed our CANCEL; end this phone's call */
        call_clear(&g);
        if (ring_set(in, r->ring, "cancelled", "cancelled", false, 8, f, &g, prev) == CC_OK) {
            call_clear(&g);
            ring_end(in, r->ring, "cancelled", true, "answered_elsewhere");
        }
        return;
    }
    if (st != CC_OK) {
        call_clear(&g);
        return;
    }
    if (sdp_offer_parse(&ans, r->body, r->body_len, why, sizeof(why)) != SDP_OK ||
        media_remote(in, call_get(&g, "node"), call_get(&g, "leg_id"), &ans, NULL, why,
                     sizeof(why)) != CC_OK) {
        cc_log(CC_LOG_WARN, "staff phone's answer unusable", "ring", r->ring, "why", why, NULL);
        ring_end(in, r->ring, "answering", true, "bad_sdp");
        call_clear(&g);
        return;
    }
    st = call_read(in, call_get(&g, "call"), &c); /* its enquiry */
    if (st == CC_OK && outbound_is(&c)) {
        /* the staff member's own outbound call: now the carrier is dialled */
        bool taken = outbound_on_staff_answer(in, r->ring, &c);
        call_clear(&c);
        call_clear(&g);
        if (!taken || ring_set(in, r->ring, "answering", "answered", false, 0, NULL, &g, prev) !=
                          CC_OK)
            ring_end(in, r->ring, "answering", true, "lost");
        call_clear(&g);
        return;
    }
    if (st == CC_OK)
        st = answer(in, call_get(&c, "enquiry_id"), call_get(&g, "staff"), r->ring, &is_won);
    call_clear(&c);
    call_clear(&g);
    if (st == CC_OK && is_won &&
        ring_set(in, r->ring, "answering", "answered", false, 0, NULL, &g, prev) == CC_OK) {
        won(in, &g);
    } else {
        cc_log(CC_LOG_INFO, "staff phone answered too late", "ring", r->ring, "error",
               cc_status_str(st), NULL);
        ring_end(in, r->ring, "answering", true, "lost");
    }
    call_clear(&g);
}

void phones_on_ring_failed(struct ingress *in, const struct sip_req *r)
{
    char status[16];

    struct call g = {0};
    char prev[16];

    snprintf(status, sizeof(status), "sip_%d", r->status);
    if (ring_end(in, r->ring, "ringing,cancelled,answering", false, status))
        cc_log(r->status == 487 ? CC_LOG_DEBUG : CC_LOG_INFO, "staff phone did not answer",
               "ring", r->ring, "status", status, NULL);
    /* an outbound call ends when none of the staff member's phones rings */
    if (ring_set(in, r->ring, "ended", "ended", false, 0, NULL, &g, prev) == CC_OK) {
        struct call c = {0};
        if (call_read(in, call_get(&g, "call"), &c) == CC_OK && outbound_is(&c))
            outbound_on_ring_failed(in, call_get(&g, "call"));
        call_clear(&c);
    }
    call_clear(&g);
}

/* ---- BYE from a phone ------------------------------------------------------------------------ */

bool phones_on_bye(struct ingress *in, const struct sip_req *r)
{
    char id[64], prev[16];
    struct call g = {0}, c = {0};
    const char *f[2] = {"end_reason", "staff_hung_up"};
    cc_status st = call_lookup(in, "ring", r->call_id, id);

    if (st == CC_ERR_NOT_FOUND)
        return false;
    if (st != CC_OK) {
        sip_reply_status(in->sip, r->txn, 503, NULL);
        return true;
    }
    sip_reply_status(in->sip, r->txn, 200, NULL);
    st = ring_set(in, id, "answered,answering", "ended", false, 2, f, &g, prev);
    if (st != CC_OK || strcmp(prev, "answered") != 0) {
        if (st == CC_OK)
            ring_release(in, &g);
        call_clear(&g);
        return true;
    }
    ring_release(in, &g);
    if (call_read(in, call_get(&g, "call"), &c) == CC_OK && outbound_is(&c)) {
        call_clear(&c); /* their outbound call: the carrier gets BYE or CANCEL */
        outbound_end(in, call_get(&g, "call"), "staff_hung_up");
        call_clear(&g);
        return true;
    }
    call_clear(&c);
    /* the staff member hung up: the enquiry ends as theirs, the caller gets BYE */
    if (call_set(in, call_get(&g, "call"), "answered", "ended", true, 2, f, &c, prev) == CC_OK) {
        calls_enquiry_end(in, &c, call_get(&g, "staff"));
        call_send_bye(in, &c);
        if (media_release(in, call_get(&c, "node"), call_get(&c, "leg_id")) != CC_OK)
            cc_log(CC_LOG_WARN, "cannot release a media leg", "leg_id", call_get(&c, "leg_id"),
                   NULL);
        cc_log(CC_LOG_INFO, "call ended", "call", call_get(&g, "call"), "by", "staff_hung_up",
               NULL);
    }
    call_clear(&c);
    call_clear(&g);
    return true;
}

bool phones_on_reinvite(struct ingress *in, const struct sip_req *r)
{
    char id[64], prev[16], why[200] = "", answer[SDP_ANSWER_MAX], ver[16];
    struct call g = {0};
    unsigned v;
    int status;
    cc_status st = call_lookup(in, "ring", r->call_id, id);

    if (st == CC_ERR_NOT_FOUND)
        return false;
    if (st == CC_OK) /* read the ring (a step that changes nothing) */
        st = ring_set(in, id, "answered", "answered", false, 0, NULL, &g, prev);
    if (st != CC_OK) {
        sip_reply_status(in->sip, r->txn,
                         st == CC_ERR_UNAVAILABLE ? 503 : st == CC_ERR_CONFLICT ? 491 : 481, NULL);
        goto out;
    }
    v = (unsigned)atoi(call_get(&g, "sdp_version"));
    v = (v < 1 ? 1 : v) + 1;
    status = calls_reanswer(in, r, call_get(&g, "node"), call_get(&g, "leg_id"), v, answer, why,
                            sizeof(why));
    if (status != 0) {
        sip_reply_status(in->sip, r->txn, status, why);
        goto out;
    }
    call_clear(&g);
    snprintf(ver, sizeof(ver), "%u", v);
    {
        const char *f[2] = {"sdp_version", ver};
        st = ring_set(in, id, "answered", "answered", false, 2, f, &g, prev);
    }
    if (st != CC_OK)
        sip_reply_status(in->sip, r->txn, 503, NULL);
    else
        sip_reply(in->sip, r->txn, &(struct sip_reply){.status = 200, .sdp = answer});
out:
    call_clear(&g);
    return true;
}
