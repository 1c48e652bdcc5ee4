/* gw_hs_protocols: the subprotocol offer of a WebSocket handshake (table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "handshake.h"

static void test_table(void **state)
{
    static const struct {
        const char *value;
        bool ok, protocol;
        const char *token; /* NULL: none */
    } cases[] = {
        {"cc.v1, bearer.3f1c00", true, true, "3f1c00"},
        {"bearer.v-5be0,cc.v1", true, true, "v-5be0"},
        {"  cc.v1 ,\tbearer.abc  ", true, true, "abc"},
        {"cc.v1", true, true, NULL},
        {"bearer.abc", true, false, "abc"},
        {"chat, cc.v1, bearer.x", true, true, "x"}, /* other protocols are ignored */
        {"CC.V1", true, false, NULL},                /* protocols are case-sensitive */
        {"cc.v1.1", true, false, NULL},
        {"", false, false, NULL},
        {" ", false, false, NULL},
        {"cc.v1,", false, false, NULL},
        {",cc.v1", false, false, NULL},
        {"cc.v1,,bearer.a", false, false, NULL},
        {"cc.v1 bearer.a", false, false, NULL},
        {"bearer.", false, false, NULL},
        {"bearer.a, bearer.b", false, false, NULL},
        {"cc.v1, bearer.a/b", false, false, NULL},
        {"cc.v1, bearer.a=", false, false, NULL},
        {"cc.v1, \"bearer.a\"", false, false, NULL},
        {"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p", true, false, NULL},
        {"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", false, false, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct gw_hs_offer o;
        bool ok = gw_hs_protocols(cases[i].value, strlen(cases[i].value), &o);
        if (ok != cases[i].ok || o.protocol != cases[i].protocol)
            fail_msg("\"%s\": ok %d protocol %d", cases[i].value, ok, o.protocol);
        if (cases[i].token == NULL) {
            if (o.token != NULL)
                fail_msg("\"%s\": unexpected token", cases[i].value);
        } else if (o.token == NULL || o.token_len != strlen(cases[i].token) ||
                   memcmp(o.token, cases[i].token, o.token_len) != 0) {
            fail_msg("\"%s\": token \"%.*s\"", cases[i].value, (int)o.token_len,
                     o.token != NULL ? o.token : "");
        }
    }
}

static void test_token_length(void **state)
{
    char v[16 + GW_HS_TOKEN_MAX + 2];
    struct gw_hs_offer o;
    int n;
    (void)state;
    n = snprintf(v, sizeof(v), "bearer.%0*d", GW_HS_TOKEN_MAX, 7);
    assert_true(gw_hs_protocols(v, (size_t)n, &o));
    assert_int_equal(o.token_len, GW_HS_TOKEN_MAX);
    n = snprintf(v, sizeof(v), "bearer.%0*d", GW_HS_TOKEN_MAX + 1, 7);
    assert_false(gw_hs_protocols(v, (size_t)n, &o));
    assert_null(o.token);
}

static void test_bounded(void **state)
{
    struct gw_hs_offer o;
    (void)state;
    /* the length bounds the read: what follows is not looked at */
    assert_true(gw_hs_protocols("cc.v1, bearer.ab/cd", 16, &o));
    assert_int_equal(o.token_len, 2);
    assert_true(gw_hs_protocols("cc.v1\0garbage", 5, &o));
    assert_false(gw_hs_protocols("cc.v1\0garbage", 6, &o));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_token_length),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
