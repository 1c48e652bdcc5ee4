/*
 * rtp: RTP and RTCP headers (RFC 3550), RTP/RTCP demultiplexing on one port
 * (RFC 5761) and telephone-events (RFC 4733). A header parser only: no
 * state, no I/O, no allocation, so the relay calls it per packet and a
 * fuzzer links it alone.
 *
 * Every parser takes pointer + length, never reads past the end and never
 * needs NUL termination. Slices it returns point into the caller's buffer.
 */
#ifndef MEDIA_RTP_H
#define MEDIA_RTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HEADER_LEN 12
#define RTP_PT_PCMU 0
#define RTP_PT_PCMA 8

enum rtp_result {
    RTP_OK = 0,
    RTP_ERR_SHORT,     /* fewer bytes than the header says */
    RTP_ERR_VERSION,   /* not version 2 */
    RTP_ERR_PADDING,   /* padding count 0 or longer than the payload */
    RTP_ERR_EXTENSION, /* header extension runs past the end */
    RTP_ERR_LENGTH,    /* RTCP: a length field that does not fit the compound */
    RTP_ERR_TYPE,      /* RTCP: not an RTCP packet type */
};

/* One RTP packet. payload excludes CSRCs, the extension and padding. */
struct rtp_packet {
    bool marker;
    uint8_t pt;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint8_t csrc_count;
    bool extension;
    size_t header_len; /* 12 + 4 * csrc_count + the extension, if any */
    const uint8_t *payload;
    size_t payload_len;
};

enum rtp_result rtp_parse(struct rtp_packet *p, const uint8_t *buf, size_t len);

/* RFC 5761: whether a packet on a shared port is RTCP (its second byte is
 * 192..223, i.e. RTCP types 192-223; RTP payload types 64-95 are not used
 * on such a port). Only looks at the first two bytes. */
bool rtp_is_rtcp(const uint8_t *buf, size_t len);

/* Writes a 12-byte RTP header (version 2, no padding, CSRC or extension). */
void rtp_write_header(uint8_t out[RTP_HEADER_LEN], bool marker, uint8_t pt, uint16_t seq,
                      uint32_t ts, uint32_t ssrc);

/* RTCP packet types (RFC 3550, 4585) */
enum { RTCP_SR = 200, RTCP_RR = 201, RTCP_SDES = 202, RTCP_BYE = 203, RTCP_APP = 204 };

/* One packet of an RTCP compound. */
struct rtcp_packet {
    uint8_t type;
    uint8_t count;       /* the 5-bit RC/SC/FMT field */
    size_t offset;       /* of its first byte within the compound */
    size_t len;          /* bytes, header included */
    uint32_t ssrc;       /* the sender's SSRC (0 when the packet is only 4 bytes) */
    size_t blocks;       /* SR/RR: offset of the first report block, 0 otherwise */
};

#define RTCP_MAX_PACKETS 16
#define RTCP_REPORT_BLOCK_LEN 24

/*
 * Walks a compound packet: every packet version 2, its length field within
 * the compound and the packets together exactly the compound; padding only
 * on the last; SR/RR report blocks within their packet. Fills up to max
 * entries of out (more packets are an error) and *n.
 */
enum rtp_result rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_packet *out, size_t max,
                           size_t *n);

/* A telephone-event payload (RFC 4733 section 2.3). */
struct rtp_event {
    uint8_t event;     /* 0-9, 10 '*', 11 '#', 12-15 A-D, others named events */
    bool end;
    uint8_t volume;    /* 0-63, -dBm0 */
    uint16_t duration; /* timestamp units */
};

/* False when fewer than 4 bytes. */
bool rtp_event_parse(struct rtp_event *e, const uint8_t *buf, size_t len);
void rtp_event_write(uint8_t out[4], const struct rtp_event *e);

/* The DTMF digit of event 0-15 ("0123456789*#ABCD"); '\0' for others. */
char rtp_event_digit(uint8_t event);
/* The event of a digit; -1 when c is not a DTMF digit. */
int rtp_digit_event(char c);

const char *rtp_result_str(enum rtp_result r);

#endif
