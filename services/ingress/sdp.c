/* sdp: an offer (sofia-sip's parser) -> media facts; the answer. See sdp.h. */
#include "sdp.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

static const sdp_connection_t *connection_of(const sdp_media_t *m, const sdp_session_t *s)
{
    if (m->m_connections != NULL)
        return m->m_connections;
    return s->sdp_connection;
}

/* The codec of one rtpmap: 1 PCMU, 2 PCMA, 0 neither. */
static int codec_of(const sdp_rtpmap_t *rm)
{
    if (rm->rm_rate != 8000 || rm->rm_encoding == NULL)
        return 0;
    if (strcasecmp(rm->rm_encoding, "PCMU") == 0)
        return 1;
    if (strcasecmp(rm->rm_encoding, "PCMA") == 0)
        return 2;
    return 0;
}

static void pick_formats(struct sdp_offer *o, const sdp_media_t *m)
{
    for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm != NULL; rm = rm->rm_next) {
        int c = codec_of(rm);
        if (c != 0 && o->codec == 0) {
            o->codec = c;
            o->pt = c == 1 ? 0 : 8;
        } else if (o->event_pt == 0 && rm->rm_encoding != NULL && rm->rm_rate == 8000 &&
                   strcasecmp(rm->rm_encoding, "telephone-event") == 0 && rm->rm_pt >= 96) {
            o->event_pt = (int)rm->rm_pt;
        }
    }
}

static enum sdp_dir dir_of(unsigned mode)
{
    switch (mode) {
    case sdp_sendonly:
        return SDP_SENDONLY;
    case sdp_recvonly:
        return SDP_RECVONLY;
    case sdp_inactive:
        return SDP_INACTIVE;
    default:
        return SDP_SENDRECV;
    }
}

/* The first audio stream of s media can carry, into *o; false if none. */
static bool pick_audio(struct sdp_offer *o, const sdp_session_t *s, char *err, size_t errlen)
{
    for (const sdp_media_t *m = s->sdp_media; m != NULL; m = m->m_next) {
        const sdp_connection_t *c = connection_of(m, s);
        struct in_addr a;
        const sdp_attribute_t *rtcp;

        if (m->m_type != sdp_media_audio || m->m_proto != sdp_proto_rtp || m->m_rejected ||
            m->m_port == 0 || m->m_port > 65535)
            continue;
        if (c == NULL || c->c_addrtype != sdp_addr_ip4 || c->c_address == NULL ||
            strlen(c->c_address) >= sizeof(o->ip) || inet_pton(AF_INET, c->c_address, &a) != 1) {
            snprintf(err, errlen, "the audio stream has no IPv4 address");
            continue;
        }
        memset(o, 0, sizeof(*o));
        pick_formats(o, m);
        if (o->codec == 0) {
            snprintf(err, errlen, "no PCMU or PCMA in the offer");
            continue;
        }
        snprintf(o->ip, sizeof(o->ip), "%s", c->c_address);
        o->port = (int)m->m_port;
        o->dir = dir_of(m->m_mode);
        if (a.s_addr == 0) /* c=0.0.0.0: hold, RFC 2543 style */
            o->dir = SDP_INACTIVE;
        o->rtcp_mux = sdp_attribute_find(m->m_attributes, "rtcp-mux") != NULL;
        rtcp = sdp_attribute_find(m->m_attributes, "rtcp");
        if (rtcp != NULL && rtcp->a_value != NULL) {
            long p = strtol(rtcp->a_value, NULL, 10);
            if (p > 0 && p <= 65535)
                o->rtcp_port = (int)p;
        }
        return true;
    }
    return false;
}

enum sdp_result sdp_offer_parse(struct sdp_offer *o, const char *body, size_t len, char *err,
                                size_t errlen)
{
    su_home_t home[1] = {SU_HOME_INIT(home)};
    sdp_parser_t *p;
    sdp_session_t *s;
    enum sdp_result res = SDP_OK;

    memset(o, 0, sizeof(*o));
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (body == NULL || len == 0 || len > SDP_BODY_MAX) {
        snprintf(err, errlen, len == 0 ? "no SDP" : "the SDP is too long");
        return SDP_BAD;
    }
    p = sdp_parse(home, body, (issize_t)len, sdp_f_mode_0000);
    s = sdp_session(p);
    if (s == NULL) {
        snprintf(err, errlen, "SDP does not parse: %.100s",
                 sdp_parsing_error(p) ? sdp_parsing_error(p) : "?");
        res = SDP_BAD;
    } else if (!pick_audio(o, s, err, errlen)) {
        if (err[0] == '\0')
            snprintf(err, errlen, "no audio stream over RTP/AVP");
        res = SDP_UNACCEPTABLE;
    }
    sdp_parser_free(p);
    su_home_deinit(home);
    return res;
}

static const char *answer_dir(enum sdp_dir d)
{
    switch (d) {
    case SDP_SENDONLY:
        return "recvonly";
    case SDP_RECVONLY:
        return "sendonly";
    case SDP_INACTIVE:
        return "inactive";
    default:
        return "sendrecv";
    }
}

int sdp_answer_print(char *out, size_t cap, const struct sdp_offer *o, const char *addr, int port,
                     uint64_t sess_id, uint32_t version)
{
    char ev[128] = "";
    int n;

    if (o->event_pt != 0)
        snprintf(ev, sizeof(ev), "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n",
                 o->event_pt, o->event_pt);
    n = snprintf(out, cap,
                 "v=0\r\n"
                 "o=cc-ingress %llu %u IN IP4 %s\r\n"
                 "s=-\r\n"
                 "c=IN IP4 %s\r\n"
                 "t=0 0\r\n"
                 "m=audio %d RTP/AVP %d%s%.0d\r\n"
                 "a=rtpmap:%d %s/8000\r\n"
                 "%s"
                 "a=ptime:20\r\n"
                 "%s"
                 "a=%s\r\n",
                 (unsigned long long)sess_id, version, addr, addr, port, o->pt,
                 o->event_pt != 0 ? " " : "", o->event_pt, o->pt, o->codec == 1 ? "PCMU" : "PCMA",
                 ev, o->rtcp_mux ? "a=rtcp-mux\r\n" : "", answer_dir(o->dir));
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return n;
}

int sdp_offer_print(char *out, size_t cap, const char *addr, int port, uint64_t sess_id,
                    uint32_t version)
{
    int n = snprintf(out, cap,
                     "v=0\r\n"
                     "o=cc-ingress %llu %u IN IP4 %s\r\n"
                     "s=-\r\n"
                     "c=IN IP4 %s\r\n"
                     "t=0 0\r\n"
                     "m=audio %d RTP/AVP 0 8 %d\r\n"
                     "a=rtpmap:0 PCMU/8000\r\n"
                     "a=rtpmap:8 PCMA/8000\r\n"
                     "a=rtpmap:%d telephone-event/8000\r\n"
                     "a=fmtp:%d 0-16\r\n"
                     "a=ptime:20\r\n"
                     "a=sendrecv\r\n",
                     (unsigned long long)sess_id, version, addr, addr, port, SDP_OFFER_EVENT_PT,
                     SDP_OFFER_EVENT_PT, SDP_OFFER_EVENT_PT);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return n;
}

uint64_t sdp_session_id(const char *leg_id)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (const unsigned char *p = (const unsigned char *)leg_id; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h >> 2; /* positive in a signed 64-bit reader too */
}
