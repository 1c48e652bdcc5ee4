/*
 * relay: what the packet loop does with each packet and each 20 ms tick.
 *
 * A packet from a leg's phone: parsed (a malformed one is counted and
 * dropped), its source latched (symmetric RTP: media answers where the
 * phone really sends from, whatever its SDP said), counted (RFC 3550
 * loss and jitter), a telephone-event reported once at its end, recorded
 * if its bridge records, and relayed to the other leg unless the bridge is
 * on hold or the leg is muted. Relayed packets are rewritten into the
 * stream media sends that leg: media's own SSRC, and sequence numbers and
 * timestamps that run on without a jump whenever what feeds the stream
 * changes (the other phone, hold audio, DTMF media generates), so a phone
 * sees one continuous stream from start to end.
 */
#include "loop_priv.h"
#include "g711.h"
#include "rtp.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

static uint8_t codec_pt(int codec)
{
    return codec == CODEC_PCMA ? RTP_PT_PCMA : RTP_PT_PCMU;
}

static bool same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

/* Symmetric RTP. The first valid packet latches its source; later ones must
 * come from it, unless it has been silent for RELATCH_US (the phone's NAT
 * binding changed), so a stray or forged packet cannot steal the stream. */
static bool accept_source(bool *latched, struct sockaddr_in *src, int64_t *last_us,
                          const struct sockaddr_in *from, int64_t now)
{
    if (*latched && same_addr(src, from)) {
        *last_us = now;
        return true;
    }
    if (*latched && now - *last_us < RELATCH_US)
        return false;
    *src = *from;
    *latched = true;
    *last_us = now;
    return true;
}

static void post_event(struct media_loop *l, struct media_event *ev)
{
    if (ev != NULL)
        media_events_post(l->events, ev);
}

/* An RFC 4733 event from the phone: reported once, when it ends (its end
 * packet comes three times), or when the next begins without one. */
static void rx_event(struct media_loop *l, struct leg *leg, const struct rtp_packet *p,
                     int64_t now_wall)
{
    struct rtp_event e;
    bool report = false;
    uint8_t event = 0;
    uint16_t dur = 0;

    if (!rtp_event_parse(&e, p->payload, p->payload_len))
        return;
    if (leg->rx_event_done && p->ts == leg->rx_event_done_ts)
        return; /* a repeat of an end already reported */
    if (leg->rx_event_open && p->ts != leg->rx_event_ts) {
        report = true; /* the last one's end packets were all lost */
        event = leg->rx_event;
        dur = leg->rx_event_dur;
        leg->rx_event_done = true;
        leg->rx_event_done_ts = leg->rx_event_ts;
        leg->rx_event_open = false;
    }
    if (report && rtp_event_digit(event) != '\0') {
        struct media_event *ev = calloc(1, sizeof(*ev));
        if (ev != NULL) {
            ev->kind = MEV_DTMF;
            ev->wall_ms = now_wall;
            leg_snapshot(leg, &ev->leg);
            ev->digit = rtp_event_digit(event);
            ev->duration_ms = dur / 8;
        }
        post_event(l, ev);
    }
    if (e.end) {
        leg->rx_event_open = false;
        leg->rx_event_done = true;
        leg->rx_event_done_ts = p->ts;
        if (rtp_event_digit(e.event) != '\0') {
            struct media_event *ev = calloc(1, sizeof(*ev));
            if (ev != NULL) {
                ev->kind = MEV_DTMF;
                ev->wall_ms = now_wall;
                leg_snapshot(leg, &ev->leg);
                ev->digit = rtp_event_digit(e.event);
                ev->duration_ms = e.duration / 8;
            }
            post_event(l, ev);
        }
        return;
    }
    leg->rx_event_open = true;
    leg->rx_event_ts = p->ts;
    leg->rx_event = e.event;
    leg->rx_event_dur = e.duration;
}

static void rec_push(struct media_loop *l, const struct bridge *b, const struct leg *leg,
                     const struct rtp_packet *p, int64_t now)
{
    int codec = leg->codec != CODEC_NONE ? leg->codec
                : p->pt == RTP_PT_PCMA   ? CODEC_PCMA
                                         : CODEC_PCMU;

    for (size_t off = 0; off < p->payload_len; off += REC_DATA_MAX) {
        size_t n = p->payload_len - off < REC_DATA_MAX ? p->payload_len - off : REC_DATA_MAX;
        struct rec_item *it = rec_ring_claim(l->ring, REC_RESERVE);
        if (it == NULL) {
            l->rec_dropped++;
            return;
        }
        it->kind = REC_AUDIO;
        it->rec_id = b->rec_id;
        it->channel = leg->role == ROLE_CALLER ? 0 : 1;
        it->codec = (uint8_t)codec;
        it->len = (uint16_t)n;
        it->ts = p->ts + (uint32_t)off;
        it->ssrc = p->ssrc;
        it->t_us = now;
        it->start = NULL;
        memcpy(it->data, p->payload + off, n);
        rec_ring_push(l->ring);
    }
}

/* The stream to a leg is fed by another source from now on: the next packet
 * continues its timestamps (from the stream's clock) and sequence numbers. */
static bool feed(struct outstream *o, int feeder, uint32_t ssrc)
{
    if (o->feeder == feeder && (feeder != FEED_RELAY || o->feeder_ssrc == ssrc))
        return false;
    o->feeder = feeder;
    o->feeder_ssrc = ssrc;
    return true;
}

static void sent(struct outstream *o, uint16_t seq, uint32_t clock_ts, int64_t now, size_t bytes)
{
    o->seq = seq;
    o->clock_ts = clock_ts;
    o->clock_us = now;
    o->started = true;
    o->packets++;
    o->bytes += bytes;
}

static struct leg *peer_of(const struct leg *leg)
{
    const struct bridge *b = leg->bridge;
    return b == NULL ? NULL : b->caller == leg ? b->staff : b->caller;
}

static void forward_rtp(struct media_loop *l, struct leg *leg, struct leg *peer,
                        const struct rtp_packet *p, bool is_event, int64_t now)
{
    const struct sockaddr_in *dst = leg_rtp_dest(peer);
    struct outstream *o = &peer->out;
    uint8_t *payload = (uint8_t *)p->payload, *hdr = payload - RTP_HEADER_LEN;
    uint8_t pt;
    bool marker = p->marker;
    uint16_t seq;
    uint32_t ts;

    if (dst == NULL || peer->dtmf.phase == 1 || peer->dtmf.phase == 2)
        return; /* nowhere to send yet, or media is sending it digits */
    if (is_event) {
        if (peer->event_pt == 0)
            return; /* its phone takes no telephone-events */
        pt = (uint8_t)peer->event_pt;
    } else {
        pt = peer->codec != CODEC_NONE ? codec_pt(peer->codec) : p->pt;
        if (leg->codec == CODEC_PCMA && peer->codec == CODEC_PCMU)
            g711_alaw_to_ulaw(payload, p->payload_len);
        else if (leg->codec == CODEC_PCMU && peer->codec == CODEC_PCMA)
            g711_ulaw_to_alaw(payload, p->payload_len);
    }
    if (feed(o, FEED_RELAY, p->ssrc)) {
        o->ts_off = outstream_now_ts(o, now) - p->ts;
        o->seq_off = (uint16_t)(o->seq + 1 - p->seq);
        marker = true;
    }
    seq = (uint16_t)(p->seq + o->seq_off);
    ts = p->ts + o->ts_off;
    rtp_write_header(hdr, marker, pt, seq, ts, o->ssrc);
    /* a reordered packet does not move the stream back */
    sent(o, (int16_t)(seq - o->seq) > 0 ? seq : o->seq,
         is_event ? outstream_now_ts(o, now) : ts, now, p->payload_len);
    loop_queue(l, peer->rtp_fd, dst, hdr, RTP_HEADER_LEN + p->payload_len);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* RTCP from leg to its peer, with the SSRCs the peer knows: the sender is
 * the stream media sends the peer; a report block about media's stream to
 * leg is about the peer's own stream; a sender report's RTP timestamp is
 * moved by the offset media adds to leg's stream. */
static void relay_rtcp(struct media_loop *l, struct leg *leg, bool rtcp_sock, uint8_t *buf,
                       size_t len, const struct sockaddr_in *from, int64_t now)
{
    struct rtcp_packet pk[RTCP_MAX_PACKETS];
    struct leg *peer;
    const struct sockaddr_in *dst;
    size_t n;
    bool ok;

    if (rtcp_parse(buf, len, pk, RTCP_MAX_PACKETS, &n) != RTP_OK) {
        leg->rx.malformed++;
        return;
    }
    if (rtcp_sock)
        ok = accept_source(&leg->latched_rtcp, &leg->src_rtcp, &leg->src_rtcp_us, from, now);
    else /* rtcp-mux: from the RTP source */
        ok = !leg->latched_rtp || same_addr(&leg->src_rtp, from);
    if (!ok)
        return;
    leg->rx.rtcp_packets++;
    peer = peer_of(leg);
    if (peer == NULL || leg->bridge->held)
        return;
    dst = leg_rtcp_dest(peer);
    if (dst == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = buf + pk[i].offset;
        if (pk[i].len >= 8)
            wr32(p + 4, peer->out.ssrc);
        if (pk[i].type == RTCP_SR && peer->out.feeder == FEED_RELAY &&
            peer->out.feeder_ssrc == pk[i].ssrc)
            wr32(p + 16, rd32(p + 16) + peer->out.ts_off);
        for (size_t b = 0; pk[i].blocks != 0 && b < pk[i].count; b++) {
            uint8_t *blk = buf + pk[i].blocks + b * RTCP_REPORT_BLOCK_LEN;
            if (rd32(blk) == leg->out.ssrc && peer->rxs.started)
                wr32(blk, peer->rxs.ssrc);
        }
    }
    peer->out.rtcp_packets++;
    loop_queue(l, peer->rtcp_mux ? peer->rtp_fd : peer->rtcp_fd, dst, buf, len);
}

void relay_packet(struct media_loop *l, struct leg *leg, bool rtcp_sock, uint8_t *buf, size_t len,
                  const struct sockaddr_in *from, int64_t now, int64_t now_wall)
{
    struct rtp_packet p;
    struct leg *peer;
    bool is_event, is_audio;

    if (rtcp_sock || rtp_is_rtcp(buf, len)) {
        relay_rtcp(l, leg, rtcp_sock, buf, len, from, now);
        return;
    }
    if (rtp_parse(&p, buf, len) != RTP_OK) {
        leg->rx.malformed++;
        return;
    }
    if (!accept_source(&leg->latched_rtp, &leg->src_rtp, &leg->src_rtp_us, from, now))
        return;
    is_event = leg->event_pt != 0 && p.pt == leg->event_pt;
    is_audio = leg->codec != CODEC_NONE ? p.pt == codec_pt(leg->codec)
                                        : (p.pt == RTP_PT_PCMU || p.pt == RTP_PT_PCMA);
    leg->rx.packets++;
    leg->rx.bytes += p.payload_len;
    leg->last_rx_wall_ms = now_wall;
    leg->quiet_since_us = now;
    if (!is_event && !is_audio)
        return; /* a payload type it did not announce (comfort noise, ...) */
    rxstat_update(&leg->rxs, p.ssrc, p.seq, p.ts, (uint32_t)(now * 8 / 1000), is_audio);
    if (is_event)
        rx_event(l, leg, &p, now_wall);
    peer = peer_of(leg);
    if (peer == NULL || leg->bridge->held || leg->muted)
        return;
    if (is_audio && leg->bridge->recording)
        rec_push(l, leg->bridge, leg, &p, now);
    forward_rtp(l, leg, peer, &p, is_event, now);
}

/* One generated 20 ms frame to leg's phone at dst, from feeder (hold
 * audio, the announcement): its own stream, a new one (marker, timestamp
 * from now) when the feeder changes. payload: 160 bytes in the leg's codec,
 * NULL for silence. */
static void gen_frame(struct media_loop *l, struct leg *leg, const struct sockaddr_in *dst,
                      int feeder, const uint8_t *payload, int64_t now)
{
    struct outstream *o = &leg->out;
    uint16_t seq = (uint16_t)(o->seq + 1);
    bool marker = feed(o, feeder, 0);
    uint32_t ts = marker ? outstream_now_ts(o, now) : o->gen_ts + 160;
    uint8_t *pkt = loop_gen_buf(l);

    rtp_write_header(pkt, marker, codec_pt(leg->codec), seq, ts, o->ssrc);
    if (payload != NULL)
        memcpy(pkt + RTP_HEADER_LEN, payload, 160);
    else
        memset(pkt + RTP_HEADER_LEN,
               leg->codec == CODEC_PCMA ? G711_SILENCE_PCMA : G711_SILENCE_PCMU, 160);
    o->gen_ts = ts;
    sent(o, seq, ts + 160, now, 160);
    loop_queue(l, leg->rtp_fd, dst, pkt, RTP_HEADER_LEN + 160);
}

/* One frame of hold audio to c: the caller of a held bridge, or a leg held
 * alone; *frames counts them (the tone's cycle). */
static void hold_frame(struct media_loop *l, struct leg *c, uint32_t *frames, int64_t now)
{
    const struct sockaddr_in *dst = leg_rtp_dest(c);
    bool tone = *frames % HOLD_CYCLE_FRAMES < HOLD_TONE_FRAMES;

    (*frames)++;
    if (dst == NULL || c->dtmf.phase == 1 || c->dtmf.phase == 2)
        return;
    gen_frame(l, c, dst, FEED_HOLD,
              !tone ? NULL : c->codec == CODEC_PCMA ? l->tone_pcma : l->tone_pcmu, now);
}

/* One frame of the announcement to a leg alone; after the last, the leg
 * ends (relay_timeouts). */
static void announce_frame(struct media_loop *l, struct leg *leg, int64_t now)
{
    const struct sockaddr_in *dst = leg_rtp_dest(leg);
    int f = leg->announce - 1;

    if (f >= ANNOUNCE_FRAMES)
        return;
    leg->announce++;
    if (dst != NULL)
        gen_frame(l, leg, dst, FEED_ANNOUNCE,
                  leg->codec == CODEC_PCMA ? l->sit_pcma[f] : l->sit_pcmu[f], now);
}

/* One step of the digits media sends a leg (RFC 4733 2.5): an event packet
 * every 20 ms with the same timestamp and a growing duration, the first
 * with the marker bit; the end packet three times; 40 ms before the next. */
static void dtmf_step(struct media_loop *l, struct leg *leg, int64_t now)
{
    struct dtmf_tx *d = &leg->dtmf;
    struct outstream *o = &leg->out;
    const struct sockaddr_in *dst = leg_rtp_dest(leg);
    struct rtp_event e = {.volume = 10};
    uint8_t *pkt;
    bool marker = false;
    uint16_t seq;

    if (d->phase == 3) {
        if (--d->gap > 0)
            return;
        if (++d->pos >= d->n) {
            d->phase = 0;
            return;
        }
        d->phase = 1;
        d->duration = 0;
    }
    if (dst == NULL || leg->event_pt == 0) {
        d->phase = 0;
        return;
    }
    if (d->phase == 1 && d->duration == 0) {
        feed(o, FEED_DTMF, 0);
        d->event_ts = outstream_now_ts(o, now);
        marker = true;
    }
    if (d->phase == 1) {
        d->duration += 160;
        if (d->duration >= d->target) {
            d->duration = d->target;
            d->phase = 2;
            d->ends = 0;
        }
    }
    e.event = (uint8_t)rtp_digit_event(d->digits[d->pos]);
    e.duration = (uint16_t)(d->duration > 0xffff ? 0xffff : d->duration);
    e.end = d->phase == 2;
    seq = (uint16_t)(o->seq + 1);
    pkt = loop_gen_buf(l);
    rtp_write_header(pkt, marker, (uint8_t)leg->event_pt, seq, d->event_ts, o->ssrc);
    rtp_event_write(pkt + RTP_HEADER_LEN, &e);
    sent(o, seq, d->event_ts + d->duration, now, 4);
    loop_queue(l, leg->rtp_fd, dst, pkt, RTP_HEADER_LEN + 4);
    if (d->phase == 2 && ++d->ends == 3) {
        d->phase = 3;
        d->gap = 2;
    }
}

void relay_tick(struct media_loop *l, int64_t now, int frames)
{
    for (struct leg *leg = l->legs; leg != NULL; leg = leg->next) {
        for (int f = 0; f < frames; f++) {
            if (leg->bridge != NULL && leg->bridge->held && leg->role == ROLE_CALLER)
                hold_frame(l, leg, &leg->bridge->hold_frames, now);
            else if (leg->bridge == NULL && leg->held_alone)
                hold_frame(l, leg, &leg->alone_frames, now);
            if (leg->dtmf.phase != 0)
                dtmf_step(l, leg, now);
            if (leg->announce > 0 && leg->bridge == NULL)
                announce_frame(l, leg, now);
        }
    }
}

void relay_timeouts(struct media_loop *l, int64_t now)
{
    /* decided for every leg first, then ended: both quiet legs of a bridge
     * end in the same tick, neither falling back to the setup window
     * because the other was unbridged by its end */
    for (struct leg *leg = l->legs; leg != NULL; leg = leg->next) {
        /* a caller waiting in the queue or a phone ringing sends nothing
         * (no answer SDP yet): until it is bridged a leg has the longer
         * setup window; on hold (ours or the phone's, peer_hold) none */
        int64_t limit = leg->bridge != NULL ? l->timeout_us : l->setup_timeout_us;
        leg->timed_out = (leg->bridge == NULL || !leg->bridge->held) && !leg->peer_hold &&
                         now - leg->quiet_since_us >= limit;
    }
    for (struct leg *leg = l->legs, *next; leg != NULL; leg = next) {
        next = leg->next;
        bool announced = leg->announce > ANNOUNCE_FRAMES; /* played: it ends */
        if (leg->timed_out || announced) {
            struct media_event *ev = calloc(1, sizeof(*ev));
            if (ev != NULL) {
                ev->kind = MEV_LEG_ENDED;
                ev->wall_ms = loop_wall_ms();
                snprintf(ev->reason, sizeof(ev->reason), "%s",
                         announced ? "announced" : "media_timeout");
            }
            relay_end_leg(l, leg, now, ev != NULL ? &ev->leg : NULL, ev != NULL ? ev->path : NULL);
            post_event(l, ev);
        }
    }
}

void relay_rec_stop(struct media_loop *l, struct bridge *b, int64_t now, char *path_out)
{
    struct rec_item *it;

    if (!b->recording)
        return;
    it = rec_ring_claim(l->ring, 0);
    if (it != NULL) {
        it->kind = REC_STOP;
        it->rec_id = b->rec_id;
        it->t_us = now;
        it->start = NULL;
        rec_ring_push(l->ring);
    } /* else: the writer is stuck; it finalises the file when it stops */
    if (path_out != NULL)
        memcpy(path_out, b->rec_path, MEDIA_PATH_MAX);
    b->recording = false;
}

void relay_unbridge(struct media_loop *l, struct leg *leg, int64_t now, char *path_out)
{
    struct bridge *b = leg->bridge;

    if (b == NULL)
        return;
    relay_rec_stop(l, b, now, path_out);
    if (b->held) { /* the hold time does not count towards a media timeout */
        b->caller->quiet_since_us = now;
        b->staff->quiet_since_us = now;
    }
    b->caller->bridge = b->staff->bridge = NULL;
    b->caller->role = b->staff->role = ROLE_NONE;
    b->caller->out.feeder = b->staff->out.feeder = FEED_NONE;
    free(b);
}

void relay_end_leg(struct media_loop *l, struct leg *leg, int64_t now, struct media_leg_info *info,
                   char *path_out)
{
    if (info != NULL)
        leg_snapshot(leg, info);
    relay_unbridge(l, leg, now, path_out);
    loop_drop_events(l, leg);
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, leg->rtp_fd, NULL);
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, leg->rtcp_fd, NULL);
    if (leg->prev != NULL)
        leg->prev->next = leg->next;
    else
        l->legs = leg->next;
    if (leg->next != NULL)
        leg->next->prev = leg->prev;
    l->n_legs--;
    leg_free(leg);
}
