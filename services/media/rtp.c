/* rtp: RTP/RTCP header parsing and writing. See rtp.h. */
#include "rtp.h"

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

enum rtp_result rtp_parse(struct rtp_packet *p, const uint8_t *buf, size_t len)
{
    size_t hl, pad = 0;

    if (len < RTP_HEADER_LEN)
        return RTP_ERR_SHORT;
    if (buf[0] >> 6 != 2)
        return RTP_ERR_VERSION;
    p->csrc_count = buf[0] & 0x0f;
    p->extension = (buf[0] & 0x10) != 0;
    p->marker = (buf[1] & 0x80) != 0;
    p->pt = buf[1] & 0x7f;
    p->seq = be16(buf + 2);
    p->ts = be32(buf + 4);
    p->ssrc = be32(buf + 8);
    hl = RTP_HEADER_LEN + 4u * p->csrc_count;
    if (hl > len)
        return RTP_ERR_SHORT;
    if (p->extension) {
        /* 16-bit profile word, 16-bit length in 32-bit words, then the words */
        if (len - hl < 4)
            return RTP_ERR_EXTENSION;
        size_t words = be16(buf + hl + 2);
        if (words * 4 > len - hl - 4)
            return RTP_ERR_EXTENSION;
        hl += 4 + words * 4;
    }
    if (buf[0] & 0x20) {
        pad = buf[len - 1];
        if (pad == 0 || pad > len - hl)
            return RTP_ERR_PADDING;
    }
    p->header_len = hl;
    p->payload = buf + hl;
    p->payload_len = len - hl - pad;
    return RTP_OK;
}

bool rtp_is_rtcp(const uint8_t *buf, size_t len)
{
    return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

void rtp_write_header(uint8_t out[RTP_HEADER_LEN], bool marker, uint8_t pt, uint16_t seq,
                      uint32_t ts, uint32_t ssrc)
{
    out[0] = 0x80;
    out[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
    put16(out + 2, seq);
    put32(out + 4, ts);
    put32(out + 8, ssrc);
}

/* One packet at buf[off..len): checks and fills r. */
static enum rtp_result rtcp_one(const uint8_t *buf, size_t len, size_t off, struct rtcp_packet *r,
                                bool *padded)
{
    const uint8_t *p = buf + off;
    size_t plen;

    if (len - off < 4)
        return RTP_ERR_SHORT;
    if (p[0] >> 6 != 2)
        return RTP_ERR_VERSION;
    if (p[1] < 192 || p[1] > 223)
        return RTP_ERR_TYPE;
    plen = ((size_t)be16(p + 2) + 1) * 4;
    if (plen > len - off)
        return RTP_ERR_LENGTH;
    r->type = p[1];
    r->count = p[0] & 0x1f;
    r->offset = off;
    r->len = plen;
    r->ssrc = plen >= 8 ? be32(p + 4) : 0;
    r->blocks = 0;
    *padded = (p[0] & 0x20) != 0;
    if (*padded) {
        uint8_t pad = p[plen - 1];
        if (pad == 0 || pad > plen - 4)
            return RTP_ERR_PADDING;
    }
    if (r->type == RTCP_SR || r->type == RTCP_RR) {
        size_t first = r->type == RTCP_SR ? 28 : 8;
        if (first + (size_t)r->count * RTCP_REPORT_BLOCK_LEN > plen)
            return RTP_ERR_LENGTH;
        r->blocks = off + first;
    }
    return RTP_OK;
}

enum rtp_result rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_packet *out, size_t max,
                           size_t *n)
{
    size_t off = 0;

    *n = 0;
    if (len < 4)
        return RTP_ERR_SHORT;
    while (off < len) {
        bool padded;
        enum rtp_result r;
        if (*n == max)
            return RTP_ERR_LENGTH;
        r = rtcp_one(buf, len, off, &out[*n], &padded);
        if (r != RTP_OK)
            return r;
        off += out[*n].len;
        (*n)++;
        if (padded && off != len)
            return RTP_ERR_PADDING; /* only the last packet may be padded */
    }
    return RTP_OK;
}

bool rtp_event_parse(struct rtp_event *e, const uint8_t *buf, size_t len)
{
    if (len < 4)
        return false;
    e->event = buf[0];
    e->end = (buf[1] & 0x80) != 0;
    e->volume = buf[1] & 0x3f;
    e->duration = be16(buf + 2);
    return true;
}

void rtp_event_write(uint8_t out[4], const struct rtp_event *e)
{
    out[0] = e->event;
    out[1] = (uint8_t)((e->end ? 0x80 : 0) | (e->volume & 0x3f));
    put16(out + 2, e->duration);
}

static const char digits[] = "0123456789*#ABCD";

char rtp_event_digit(uint8_t event)
{
    return event < 16 ? digits[event] : '\0';
}

int rtp_digit_event(char c)
{
    for (int i = 0; i < 16; i++)
        if (digits[i] == c)
            return i;
    return -1;
}

const char *rtp_result_str(enum rtp_result r)
{
    switch (r) {
    case RTP_OK: return "ok";
    case RTP_ERR_SHORT: return "short packet";
    case RTP_ERR_VERSION: return "not RTP version 2";
    case RTP_ERR_PADDING: return "bad padding";
    case RTP_ERR_EXTENSION: return "header extension past the end";
    case RTP_ERR_LENGTH: return "bad RTCP length";
    case RTP_ERR_TYPE: return "not an RTCP packet type";
    }
    return "unknown";
}
