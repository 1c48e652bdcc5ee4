/*
 * pb: a leg snapshot (leg.h) as a cc.MediaLeg (proto/media.proto), for
 * replies, events and stats.
 */
#ifndef MEDIA_PB_H
#define MEDIA_PB_H
#include "leg.h"
#include "media.pb-c.h"

/* The storage a MediaLeg points into besides the snapshot itself. */
struct media_pb_leg {
    Cc__MediaLeg leg;
    Cc__MediaCounters rx, tx;
};

/* Fills out from in. Its strings are borrowed from in and address, which
 * must outlive out. */
void media_pb_leg(struct media_pb_leg *out, const struct media_leg_info *in, const char *address);

#endif
