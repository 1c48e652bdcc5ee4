/* ingress: the dialled number (number.c) and trunk matching by address
 * (trunk.c): tables of the forms carriers send and of the edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "number.h"
#include "trunk.h"

static void test_e164(void **state)
{
    static const struct {
        const char *user;
        const char *want; /* NULL: not a number */
    } cases[] = {
        {"+85280001234", "+85280001234"},
        {"85280001234", "+85280001234"},
        {"%2B85280001234", "+85280001234"},
        {"%2b85280001234", "+85280001234"},
        {"+852-8000-1234", "+85280001234"},
        {"+852.8000.1234", "+85280001234"},
        {"+44(20)71234567", "+442071234567"},
        {"1", "+1"},
        {"123456789012345", "+123456789012345"}, /* 15 digits: the E.164 maximum */
        {"1234567890123456", NULL},              /* 16 */
        {"", NULL},
        {"+", NULL},
        {"%2B", NULL},
        {"++852", NULL},
        {"-852", NULL},
        {"852-", NULL},
        {"sales", NULL},
        {"852 8000", NULL},
        {"*21#", NULL},
        {"852;phone-context=x", NULL},
        {"%2", NULL},
        {"8520\x00" "1", NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[NUMBER_E164_MAX] = "untouched";
        size_t len = strlen(cases[i].user) + (i == sizeof(cases) / sizeof(cases[0]) - 1 ? 2 : 0);
        bool ok = number_e164(out, cases[i].user, len);
        if (cases[i].want == NULL) {
            if (ok)
                fail_msg("\"%s\" taken as %s", cases[i].user, out);
            assert_string_equal(out, "untouched");
        } else {
            if (!ok)
                fail_msg("\"%s\" refused", cases[i].user);
            assert_string_equal(out, cases[i].want);
        }
    }
    /* pointer + length: nothing past len is read */
    {
        char out[NUMBER_E164_MAX];
        assert_true(number_e164(out, "8528abc", 4));
        assert_string_equal(out, "+8528");
        assert_false(number_e164(out, NULL, 0));
    }
}

static struct cc_netaddr addr(const char *s)
{
    struct cc_netaddr a;
    if (!cc_netaddr_parse(&a, s, strlen(s)))
        fail_msg("\"%s\" does not parse", s);
    return a;
}

static void test_trunk_addresses(void **state)
{
    static const struct {
        const char *list;
        const char *src;
        bool match;
        bool bad;
    } cases[] = {
        {"192.0.2.10", "192.0.2.10", true, false},
        {"192.0.2.10", "192.0.2.11", false, false},
        {"192.0.2.0/24", "192.0.2.200", true, false},
        {"192.0.2.0/24", "192.0.3.1", false, false},
        {"198.51.100.0/25, 192.0.2.0/24", "192.0.2.1", true, false},
        {"198.51.100.0/25,192.0.2.0/24", "198.51.100.127", true, false},
        {"198.51.100.0/25", "198.51.100.128", false, false},
        {"0.0.0.0/0", "203.0.113.9", true, false},
        {"2001:db8::/32", "2001:db8:1::5", true, false},
        {"2001:db8::/32", "2001:db9::5", false, false},
        {"192.0.2.1", "::ffff:192.0.2.1", true, false}, /* a mapped address is its IPv4 */
        {"::1", "127.0.0.1", false, false},
        {"", "192.0.2.1", false, false},
        {"  ,  ", "192.0.2.1", false, false},
        {"192.0.2.0/33", "192.0.2.1", false, true},
        {"carrier.example", "192.0.2.1", false, true},
        {"192.0.2.1, nonsense", "192.0.2.1", false, true},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cc_netaddr a = addr(cases[i].src);
        bool bad = !cases[i].bad;
        bool m = trunk_addr_match(cases[i].list, strlen(cases[i].list), &a, &bad);
        if (m != cases[i].match || bad != cases[i].bad)
            fail_msg("\"%s\" vs %s: match %d bad %d", cases[i].list, cases[i].src, m, bad);
    }
}

static void test_trunk_set(void **state)
{
    static struct trunk_set s;
    struct cc_netaddr a = addr("192.0.2.7"), b = addr("203.0.113.1");
    (void)state;
    memset(&s, 0, sizeof(s));
    s.n = 3;
    snprintf(s.t[0].id, sizeof(s.t[0].id), "broken");
    snprintf(s.t[0].addresses, sizeof(s.t[0].addresses), "not an address");
    snprintf(s.t[1].id, sizeof(s.t[1].id), "acme");
    snprintf(s.t[1].addresses, sizeof(s.t[1].addresses), "192.0.2.0/28");
    snprintf(s.t[2].id, sizeof(s.t[2].id), "digest");
    snprintf(s.t[2].username, sizeof(s.t[2].username), "pbx");
    snprintf(s.t[2].ha1, sizeof(s.t[2].ha1), "0123456789abcdef0123456789abcdef");
    /* a broken list does not stop the others from matching */
    assert_non_null(trunk_by_address(&s, &a));
    assert_string_equal(trunk_by_address(&s, &a)->id, "acme");
    assert_null(trunk_by_address(&s, &b));
    assert_true(trunk_any_digest(&s));
    assert_string_equal(trunk_by_username(&s, "pbx")->id, "digest");
    assert_null(trunk_by_username(&s, "PBX"));
    assert_null(trunk_by_username(&s, ""));
    assert_null(trunk_by_username(&s, NULL));
    s.t[2].ha1[0] = '\0'; /* a username without ha1 is no credential */
    assert_false(trunk_any_digest(&s));
    assert_null(trunk_by_username(&s, "pbx"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e164),
        cmocka_unit_test(test_trunk_addresses),
        cmocka_unit_test(test_trunk_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
