/* ingress: a staff phone's bindings (contact.c): how long each lasts, which
 * Contact URIs are kept, and the Contact list of the 200 OK. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "contact.h"

static void test_expiry(void **state)
{
    static const struct {
        int param, header, max, want;
    } cases[] = {
        {-1, -1, 3600, CONTACT_DEFAULT_S}, /* neither: the default */
        {-1, 60, 3600, 60},                /* Expires header */
        {30, 60, 3600, 30},                /* the contact's parameter wins */
        {0, 60, 3600, 0},                  /* removes that binding only */
        {-1, 0, 3600, 0},                  /* Expires: 0 removes */
        {7200, -1, 3600, 3600},            /* capped */
        {-1, 2147483647, 3600, 3600},
        {1, -1, 3600, 1},
        {-1, -1, 600, 600},                /* the default is capped too */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(contact_expiry(cases[i].param, cases[i].header, cases[i].max),
                         cases[i].want);
}

static void test_uri(void **state)
{
    static const struct {
        const char *uri;
        bool ok;
    } cases[] = {
        {"sip:alice@127.0.0.1:5062", true},
        {"sip:alice@127.0.0.1:5062;transport=tcp", true},
        {"sips:alice@phone.example.com", true},
        {"SIP:alice@10.0.0.1", true},
        {"sip:10.0.0.1:5060", true},
        {"sip:[2001:db8::1]:5060", true},
        {"tel:+85280001234", false},
        {"http://x", false},
        {"sip:", false},
        {"sip:alice@", false},
        {"sip:alice@;x", false},
        {"sip:a b@host", false},
        {"sip:a<b@host", false},
        {"sip:a>b@host", false},
        {"sip:a\"b@host", false},
        {"sip:a,b@host", false},
        {"sip:a\r\nX: y@host", false},
        {"", false},
    };
    char big[CONTACT_URI_MAX + 2];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool got = contact_uri_ok(cases[i].uri, strlen(cases[i].uri));
        if (got != cases[i].ok)
            fail_msg("%s: got %d", cases[i].uri, got);
    }
    assert_false(contact_uri_ok(NULL, 3));
    /* bounded by len, not by a NUL */
    assert_true(contact_uri_ok("sip:a@hostXXX", 10));
    assert_false(contact_uri_ok("sip:a@h\x01", 8));
    memset(big, 'a', sizeof(big));
    memcpy(big, "sip:a@", 6);
    assert_true(contact_uri_ok(big, CONTACT_URI_MAX));
    assert_false(contact_uri_ok(big, CONTACT_URI_MAX + 1));
}

static void test_list(void **state)
{
    const char *uris[] = {"sip:a@127.0.0.1:5062", "sip:b@127.0.0.2:5064;transport=tcp"};
    const int secs[] = {60, 3600};
    char out[200], tiny[20];
    (void)state;
    assert_int_equal(contact_list_print(out, sizeof(out), 0, uris, secs), 0);
    assert_string_equal(out, "");
    assert_true(contact_list_print(out, sizeof(out), 2, uris, secs) > 0);
    assert_string_equal(out, "<sip:a@127.0.0.1:5062>;expires=60, "
                             "<sip:b@127.0.0.2:5064;transport=tcp>;expires=3600");
    assert_int_equal(contact_list_print(tiny, sizeof(tiny), 1, uris, secs), -1);
    assert_int_equal(contact_list_print(tiny, 0, 1, uris, secs), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_uri),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
