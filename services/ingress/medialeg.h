/*
 * medialeg: ingress's requests to a media node (services/media/README.md):
 * the least loaded live node from Redis (cc:media:nodes, its hash not
 * expired), then cc.media.<node>.<verb>. Called from worker and consumer
 * threads (blocking: NATS request/reply).
 */
#ifndef INGRESS_MEDIALEG_H
#define INGRESS_MEDIALEG_H
#include <stdbool.h>
#include <stddef.h>
#include "cc_status.h"
#include "ingress.h"
#include "sdp.h"

#define MEDIA_NODE_MAX 96

struct media_leg {
    char node[MEDIA_NODE_MAX]; /* the media instance */
    char address[64];          /* its address for our SDP */
    int port;                  /* the leg's RTP port */
};

/* The least loaded live media node into node; CC_ERR_NOT_FOUND when none,
 * CC_ERR_UNAVAILABLE when Redis did not answer. */
cc_status media_pick(struct ingress *in, char node[MEDIA_NODE_MAX]);
/* allocate leg_id on node; then remote from the offer. why: a reason. */
cc_status media_allocate(struct ingress *in, const char *node, const char *leg_id,
                         struct media_leg *out, char *why, size_t whylen);
/* The leg's phone from its SDP (a new one: a re-INVITE): address, codec,
 * events; a=sendonly / inactive holds (media sends it nothing). *out (may
 * be NULL) the leg as media answered: its address and port for our SDP. */
cc_status media_remote(struct ingress *in, const char *node, const char *leg_id,
                       const struct sdp_offer *o, struct media_leg *out, char *why,
                       size_t whylen);
/* Releases the leg; an unknown leg (released already, or by media's
 * timeout) is fine. */
cc_status media_release(struct ingress *in, const char *node, const char *leg_id);

/* What a control left on a leg, as media answered (call controls). */
struct media_leg_state {
    bool held;             /* its bridge is on hold */
    bool muted;            /* what its phone sends is not relayed */
    char record_path[512]; /* record_start / record_stop: the WAV file */
};

/* A request naming one leg: hold, unhold, mute, unmute, record_start,
 * record_stop. *out (may be NULL) the leg as media left it. Media's errors
 * as their status (CC_ERR_CONFLICT: not bridged, recording already, ...),
 * its message in why. */
cc_status media_leg_cmd(struct ingress *in, const char *node, const char *verb,
                        const char *leg_id, struct media_leg_state *out, char *why,
                        size_t whylen);
/* Sends digits to leg_id as RFC 4733 events (media's default duration). */
cc_status media_dtmf(struct ingress *in, const char *node, const char *leg_id, const char *digits,
                     char *why, size_t whylen);

/* Relays between the caller's leg and a staff phone's leg (both on node). */
cc_status media_bridge(struct ingress *in, const char *node, const char *caller_leg,
                       const char *staff_leg, char *why, size_t whylen);

#endif
