/* cc_origin: origins, allowlists and the same-site check (tables). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "cc_origin.h"

static bool valid(const char *o)
{
    return cc_origin_valid(o, strlen(o));
}

static void test_valid(void **state)
{
    static const char *const good[] = {
        "http://a",           "https://shop.example.com", "HTTPS://Shop.Example.COM",
        "http://127.0.0.1:8080", "https://[::1]:8443",    "http://[2001:db8::1]",
        "http://x-y.z:1",     "https://a:65535",
    };
    static const char *const bad[] = {
        "",                        "null",                  "http://",
        "https://shop.example.com/", "https://a/path",      "ftp://a",
        "http:/a",                 "http//a",               "http://a:",
        "http://a:123456",         "http://a:8o",           "http://a b",
        "http://user@a",           "http://[::1",           "http://[]",
        "http://[::g]",            "http://a?x",            "http://a#f",
        "https://a:80:80",         " http://a",             "http://a ",
        "http://:80",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!valid(good[i]))
            fail_msg("\"%s\" should be a valid origin", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (valid(bad[i]))
            fail_msg("\"%s\" should not be a valid origin", bad[i]);
    /* length bounds the read: a valid prefix of a longer buffer */
    assert_true(cc_origin_valid("http://abc/def", 10));
    assert_false(cc_origin_valid("http://abc/def", 11));
}

static void test_long(void **state)
{
    char o[CC_ORIGIN_MAX + 2];
    (void)state;
    memcpy(o, "http://", 7);
    memset(o + 7, 'a', sizeof(o) - 7);
    assert_true(cc_origin_valid(o, CC_ORIGIN_MAX));
    assert_false(cc_origin_valid(o, CC_ORIGIN_MAX + 1));
}

static void test_list(void **state)
{
    static const char list[] = "https://shop.example.com, http://127.0.0.1:8080\thttps://[::1]:8443";
    char err[200];
    (void)state;
    assert_true(cc_origin_list_valid(list, strlen(list), err, sizeof(err)));
    assert_true(cc_origin_list_valid("", 0, err, sizeof(err)));
    assert_true(cc_origin_list_valid(" , ,", 4, err, sizeof(err)));
    assert_true(cc_origin_list_valid("*", 1, err, sizeof(err)));
    assert_false(cc_origin_list_valid("https://a, https://b/", 21, err, sizeof(err)));
    assert_string_equal(err,
                        "\"https://b/\" is not an origin: expected http(s)://host[:port] (no path) or *");
    assert_false(cc_origin_list_valid("**", 2, err, sizeof(err)));

    assert_true(cc_origin_listed("https://shop.example.com", 24, list, strlen(list)));
    assert_true(cc_origin_listed("HTTPS://SHOP.example.com", 24, list, strlen(list)));
    assert_true(cc_origin_listed("http://127.0.0.1:8080", 21, list, strlen(list)));
    assert_true(cc_origin_listed("https://[::1]:8443", 18, list, strlen(list)));
    assert_false(cc_origin_listed("http://shop.example.com", 23, list, strlen(list)));
    assert_false(cc_origin_listed("https://shop.example.com:8443", 29, list, strlen(list)));
    assert_false(cc_origin_listed("https://shop.example.co", 23, list, strlen(list)));
    assert_false(cc_origin_listed("https://evil.example", 20, list, strlen(list)));
    assert_false(cc_origin_listed("null", 4, list, strlen(list)));
    assert_false(cc_origin_listed("https://a", 9, "", 0));
    assert_true(cc_origin_listed("https://anything", 16, "https://a *", 11));
    assert_true(cc_origin_listed("null", 4, "*", 1));
}

static void test_same_host(void **state)
{
    static const struct {
        const char *origin, *host;
        bool same;
    } cases[] = {
        {"http://127.0.0.1:8080", "127.0.0.1:8080", true},
        {"https://cc.example.com", "cc.example.com", true}, /* TLS ended at a proxy */
        {"http://CC.example.com", "cc.EXAMPLE.com", true},
        {"http://127.0.0.1:8080", "127.0.0.1:8081", false},
        {"http://127.0.0.1", "127.0.0.1:8080", false},
        {"http://evil.example", "cc.example.com", false},
        {"http://cc.example.com.evil.example", "cc.example.com", false},
        {"null", "null", false},
        {"http://a", "", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (cc_origin_same_host(cases[i].origin, strlen(cases[i].origin), cases[i].host,
                                strlen(cases[i].host)) != cases[i].same)
            fail_msg("%s vs Host %s: expected %s", cases[i].origin, cases[i].host,
                     cases[i].same ? "same" : "other");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_long),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_same_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
