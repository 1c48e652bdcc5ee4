/*
 * Fuzz target: the RTP/RTCP header parser of media (services/media/rtp.c),
 * fed what anyone on the network can send to a media port. Every input is
 * parsed as RTP, as an RTCP compound and as a telephone-event; whatever is
 * accepted must lie inside the input, and an accepted RTP header written
 * back must parse to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp.h"

static void check_rtp(const uint8_t *data, size_t size)
{
    struct rtp_packet p, q;
    uint8_t hdr[RTP_HEADER_LEN];

    if (rtp_parse(&p, data, size) != RTP_OK)
        return;
    if (p.header_len < RTP_HEADER_LEN || p.header_len > size || p.payload != data + p.header_len ||
        p.payload_len > size - p.header_len || p.pt > 127)
        abort();
    if (p.payload_len > 0) { /* the first and last payload bytes are readable (ASan checks) */
        volatile uint8_t first = p.payload[0], last = p.payload[p.payload_len - 1];
        (void)first;
        (void)last;
    }
    rtp_write_header(hdr, p.marker, p.pt, p.seq, p.ts, p.ssrc);
    if (rtp_parse(&q, hdr, sizeof(hdr)) != RTP_OK || q.pt != p.pt || q.seq != p.seq ||
        q.ts != p.ts || q.ssrc != p.ssrc || q.marker != p.marker || q.payload_len != 0)
        abort();
}

static void check_rtcp(const uint8_t *data, size_t size)
{
    struct rtcp_packet pk[RTCP_MAX_PACKETS];
    size_t n = 0, end = 0;

    if (rtcp_parse(data, size, pk, RTCP_MAX_PACKETS, &n) != RTP_OK)
        return;
    if (n == 0 || n > RTCP_MAX_PACKETS)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (pk[i].offset != end || pk[i].len < 4 || pk[i].len > size - pk[i].offset ||
            pk[i].type < 192 || pk[i].type > 223)
            abort();
        if (pk[i].blocks != 0 &&
            pk[i].blocks + (size_t)pk[i].count * RTCP_REPORT_BLOCK_LEN > pk[i].offset + pk[i].len)
            abort();
        end += pk[i].len;
    }
    if (end != size)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rtp_event e;
    uint8_t *copy = malloc(size ? size : 1); /* exactly size bytes: a read past it is caught */

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    check_rtp(copy, size);
    check_rtcp(copy, size);
    (void)rtp_is_rtcp(copy, size);
    if (rtp_event_parse(&e, copy, size)) {
        uint8_t back[4];
        rtp_event_write(back, &e);
        if (back[0] != copy[0] || (back[1] & 0xbf) != (copy[1] & 0xbf) || back[2] != copy[2] ||
            back[3] != copy[3])
            abort();
    }
    free(copy);
    return 0;
}
