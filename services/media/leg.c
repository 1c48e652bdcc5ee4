/* leg: a call leg on the packet path. See leg.h. */
#include "leg.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct leg *leg_new(const char *id, uint64_t serial, int rtp_fd, int rtcp_fd, uint16_t port,
                    uint32_t ssrc, int64_t now_us, int64_t now_wall_ms)
{
    struct leg *l = calloc(1, sizeof(*l));

    if (l == NULL)
        return NULL;
    snprintf(l->id, sizeof(l->id), "%s", id);
    l->serial = serial;
    l->rtp_fd = rtp_fd;
    l->rtcp_fd = rtcp_fd;
    l->port = port;
    l->rtp_sock.leg = l;
    l->rtcp_sock.leg = l;
    l->rtcp_sock.rtcp = true;
    l->out.ssrc = ssrc;
    l->out.seq = (uint16_t)(ssrc >> 7); /* random start (RFC 3550 5.1) */
    l->created_wall_ms = now_wall_ms;
    l->quiet_since_us = now_us;
    return l;
}

void leg_free(struct leg *l)
{
    if (l == NULL)
        return;
    if (l->rtp_fd >= 0)
        close(l->rtp_fd);
    if (l->rtcp_fd >= 0)
        close(l->rtcp_fd);
    free(l);
}

static void addr_str(const struct sockaddr_in *a, char *ip, size_t len, int *port)
{
    inet_ntop(AF_INET, &a->sin_addr, ip, (socklen_t)len);
    *port = ntohs(a->sin_port);
}

void leg_snapshot(const struct leg *l, struct media_leg_info *o)
{
    const struct bridge *b = l->bridge;

    memset(o, 0, sizeof(*o));
    snprintf(o->leg_id, sizeof(o->leg_id), "%s", l->id);
    o->serial = l->serial;
    o->port = l->port;
    if (l->has_remote)
        addr_str(&l->remote_rtp, o->remote_ip, sizeof(o->remote_ip), &o->remote_port);
    if (l->latched_rtp)
        addr_str(&l->src_rtp, o->source_ip, sizeof(o->source_ip), &o->source_port);
    o->codec = l->codec;
    o->event_pt = l->event_pt;
    if (b != NULL) {
        const struct leg *peer = b->caller == l ? b->staff : b->caller;
        snprintf(o->peer_leg_id, sizeof(o->peer_leg_id), "%s", peer->id);
        o->held = b->held;
        if (b->recording)
            snprintf(o->record_path, sizeof(o->record_path), "%s", b->rec_path);
    } else {
        o->held = l->held_alone;
    }
    o->role = l->role;
    o->muted = l->muted;
    o->peer_hold = l->peer_hold;
    o->rx = l->rx;
    o->rx.lost = rxstat_lost(&l->rxs);
    o->rx.jitter_ms = rxstat_jitter(&l->rxs) / 8;
    o->tx.packets = l->out.packets;
    o->tx.bytes = l->out.bytes;
    o->tx.rtcp_packets = l->out.rtcp_packets;
    o->created_at_ms = l->created_wall_ms;
    o->last_rx_ms = l->last_rx_wall_ms;
}

/* An announced address we can send to: not 0.0.0.0 (c=0.0.0.0, the old
 * way to hold, would otherwise reach this host). */
static const struct sockaddr_in *announced(const struct leg *l, const struct sockaddr_in *a)
{
    return l->has_remote && a->sin_addr.s_addr != htonl(INADDR_ANY) ? a : NULL;
}

static const struct sockaddr_in *rtp_addr(const struct leg *l)
{
    return l->latched_rtp ? &l->src_rtp : announced(l, &l->remote_rtp);
}

const struct sockaddr_in *leg_rtp_dest(const struct leg *l)
{
    return l->peer_hold ? NULL : rtp_addr(l);
}

const struct sockaddr_in *leg_rtcp_dest(const struct leg *l)
{
    if (l->rtcp_mux)
        return rtp_addr(l);
    if (l->latched_rtcp)
        return &l->src_rtcp;
    return announced(l, &l->remote_rtcp);
}

uint32_t outstream_now_ts(const struct outstream *o, int64_t now_us)
{
    if (!o->started)
        return o->ssrc ^ 0x5bd1e995u; /* a random start, as the SSRC is random */
    return o->clock_ts + (uint32_t)((now_us - o->clock_us) * 8 / 1000);
}
