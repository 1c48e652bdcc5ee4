/* pb: leg snapshots as protobuf. See pb.h. */
#include "pb.h"

static void counters(Cc__MediaCounters *o, const struct media_counters *c)
{
    cc__media_counters__init(o);
    o->packets = (int64_t)c->packets;
    o->bytes = (int64_t)c->bytes;
    o->lost = (int64_t)c->lost;
    o->jitter_ms = c->jitter_ms;
    o->rtcp_packets = (int64_t)c->rtcp_packets;
    o->malformed = (int64_t)c->malformed;
}

void media_pb_leg(struct media_pb_leg *out, const struct media_leg_info *in, const char *address)
{
    Cc__MediaLeg *l = &out->leg;

    cc__media_leg__init(l);
    l->leg_id = (char *)in->leg_id;
    l->address = (char *)address;
    l->port = in->port;
    l->remote_ip = (char *)in->remote_ip;
    l->remote_port = in->remote_port;
    l->source_ip = (char *)in->source_ip;
    l->source_port = in->source_port;
    l->codec = (Cc__MediaCodec)in->codec;
    l->event_pt = in->event_pt;
    l->peer_leg_id = (char *)in->peer_leg_id;
    l->role = (Cc__MediaRole)in->role;
    l->held = in->held;
    l->muted = in->muted;
    l->peer_hold = in->peer_hold;
    l->record_path = (char *)in->record_path;
    counters(&out->rx, &in->rx);
    counters(&out->tx, &in->tx);
    l->rx = &out->rx;
    l->tx = &out->tx;
    l->created_at_ms = in->created_at_ms;
    l->last_rx_ms = in->last_rx_ms;
}
