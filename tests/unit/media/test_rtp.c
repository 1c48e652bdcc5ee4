/* rtp: RTP/RTCP header parsing edge cases, RFC 4733 events, and the
 * other pure pieces of the packet path (receive statistics, G.711, WAV
 * header, the recording ring, request checks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "control.h"
#include "g711.h"
#include "leg.h"
#include "ring.h"
#include "rtp.h"
#include "rxstat.h"
#include "wav.h"

static size_t hdr(uint8_t *b, uint8_t first, uint8_t second)
{
    memset(b, 0, 12);
    b[0] = first;
    b[1] = second;
    b[2] = 0x12;
    b[3] = 0x34; /* seq 0x1234 */
    b[4] = 0;
    b[5] = 0;
    b[6] = 1;
    b[7] = 0; /* ts 256 */
    b[8] = 0xde;
    b[9] = 0xad;
    b[10] = 0xbe;
    b[11] = 0xef;
    return 12;
}

static void test_plain(void **state)
{
    uint8_t b[12 + 160];
    struct rtp_packet p;
    (void)state;

    hdr(b, 0x80, 0x80 | 8);
    memset(b + 12, 0xd5, 160);
    assert_int_equal(rtp_parse(&p, b, sizeof(b)), RTP_OK);
    assert_true(p.marker);
    assert_int_equal(p.pt, 8);
    assert_int_equal(p.seq, 0x1234);
    assert_int_equal(p.ts, 256);
    assert_int_equal(p.ssrc, 0xdeadbeef);
    assert_int_equal(p.header_len, 12);
    assert_int_equal(p.payload_len, 160);
    assert_ptr_equal(p.payload, b + 12);
    /* header only: an empty payload is valid */
    assert_int_equal(rtp_parse(&p, b, 12), RTP_OK);
    assert_int_equal(p.payload_len, 0);
}

static void test_short_and_version(void **state)
{
    uint8_t b[16];
    struct rtp_packet p;
    (void)state;

    hdr(b, 0x80, 0);
    for (size_t n = 0; n < 12; n++)
        assert_int_equal(rtp_parse(&p, b, n), RTP_ERR_SHORT);
    b[0] = 0x40;
    assert_int_equal(rtp_parse(&p, b, 12), RTP_ERR_VERSION);
    b[0] = 0xc0;
    assert_int_equal(rtp_parse(&p, b, 12), RTP_ERR_VERSION);
}

static void test_csrc(void **state)
{
    uint8_t b[12 + 15 * 4 + 2];
    struct rtp_packet p;
    (void)state;

    hdr(b, 0x80 | 15, 0);
    memset(b + 12, 1, sizeof(b) - 12);
    assert_int_equal(rtp_parse(&p, b, sizeof(b)), RTP_OK);
    assert_int_equal(p.csrc_count, 15);
    assert_int_equal(p.header_len, 72);
    assert_int_equal(p.payload_len, 2);
    /* 15 CSRCs announced, one missing */
    assert_int_equal(rtp_parse(&p, b, 12 + 14 * 4), RTP_ERR_SHORT);
    /* exactly the CSRCs, no payload */
    assert_int_equal(rtp_parse(&p, b, 72), RTP_OK);
    assert_int_equal(p.payload_len, 0);
}

static void test_extension(void **state)
{
    uint8_t b[12 + 4 + 8 + 3];
    struct rtp_packet p;
    (void)state;

    hdr(b, 0x90, 0);
    b[12] = 0xbe;
    b[13] = 0xde;
    b[14] = 0;
    b[15] = 2; /* two words */
    memset(b + 16, 7, sizeof(b) - 16);
    assert_int_equal(rtp_parse(&p, b, sizeof(b)), RTP_OK);
    assert_true(p.extension);
    assert_int_equal(p.header_len, 24);
    assert_int_equal(p.payload_len, 3);
    assert_int_equal(rtp_parse(&p, b, 24), RTP_OK); /* ends with the extension */
    assert_int_equal(rtp_parse(&p, b, 23), RTP_ERR_EXTENSION);
    assert_int_equal(rtp_parse(&p, b, 15), RTP_ERR_EXTENSION); /* no room for its header */
    b[15] = 0xff; /* 255 words announced */
    assert_int_equal(rtp_parse(&p, b, sizeof(b)), RTP_ERR_EXTENSION);
    /* CSRC then extension */
    {
        uint8_t c[12 + 4 + 4 + 4 + 1];
        hdr(c, 0x91, 0);
        memset(c + 12, 0, sizeof(c) - 12);
        c[19] = 1; /* extension length 1 word, after one CSRC */
        assert_int_equal(rtp_parse(&p, c, sizeof(c)), RTP_OK);
        assert_int_equal(p.header_len, 24);
        assert_int_equal(p.payload_len, 1);
    }
}

static void test_padding(void **state)
{
    uint8_t b[12 + 10];
    struct rtp_packet p;
    (void)state;

    hdr(b, 0xa0, 0);
    memset(b + 12, 0, 10);
    b[21] = 4; /* 6 bytes of payload, 4 of padding */
    assert_int_equal(rtp_parse(&p, b, sizeof(b)), RTP_OK);
    assert_int_equal(p.payload_len, 6);
    b[21] = 10; /* all padding */
    assert_int_equal(rtp_parse(&p, b, sizeof(b)), RTP_OK);
    assert_int_equal(p.payload_len, 0);
    b[21] = 11; /* more than there is */
    assert_int_equal(rtp_parse(&p, b, sizeof(b)), RTP_ERR_PADDING);
    b[21] = 0; /* padding bit with a count of 0 */
    assert_int_equal(rtp_parse(&p, b, sizeof(b)), RTP_ERR_PADDING);
    /* padding bit on a bare header: its last byte is the SSRC's, 0xef: too much */
    assert_int_equal(rtp_parse(&p, b, 12), RTP_ERR_PADDING);
}

static void test_demux(void **state)
{
    uint8_t b[2] = {0x80, 200};
    (void)state;

    assert_true(rtp_is_rtcp(b, 2));
    b[1] = 192;
    assert_true(rtp_is_rtcp(b, 2));
    b[1] = 223;
    assert_true(rtp_is_rtcp(b, 2));
    b[1] = 0x80 | 0; /* PCMU with marker */
    assert_false(rtp_is_rtcp(b, 2));
    b[1] = 0x80 | 101; /* telephone-event 101 with marker: 229 */
    assert_false(rtp_is_rtcp(b, 2));
    assert_false(rtp_is_rtcp(b, 1));
}

/* An SR with one report block, then an SDES, then a padded BYE. */
static size_t compound(uint8_t *b)
{
    size_t n = 0;

    memset(b, 0, 128);
    b[n] = 0x81; /* SR, one block: 28 + 24 bytes = 13 words */
    b[n + 1] = RTCP_SR;
    b[n + 3] = 12;
    b[n + 4] = 0x11;
    n += 52;
    b[n] = 0x81; /* SDES, one chunk: ssrc + CNAME "ab" + end, padded to 12 */
    b[n + 1] = RTCP_SDES;
    b[n + 3] = 2;
    b[n + 8] = 1;
    b[n + 9] = 2;
    b[n + 10] = 'a';
    b[n + 11] = 'b';
    n += 12;
    b[n] = 0xa1; /* BYE, padded by 4 */
    b[n + 1] = RTCP_BYE;
    b[n + 3] = 2;
    b[n + 11] = 4;
    n += 12;
    return n;
}

static void test_rtcp_compound(void **state)
{
    uint8_t b[128];
    struct rtcp_packet pk[RTCP_MAX_PACKETS];
    size_t n, len = compound(b);
    (void)state;

    assert_int_equal(rtcp_parse(b, len, pk, RTCP_MAX_PACKETS, &n), RTP_OK);
    assert_int_equal(n, 3);
    assert_int_equal(pk[0].type, RTCP_SR);
    assert_int_equal(pk[0].count, 1);
    assert_int_equal(pk[0].len, 52);
    assert_int_equal(pk[0].ssrc, 0x11000000);
    assert_int_equal(pk[0].blocks, 28);
    assert_int_equal(pk[1].type, RTCP_SDES);
    assert_int_equal(pk[1].offset, 52);
    assert_int_equal(pk[1].blocks, 0);
    assert_int_equal(pk[2].type, RTCP_BYE);
    /* truncated anywhere but between two packets: refused */
    for (size_t cut = 0; cut < len; cut++)
        if (cut != 52 && cut != 64)
            assert_int_not_equal(rtcp_parse(b, cut, pk, RTCP_MAX_PACKETS, &n), RTP_OK);
    assert_int_equal(rtcp_parse(b, 52, pk, RTCP_MAX_PACKETS, &n), RTP_OK);
    assert_int_equal(n, 1);
    /* padding on a packet that is not the last */
    b[0] |= 0x20;
    b[51] = 4;
    assert_int_equal(rtcp_parse(b, len, pk, RTCP_MAX_PACKETS, &n), RTP_ERR_PADDING);
    b[0] &= ~0x20;
    /* more report blocks than the SR holds */
    b[0] = 0x82;
    assert_int_equal(rtcp_parse(b, len, pk, RTCP_MAX_PACKETS, &n), RTP_ERR_LENGTH);
    b[0] = 0x81;
    /* not RTCP */
    b[53] = 100;
    assert_int_equal(rtcp_parse(b, len, pk, RTCP_MAX_PACKETS, &n), RTP_ERR_TYPE);
    b[53] = RTCP_SDES;
    /* a version 1 packet inside */
    b[64] = 0x61;
    assert_int_equal(rtcp_parse(b, len, pk, RTCP_MAX_PACKETS, &n), RTP_ERR_VERSION);
    b[64] = 0xa1;
    /* more packets than room */
    assert_int_equal(rtcp_parse(b, len, pk, 2, &n), RTP_ERR_LENGTH);
    /* a 4-byte RR with no SSRC and no blocks is whole */
    {
        uint8_t rr[4] = {0x80, RTCP_RR, 0, 0};
        assert_int_equal(rtcp_parse(rr, 4, pk, RTCP_MAX_PACKETS, &n), RTP_ERR_LENGTH);
        uint8_t rr8[8] = {0x80, RTCP_RR, 0, 1, 1, 2, 3, 4};
        assert_int_equal(rtcp_parse(rr8, 8, pk, RTCP_MAX_PACKETS, &n), RTP_OK);
        assert_int_equal(pk[0].ssrc, 0x01020304);
    }
}

static void test_events(void **state)
{
    struct rtp_event e = {.event = 11, .end = true, .volume = 10, .duration = 800}, d;
    uint8_t b[4];
    (void)state;

    rtp_event_write(b, &e);
    assert_int_equal(b[0], 11);
    assert_int_equal(b[1], 0x8a);
    assert_int_equal(b[2] << 8 | b[3], 800);
    assert_true(rtp_event_parse(&d, b, 4));
    assert_int_equal(d.event, 11);
    assert_true(d.end);
    assert_int_equal(d.volume, 10);
    assert_int_equal(d.duration, 800);
    assert_false(rtp_event_parse(&d, b, 3));
    assert_int_equal(rtp_event_digit(0), '0');
    assert_int_equal(rtp_event_digit(10), '*');
    assert_int_equal(rtp_event_digit(11), '#');
    assert_int_equal(rtp_event_digit(15), 'D');
    assert_int_equal(rtp_event_digit(16), '\0'); /* flash: not a digit */
    assert_int_equal(rtp_digit_event('#'), 11);
    assert_int_equal(rtp_digit_event('A'), 12);
    assert_int_equal(rtp_digit_event('x'), -1);
    assert_int_equal(rtp_digit_event('\0'), -1);
}

static void test_write_header(void **state)
{
    uint8_t b[12];
    struct rtp_packet p;
    (void)state;

    rtp_write_header(b, true, 101, 65535, 0xffffffffu, 42);
    assert_int_equal(rtp_parse(&p, b, 12), RTP_OK);
    assert_true(p.marker);
    assert_int_equal(p.pt, 101);
    assert_int_equal(p.seq, 65535);
    assert_int_equal(p.ts, 0xffffffffu);
    assert_int_equal(p.ssrc, 42);
}

static void test_rxstat(void **state)
{
    struct rxstat s = {0};
    uint32_t arrival = 1000;
    (void)state;

    /* 10 in order, across the sequence wrap */
    for (int i = 0; i < 10; i++, arrival += 160)
        rxstat_update(&s, 7, (uint16_t)(65530 + i), (uint32_t)(i * 160), arrival, true);
    assert_int_equal(rxstat_lost(&s), 0);
    assert_int_equal(rxstat_jitter(&s), 0);
    assert_int_equal(s.cycles, 65536);
    /* the last was 3 (65539); 4 and 5 lost */
    rxstat_update(&s, 7, 6, 12 * 160, arrival + 320, true);
    assert_int_equal(rxstat_lost(&s), 2);
    /* one of them arrives late: one lost */
    rxstat_update(&s, 7, 4, 10 * 160, arrival + 400, true);
    assert_int_equal(rxstat_lost(&s), 1);
    assert_true(rxstat_jitter(&s) > 0);
    /* a new SSRC keeps what the old run lost */
    rxstat_update(&s, 8, 100, 0, arrival + 500, true);
    assert_int_equal(rxstat_lost(&s), 1);
    rxstat_update(&s, 8, 103, 480, arrival + 980, true);
    assert_int_equal(rxstat_lost(&s), 3);
    /* a jump past MAX_DROPOUT restarts the sequence instead of counting 5000 lost */
    rxstat_update(&s, 8, 5103, 960, arrival + 1460, true);
    assert_int_equal(rxstat_lost(&s), 3);
    /* a duplicate: received twice, never negative */
    rxstat_update(&s, 8, 5103, 960, arrival + 1460, false);
    assert_int_equal(rxstat_lost(&s), 3);
}

static void test_g711(void **state)
{
    (void)state;
    assert_int_equal(g711_ulaw_decode(G711_SILENCE_PCMU), 0);
    assert_true(abs(g711_alaw_decode(G711_SILENCE_PCMA)) <= 8);
    assert_int_equal(g711_ulaw_encode(0), G711_SILENCE_PCMU);
    assert_int_equal(g711_alaw_encode(0), G711_SILENCE_PCMA);
    /* every code decodes and encodes back to itself (mu-law's two zeros aside) */
    for (int c = 0; c < 256; c++) {
        if (c != 0x7f)
            assert_int_equal(g711_ulaw_encode(g711_ulaw_decode((uint8_t)c)), c);
        assert_int_equal(g711_alaw_encode(g711_alaw_decode((uint8_t)c)), c);
    }
    assert_int_equal(g711_ulaw_decode(0x00), -32124);
    assert_int_equal(g711_ulaw_decode(0x80), 32124);
    assert_int_equal(g711_alaw_decode(0xaa), 32256);
    assert_int_equal(g711_ulaw_encode(32767), 0x80);
    assert_int_equal(g711_ulaw_encode(-32768), 0x00);
    {
        uint8_t b[3] = {0xd5, 0xaa, 0x2a};
        g711_alaw_to_ulaw(b, 3);
        g711_ulaw_to_alaw(b, 3);
        assert_int_equal(b[0], 0xd5);
        assert_int_equal(b[1], 0xaa);
        assert_int_equal(b[2], 0x2a);
    }
}

static void test_wav(void **state)
{
    uint8_t h[WAV_HEADER_LEN];
    (void)state;

    wav_header(h, 8000, 2, 8000);
    assert_memory_equal(h, "RIFF", 4);
    assert_int_equal(h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24, 36 + 32000);
    assert_memory_equal(h + 8, "WAVEfmt ", 8);
    assert_int_equal(h[22], 2);
    assert_int_equal(h[24] | h[25] << 8, 8000);
    assert_int_equal(h[28] | h[29] << 8 | h[30] << 16, 32000);
    assert_int_equal(h[32], 4);
    assert_int_equal(h[34], 16);
    assert_memory_equal(h + 36, "data", 4);
    assert_int_equal(h[40] | h[41] << 8 | h[42] << 16, 32000);
    /* clamped to what RIFF can say */
    wav_header(h, 0xffffffffu, 2, 8000);
    assert_int_equal(h[40] | h[41] << 8 | h[42] << 16 | (uint32_t)h[43] << 24,
                     WAV_MAX_FRAMES(2) * 4);
}

static void test_ring(void **state)
{
    struct rec_ring *r = rec_ring_new(REC_RESERVE * 2);
    struct rec_item *it;
    int pushed = 0;
    (void)state;

    assert_null(rec_ring_new(100));       /* not a power of two */
    assert_null(rec_ring_new(REC_RESERVE)); /* no room above the reserve */
    assert_non_null(r);
    assert_null(rec_ring_peek(r));
    /* audio stops at the reserve */
    while ((it = rec_ring_claim(r, REC_RESERVE)) != NULL) {
        it->rec_id = (uint32_t)pushed++;
        rec_ring_push(r);
    }
    assert_int_equal(pushed, REC_RESERVE * 2 - REC_RESERVE);
    /* the reserve takes start/stop items */
    for (int i = 0; i < REC_RESERVE; i++) {
        it = rec_ring_claim(r, 0);
        assert_non_null(it);
        it->rec_id = (uint32_t)pushed++;
        rec_ring_push(r);
    }
    assert_null(rec_ring_claim(r, 0));
    for (int i = 0; i < pushed; i++) {
        it = rec_ring_peek(r);
        assert_non_null(it);
        assert_int_equal(it->rec_id, i);
        rec_ring_pop(r);
    }
    assert_null(rec_ring_peek(r));
    rec_ring_free(r);
}

static void test_request_checks(void **state)
{
    char longid[LEG_ID_MAX + 1];
    (void)state;

    assert_true(media_leg_id_valid("call-1:caller_A.2"));
    assert_false(media_leg_id_valid(""));
    assert_false(media_leg_id_valid("a/b"));
    assert_false(media_leg_id_valid("a b"));
    memset(longid, 'a', LEG_ID_MAX);
    longid[LEG_ID_MAX] = '\0';
    assert_false(media_leg_id_valid(longid));
    longid[LEG_ID_MAX - 1] = '\0';
    assert_true(media_leg_id_valid(longid));
    assert_true(media_digits_valid("0123456789*#ABCD"));
    assert_false(media_digits_valid(""));
    assert_false(media_digits_valid("12a"));
    assert_false(media_digits_valid("123456789012345678901234567890123"));
}

/* Where a leg sends: the latched source, else the announced address (never
 * 0.0.0.0); no RTP while its phone holds (peer_hold), RTCP still. */
static void test_leg_dest(void **state)
{
    struct leg *l = leg_new("sip-x", 1, -1, -1, 30000, 1234, 0, 0);
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(4000)};
    struct sockaddr_in there = {.sin_family = AF_INET, .sin_port = htons(4002)};
    (void)state;

    assert_non_null(l);
    assert_null(leg_rtp_dest(l));
    assert_null(leg_rtcp_dest(l));
    /* c=0.0.0.0 (an old-style hold): nowhere, not this host */
    l->has_remote = true;
    l->remote_rtp = l->remote_rtcp = any;
    assert_null(leg_rtp_dest(l));
    assert_null(leg_rtcp_dest(l));
    inet_pton(AF_INET, "127.0.0.9", &there.sin_addr);
    l->remote_rtp = there;
    l->remote_rtcp = there;
    l->remote_rtcp.sin_port = htons(4003);
    assert_ptr_equal(leg_rtp_dest(l), &l->remote_rtp);
    assert_ptr_equal(leg_rtcp_dest(l), &l->remote_rtcp);
    /* its phone holds: no RTP, RTCP still (also muxed on the RTP port) */
    l->peer_hold = true;
    assert_null(leg_rtp_dest(l));
    assert_ptr_equal(leg_rtcp_dest(l), &l->remote_rtcp);
    l->rtcp_mux = true;
    assert_ptr_equal(leg_rtcp_dest(l), &l->remote_rtp);
    /* latched: where it really sends from */
    l->latched_rtp = true;
    l->src_rtp = there;
    assert_null(leg_rtp_dest(l));
    l->peer_hold = false;
    assert_ptr_equal(leg_rtp_dest(l), &l->src_rtp);
    leg_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),        cmocka_unit_test(test_short_and_version),
        cmocka_unit_test(test_csrc),         cmocka_unit_test(test_extension),
        cmocka_unit_test(test_padding),      cmocka_unit_test(test_demux),
        cmocka_unit_test(test_rtcp_compound), cmocka_unit_test(test_events),
        cmocka_unit_test(test_write_header), cmocka_unit_test(test_rxstat),
        cmocka_unit_test(test_g711),         cmocka_unit_test(test_wav),
        cmocka_unit_test(test_ring),         cmocka_unit_test(test_request_checks),
        cmocka_unit_test(test_leg_dest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
