/*
 * medialeg: ingress's requests to a media node (services/media/README.md):
 * the least loaded live node from Redis (cc:media:nodes, its hash not
 * expired), then cc.media.<node>.<verb>. Called from worker and consumer
 * threads (blocking: NATS request/reply).
 */
#ifndef INGRESS_MEDIALEG_H
#define INGRESS_MEDIALEG_H
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
cc_status media_remote(struct ingress *in, const char *node, const char *leg_id,
                       const struct sdp_offer *o, char *why, size_t whylen);
/* Releases the leg; an unknown leg (released already, or by media's
 * timeout) is fine. */
cc_status media_release(struct ingress *in, const char *node, const char *leg_id);

/* Relays between the caller's leg and a staff phone's leg (both on node). */
cc_status media_bridge(struct ingress *in, const char *node, const char *caller_leg,
                       const char *staff_leg, char *why, size_t whylen);

#endif
