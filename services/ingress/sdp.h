/*
 * sdp: the caller's SDP offer as the facts media needs, and our answer.
 *
 * The offer is parsed by sofia-sip's SDP parser (sdp_parse), never by hand;
 * this module only picks from what it parsed: the first audio stream over
 * RTP/AVP with a port, its IPv4 address (media-level c= or the session's),
 * the first of PCMU / PCMA in the offer's order, the telephone-event
 * payload type (RFC 4733, 96-127), a=rtcp-mux, a=rtcp and the direction
 * (a=sendonly / recvonly / inactive, or c=0.0.0.0, the old way to hold).
 * The answer is printed from those facts and the media leg's address.
 */
#ifndef INGRESS_SDP_H
#define INGRESS_SDP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_BODY_MAX 8192 /* an offer longer than this is refused */
#define SDP_ANSWER_MAX 1024

enum sdp_dir { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };

enum sdp_result {
    SDP_OK = 0,
    SDP_BAD = -1,          /* does not parse (400) */
    SDP_UNACCEPTABLE = -2, /* parses, but no stream media can take (488) */
};

struct sdp_offer {
    char ip[46];        /* IPv4 dotted quad */
    int port;           /* RTP port */
    int codec;          /* 1 PCMU, 2 PCMA (cc.MediaCodec) */
    int pt;             /* its payload type: 0 or 8 */
    int event_pt;       /* telephone-event payload type, 0 = none */
    bool rtcp_mux;
    int rtcp_port;      /* a=rtcp, 0 = port + 1 */
    enum sdp_dir dir;   /* what the offerer does */
};

/* Parses body[0..len) (no NUL needed) into *o. On failure a one-line reason
 * in err (for a Warning header and the log). */
enum sdp_result sdp_offer_parse(struct sdp_offer *o, const char *body, size_t len, char *err,
                                size_t errlen);

/* Our answer to o for a media leg at addr:port, into out (cap bytes, NUL
 * terminated). sess_id and version go into o= (the version grows with each
 * new answer in the dialog). The direction is o's mirrored. Returns the
 * length, or -1 when it does not fit. */
int sdp_answer_print(char *out, size_t cap, const struct sdp_offer *o, const char *addr, int port,
                     uint64_t sess_id, uint32_t version);

/* The o= session id of our SDP for media leg leg_id: the same in every
 * answer or offer of the dialog (only the version grows), from whichever
 * replica. */
uint64_t sdp_session_id(const char *leg_id);

/* Our offer to a staff phone (a ring): PCMU, PCMA and telephone-event
 * (SDP_OFFER_EVENT_PT) on the media leg at addr:port, sendrecv. Returns the
 * length, or -1 when it does not fit. The phone's answer is read with
 * sdp_offer_parse (the same facts: its address, first codec, events). */
#define SDP_OFFER_EVENT_PT 101
int sdp_offer_print(char *out, size_t cap, const char *addr, int port, uint64_t sess_id,
                    uint32_t version);

#endif
