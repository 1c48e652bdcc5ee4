/*
 * leg: one call leg on the packet path (its two sockets, where its phone
 * is, its counters and the outgoing stream media sends it) and the bridge
 * between a caller leg and a staff leg.
 *
 * Ownership: a leg and its bridge belong to exactly one packet loop
 * (loop.h) and are read and written only on that loop's thread; the
 * control plane reaches them through the loop's command queue. Both legs
 * of a bridge are on the same loop. A snapshot (struct media_leg_info) is
 * a plain copy the loop hands out.
 */
#ifndef MEDIA_LEG_H
#define MEDIA_LEG_H
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include "rxstat.h"

#define LEG_ID_MAX 64      /* 63 characters and the NUL */
#define MEDIA_PATH_MAX 512
#define DTMF_DIGITS_MAX 32

/* Numbers as in proto/media.proto (MediaCodec, MediaRole). */
enum { CODEC_NONE = 0, CODEC_PCMU = 1, CODEC_PCMA = 2 };
enum { ROLE_NONE = 0, ROLE_CALLER = 1, ROLE_STAFF = 2 };

struct media_counters {
    uint64_t packets, bytes, lost, rtcp_packets, malformed;
    uint32_t jitter_ms;
};

/* A copy of what a leg is, for replies, events and stats. */
struct media_leg_info {
    char leg_id[LEG_ID_MAX];
    uint64_t serial;
    int port;
    char remote_ip[16];
    int remote_port;
    char source_ip[16];
    int source_port;
    int codec, event_pt;
    char peer_leg_id[LEG_ID_MAX];
    int role;
    bool held, muted, peer_hold;
    char record_path[MEDIA_PATH_MAX];
    struct media_counters rx, tx;
    int64_t created_at_ms, last_rx_ms;
};

struct leg;

struct bridge {
    struct leg *caller, *staff;
    bool held;
    int64_t held_since_us;
    uint32_t hold_frames;   /* frames of hold audio sent since the hold began */
    bool recording;
    uint32_t rec_id;
    char rec_path[MEDIA_PATH_MAX];
};

/* What feeds a leg's outgoing stream now; a change re-bases timestamps and
 * sequence numbers so the phone sees one continuous stream (one SSRC). */
enum { FEED_NONE = 0, FEED_RELAY, FEED_HOLD, FEED_DTMF, FEED_ANNOUNCE };

/* The announcement an unbridged leg can play (announce): frames of 20 ms. */
#define ANNOUNCE_FRAMES 50

struct outstream {
    uint32_t ssrc;
    uint16_t seq;       /* last sequence number sent */
    bool started;
    uint32_t clock_ts;  /* the stream's timestamp at clock_us */
    int64_t clock_us;
    int feeder;
    uint32_t feeder_ssrc; /* FEED_RELAY: the SSRC relayed */
    uint32_t ts_off;    /* FEED_RELAY: added to the source's timestamps */
    uint16_t seq_off;   /* FEED_RELAY: added to the source's sequence numbers */
    uint32_t gen_ts;    /* FEED_HOLD: timestamp of the last frame */
    uint64_t packets, bytes, rtcp_packets;
};

/* RFC 4733 events media sends to the leg (a dtmf request). */
struct dtmf_tx {
    char digits[DTMF_DIGITS_MAX + 1];
    int n, pos;          /* digits queued, the one being sent */
    int phase;           /* 0 idle, 1 event, 2 end packets, 3 gap before the next */
    uint32_t event_ts;
    uint32_t duration;   /* timestamp units so far */
    uint32_t target;     /* timestamp units per digit */
    int ends, gap;
};

/* The socket of an epoll registration. */
struct leg_sock {
    struct leg *leg;
    bool rtcp;
};

struct leg {
    char id[LEG_ID_MAX];
    uint64_t serial;     /* unique in this process: tells a reused id apart */
    int rtp_fd, rtcp_fd;
    uint16_t port;       /* RTP; RTCP is port + 1 */
    struct leg_sock rtp_sock, rtcp_sock;

    bool has_remote, rtcp_mux;
    struct sockaddr_in remote_rtp, remote_rtcp;
    bool latched_rtp, latched_rtcp;  /* symmetric RTP: send where it sends from */
    bool peer_hold;                  /* its phone's SDP holds the call: no RTP to it, no timeout */
    struct sockaddr_in src_rtp, src_rtcp;
    int64_t src_rtp_us;              /* last packet from the latched RTP source */
    int64_t src_rtcp_us;             /* and RTCP source */
    int codec, event_pt;

    struct bridge *bridge;
    int role;
    bool muted;
    bool held_alone;                 /* on hold with no bridge (a caller waiting while
                                      * a transfer rings): hold audio to it */
    uint32_t alone_frames;           /* frames of that hold audio sent */

    struct rxstat rxs;
    struct media_counters rx;        /* lost and jitter filled from rxs on snapshot */
    struct outstream out;
    struct dtmf_tx dtmf;

    bool rx_event_open;              /* a telephone-event from the phone in progress */
    uint32_t rx_event_ts;
    uint8_t rx_event;
    uint16_t rx_event_dur;
    uint32_t rx_event_done_ts;       /* last event reported (its end resent 3 times) */
    bool rx_event_done;

    int64_t created_wall_ms;
    int64_t last_rx_wall_ms;
    int64_t quiet_since_us;          /* last packet, creation or bridging; moved on by hold time */
    bool timed_out;                  /* relay_timeouts: ends in this tick */
    int announce;                    /* > 0: the announcement plays, this frame
                                      * next (1-based); the leg ends after it */

    struct leg *prev, *next;         /* the loop's list */
};

/* A leg with its sockets (taken: closed by leg_free), not yet on a loop. */
struct leg *leg_new(const char *id, uint64_t serial, int rtp_fd, int rtcp_fd, uint16_t port,
                    uint32_t ssrc, int64_t now_us, int64_t now_wall_ms);
/* Closes the sockets and frees; accepts NULL. The leg must be out of its
 * bridge. */
void leg_free(struct leg *l);
/* Copies what the leg is into out. */
void leg_snapshot(const struct leg *l, struct media_leg_info *out);

/* Where its RTP / RTCP goes: the latched source, else the announced remote;
 * NULL when neither is known (an announced 0.0.0.0 is not known). RTP only:
 * NULL while the phone holds the call (peer_hold); RTCP still goes. */
const struct sockaddr_in *leg_rtp_dest(const struct leg *l);
const struct sockaddr_in *leg_rtcp_dest(const struct leg *l);

/* The stream timestamp that corresponds to now_us (8 kHz). */
uint32_t outstream_now_ts(const struct outstream *o, int64_t now_us);

#endif
