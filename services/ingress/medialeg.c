/* medialeg: requests to media. See medialeg.h. */
#include "medialeg.h"
#include "cc_error.h"
#include "media.pb-c.h"

#include <stdio.h>
#include <string.h>

cc_status media_pick(struct ingress *in, char node[MEDIA_NODE_MAX])
{
    const char *argv[4] = {"ZRANGE", "cc:media:nodes", "0", "-1"};
    redisReply *r = cc_redis_command(in->redis, 4, argv, NULL);
    cc_status st = cc_redis_reply_status(r);

    if (st == CC_OK && r->type != REDIS_REPLY_ARRAY)
        st = CC_ERR_UNAVAILABLE;
    if (st != CC_OK) {
        freeReplyObject(r);
        return CC_ERR_UNAVAILABLE;
    }
    st = CC_ERR_NOT_FOUND;
    for (size_t i = 0; i < r->elements && st == CC_ERR_NOT_FOUND; i++) {
        char key[160];
        const char *ex[2] = {"EXISTS", key};
        redisReply *e;

        if (r->element[i]->type != REDIS_REPLY_STRING || r->element[i]->len >= MEDIA_NODE_MAX)
            continue;
        snprintf(key, sizeof(key), "cc:media:node:%s", r->element[i]->str);
        e = cc_redis_command(in->redis, 2, ex, NULL);
        if (e == NULL || e->type != REDIS_REPLY_INTEGER)
            st = CC_ERR_UNAVAILABLE;
        else if (e->integer == 1) { /* a member whose hash expired is a dead node */
            snprintf(node, MEDIA_NODE_MAX, "%s", r->element[i]->str);
            st = CC_OK;
        }
        freeReplyObject(e);
    }
    freeReplyObject(r);
    return st;
}

/* One request to node; *rep the reply (caller frees). */
static cc_status call(struct ingress *in, const char *node, const char *verb,
                      const ProtobufCMessage *req, Cc__MediaReply **rep, char *why, size_t whylen)
{
    char subject[160];
    ProtobufCMessage *out = NULL;
    cc_status st;

    *rep = NULL;
    snprintf(subject, sizeof(subject), "cc.media.%s.%s", node, verb);
    st = cc_bus_request(in->bus, subject, req, &cc__media_reply__descriptor,
                        in->cfg->request_timeout_ms, &out);
    if (st != CC_OK) {
        snprintf(why, whylen, "media %s: %s", verb, cc_status_str(st));
        return st;
    }
    *rep = (Cc__MediaReply *)out;
    if (cc_error_is_set((*rep)->error)) {
        st = cc_error_status((*rep)->error);
        snprintf(why, whylen, "media %s: %s", verb,
                 (*rep)->error->message != NULL ? (*rep)->error->message : "");
    }
    return st;
}

/* The leg media answered with, into out. */
static void leg_of(struct media_leg *out, const char *node, const Cc__MediaLeg *l)
{
    if (out->node != node)
        snprintf(out->node, sizeof(out->node), "%s", node);
    snprintf(out->address, sizeof(out->address), "%s", l->address);
    out->port = l->port;
}

cc_status media_allocate(struct ingress *in, const char *node, const char *leg_id,
                         struct media_leg *out, char *why, size_t whylen)
{
    Cc__MediaAllocateRequest req = CC__MEDIA_ALLOCATE_REQUEST__INIT;
    Cc__MediaReply *rep = NULL;
    cc_status st;

    req.leg_id = (char *)leg_id;
    st = call(in, node, "allocate", &req.base, &rep, why, whylen);
    if (st == CC_OK && (rep->leg == NULL || rep->leg->port <= 0 || rep->leg->address == NULL)) {
        snprintf(why, whylen, "media allocate: no port in the reply");
        st = CC_ERR_PROTO;
    }
    if (st == CC_OK)
        leg_of(out, node, rep->leg);
    if (rep != NULL)
        cc__media_reply__free_unpacked(rep, NULL);
    return st;
}

cc_status media_remote(struct ingress *in, const char *node, const char *leg_id,
                       const struct sdp_offer *o, struct media_leg *out, char *why,
                       size_t whylen)
{
    Cc__MediaRemoteRequest req = CC__MEDIA_REMOTE_REQUEST__INIT;
    Cc__MediaReply *rep = NULL;
    cc_status st;

    req.leg_id = (char *)leg_id;
    req.remote_ip = (char *)o->ip;
    req.remote_port = o->port;
    req.codec = o->codec == 1 ? CC__MEDIA_CODEC__MEDIA_CODEC_PCMU : CC__MEDIA_CODEC__MEDIA_CODEC_PCMA;
    req.event_pt = o->event_pt;
    req.rtcp_mux = o->rtcp_mux;
    req.rtcp_port = o->rtcp_port;
    req.peer_hold = o->dir == SDP_SENDONLY || o->dir == SDP_INACTIVE;
    st = call(in, node, "remote", &req.base, &rep, why, whylen);
    if (st == CC_OK && out != NULL) {
        if (rep->leg == NULL || rep->leg->port <= 0 || rep->leg->address == NULL) {
            snprintf(why, whylen, "media remote: no port in the reply");
            st = CC_ERR_PROTO;
        } else {
            leg_of(out, node, rep->leg);
        }
    }
    if (rep != NULL)
        cc__media_reply__free_unpacked(rep, NULL);
    return st;
}

cc_status media_release(struct ingress *in, const char *node, const char *leg_id)
{
    char why[160];
    cc_status st;

    if (node == NULL || node[0] == '\0' || leg_id == NULL || leg_id[0] == '\0')
        return CC_OK;
    st = media_leg_cmd(in, node, "release", leg_id, NULL, why, sizeof(why));
    return st == CC_ERR_NOT_FOUND ? CC_OK : st;
}

cc_status media_bridge(struct ingress *in, const char *node, const char *caller_leg,
                       const char *staff_leg, char *why, size_t whylen)
{
    Cc__MediaBridgeRequest req = CC__MEDIA_BRIDGE_REQUEST__INIT;
    Cc__MediaReply *rep = NULL;
    cc_status st;

    req.caller_leg_id = (char *)caller_leg;
    req.staff_leg_id = (char *)staff_leg;
    st = call(in, node, "bridge", &req.base, &rep, why, whylen);
    if (rep != NULL)
        cc__media_reply__free_unpacked(rep, NULL);
    return st;
}

cc_status media_leg_cmd(struct ingress *in, const char *node, const char *verb,
                        const char *leg_id, struct media_leg_state *out, char *why, size_t whylen)
{
    Cc__MediaLegRequest req = CC__MEDIA_LEG_REQUEST__INIT;
    Cc__MediaReply *rep = NULL;
    cc_status st;

    req.leg_id = (char *)leg_id;
    st = call(in, node, verb, &req.base, &rep, why, whylen);
    if (st == CC_OK && out != NULL) {
        out->held = rep->leg != NULL && rep->leg->held;
        out->muted = rep->leg != NULL && rep->leg->muted;
        snprintf(out->record_path, sizeof(out->record_path), "%s",
                 rep->record_path != NULL ? rep->record_path : "");
    }
    if (rep != NULL)
        cc__media_reply__free_unpacked(rep, NULL);
    return st;
}

cc_status media_dtmf(struct ingress *in, const char *node, const char *leg_id, const char *digits,
                     char *why, size_t whylen)
{
    Cc__MediaDtmfRequest req = CC__MEDIA_DTMF_REQUEST__INIT;
    Cc__MediaReply *rep = NULL;
    cc_status st;

    req.leg_id = (char *)leg_id;
    req.digits = (char *)digits;
    st = call(in, node, "dtmf", &req.base, &rep, why, whylen);
    if (rep != NULL)
        cc__media_reply__free_unpacked(rep, NULL);
    return st;
}
