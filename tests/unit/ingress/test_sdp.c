/* ingress: SDP offers (sdp.c over sofia-sip's parser) and our answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "sdp.h"

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.5\r\ns=-\r\nc=IN IP4 192.0.2.5\r\nt=0 0\r\n"

static enum sdp_result parse(struct sdp_offer *o, const char *s)
{
    char err[200];
    return sdp_offer_parse(o, s, strlen(s), err, sizeof(err));
}

static void test_offers(void **state)
{
    struct sdp_offer o;
    (void)state;
    assert_int_equal(parse(&o, HEAD "m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"), SDP_OK);
    assert_string_equal(o.ip, "192.0.2.5");
    assert_int_equal(o.port, 4000);
    assert_int_equal(o.codec, 2); /* PCMA: the offer's first choice */
    assert_int_equal(o.pt, 8);
    assert_int_equal(o.event_pt, 101);
    assert_int_equal(o.dir, SDP_SENDRECV);
    assert_int_equal(parse(&o, HEAD "m=audio 4000 RTP/AVP 18 0\r\na=sendonly\r\na=rtcp-mux\r\n"), SDP_OK);
    assert_int_equal(o.codec, 1);
    assert_int_equal(o.dir, SDP_SENDONLY);
    assert_true(o.rtcp_mux);
    assert_int_equal(o.event_pt, 0);
    /* c=0.0.0.0 is hold the old way */
    assert_int_equal(parse(&o, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"), SDP_OK);
    assert_int_equal(o.dir, SDP_INACTIVE);
    /* media-level address wins; a=rtcp */
    assert_int_equal(parse(&o, HEAD "m=audio 4002 RTP/AVP 0\r\nc=IN IP4 198.51.100.1\r\na=rtcp:4009\r\n"), SDP_OK);
    assert_string_equal(o.ip, "198.51.100.1");
    assert_int_equal(o.rtcp_port, 4009);
    /* refused */
    assert_int_equal(parse(&o, HEAD "m=audio 4000 RTP/AVP 18\r\n"), SDP_UNACCEPTABLE);
    assert_int_equal(parse(&o, HEAD "m=video 4000 RTP/AVP 0\r\n"), SDP_UNACCEPTABLE);
    assert_int_equal(parse(&o, HEAD "m=audio 0 RTP/AVP 0\r\n"), SDP_UNACCEPTABLE);
    assert_int_equal(parse(&o, HEAD "m=audio 4000 RTP/SAVP 0\r\n"), SDP_UNACCEPTABLE);
    assert_int_equal(parse(&o, "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"), SDP_UNACCEPTABLE);
    assert_int_equal(parse(&o, "hello"), SDP_BAD);
    assert_int_equal(parse(&o, ""), SDP_BAD);
    {
        char err[100];
        assert_int_equal(sdp_offer_parse(&o, NULL, 0, err, sizeof(err)), SDP_BAD);
    }
}

static void test_answer(void **state)
{
    struct sdp_offer o;
    char out[SDP_ANSWER_MAX];
    (void)state;
    assert_int_equal(parse(&o, HEAD "m=audio 4000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n"), SDP_OK);
    assert_true(sdp_answer_print(out, sizeof(out), &o, "127.0.0.1", 20000, 7, 2) > 0);
    assert_non_null(strstr(out, "o=cc-ingress 7 2 IN IP4 127.0.0.1\r\n"));
    assert_non_null(strstr(out, "m=audio 20000 RTP/AVP 8 101\r\n"));
    assert_non_null(strstr(out, "a=rtpmap:8 PCMA/8000\r\n"));
    assert_non_null(strstr(out, "a=rtpmap:101 telephone-event/8000\r\n"));
    assert_non_null(strstr(out, "a=recvonly\r\n"));
    assert_int_equal(parse(&o, HEAD "m=audio 4000 RTP/AVP 0\r\n"), SDP_OK);
    assert_true(sdp_answer_print(out, sizeof(out), &o, "127.0.0.1", 20000, 7, 2) > 0);
    assert_non_null(strstr(out, "m=audio 20000 RTP/AVP 0\r\n"));
    assert_null(strstr(out, "telephone-event"));
    assert_non_null(strstr(out, "a=sendrecv\r\n"));
    assert_int_equal(sdp_answer_print(out, 20, &o, "127.0.0.1", 20000, 7, 2), -1);
}

/* Our offer to a staff phone reads back as what it offers (a phone that
 * echoes it as its answer), and does not print past cap. */
static void test_phone_offer(void **state)
{
    char out[SDP_ANSWER_MAX], err[200];
    struct sdp_offer o;
    int n;
    (void)state;
    n = sdp_offer_print(out, sizeof(out), "192.0.2.9", 20004, 7, 1);
    assert_true(n > 0);
    assert_non_null(strstr(out, "m=audio 20004 RTP/AVP 0 8 101\r\n"));
    assert_non_null(strstr(out, "a=rtpmap:101 telephone-event/8000\r\n"));
    assert_int_equal(sdp_offer_parse(&o, out, (size_t)n, err, sizeof(err)), SDP_OK);
    assert_string_equal(o.ip, "192.0.2.9");
    assert_int_equal(o.port, 20004);
    assert_int_equal(o.codec, 1); /* PCMU first */
    assert_int_equal(o.event_pt, SDP_OFFER_EVENT_PT);
    assert_int_equal(o.dir, SDP_SENDRECV);
    assert_int_equal(sdp_offer_print(out, 40, "192.0.2.9", 20004, 7, 1), -1);
}

/* One o= session id per leg, the same from any replica, different between
 * legs, and positive as a signed 64-bit number. */
static void test_session_id(void **state)
{
    (void)state;
    assert_true(sdp_session_id("sip-a") == sdp_session_id("sip-a"));
    assert_true(sdp_session_id("sip-a") != sdp_session_id("sip-b"));
    assert_true(sdp_session_id("ring-0190") != sdp_session_id("dial-0190"));
    assert_true(sdp_session_id("") < (UINT64_C(1) << 63));
    assert_true(sdp_session_id("ring-ffffffffffffffff") < (UINT64_C(1) << 63));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offers),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_phone_offer),
        cmocka_unit_test(test_session_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
