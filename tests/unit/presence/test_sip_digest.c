/* sip_digest: HA1 against RFC 2617's worked example and known values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "sip_digest.h"

static void test_known_values(void **state)
{
    static const struct {
        const char *user, *realm, *password, *ha1;
    } cases[] = {
        /* RFC 2617 3.5: HA1 of its example */
        {"Mufasa", "testrealm@host.com", "Circle Of Life", "939e7578ed9e3c518a452acee763bce9"},
        /* a demo staff member's phone in the default realm */
        {"bob", "cc.local", "bob-demo-1", "95bafb32a5368d18d9dc437af2891276"},
        /* all empty: MD5("::") */
        {"", "", "", "4501c091b0366d76ea3218b6cfdd8097"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[SIP_HA1_LEN + 1];
        memset(out, 'x', sizeof(out));
        assert_int_equal(sip_ha1(out, cases[i].user, cases[i].realm, cases[i].password), CC_OK);
        assert_string_equal(out, cases[i].ha1);
    }
}

static void test_every_part_counts(void **state)
{
    char a[SIP_HA1_LEN + 1], b[SIP_HA1_LEN + 1];
    (void)state;
    assert_int_equal(sip_ha1(a, "bob", "cc.local", "bob-demo-1"), CC_OK);
    assert_int_equal(sip_ha1(b, "bob", "cc.local", "bob-demo-2"), CC_OK);
    assert_string_not_equal(a, b);
    assert_int_equal(sip_ha1(b, "bob", "other.realm", "bob-demo-1"), CC_OK);
    assert_string_not_equal(a, b);
    assert_int_equal(sip_ha1(b, "carol", "cc.local", "bob-demo-1"), CC_OK);
    assert_string_not_equal(a, b);
    /* lower-case hex, exactly 32 digits */
    assert_int_equal(strlen(a), SIP_HA1_LEN);
    assert_int_equal(strspn(a, "0123456789abcdef"), SIP_HA1_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_every_part_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
