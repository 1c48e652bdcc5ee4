/* gw_call_action_of and gw_call_body_parse: the bodies of
 * POST /api/v1/enquiries/{id}/call/{action} (table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "callbody.h"

static void test_actions(void **state)
{
    (void)state;
    assert_int_equal(gw_call_action_of("hold", 4), GW_CALL_HOLD);
    assert_int_equal(gw_call_action_of("resume", 6), GW_CALL_RESUME);
    assert_int_equal(gw_call_action_of("mute", 4), GW_CALL_MUTE);
    assert_int_equal(gw_call_action_of("unmute", 6), GW_CALL_UNMUTE);
    assert_int_equal(gw_call_action_of("dtmf", 4), GW_CALL_DTMF);
    assert_int_equal(gw_call_action_of("record", 6), GW_CALL_RECORD);
    assert_int_equal(gw_call_action_of("hol", 3), GW_CALL_NONE);
    assert_int_equal(gw_call_action_of("holdx", 5), GW_CALL_NONE);
    assert_int_equal(gw_call_action_of("", 0), GW_CALL_NONE);
    assert_int_equal(gw_call_action_of("HOLD", 4), GW_CALL_NONE);
}

static void test_table(void **state)
{
    static const struct {
        enum gw_call_action action;
        const char *body;
        bool ok;
        const char *field; /* when refused */
        const char *digits;
        bool on;
    } cases[] = {
        {GW_CALL_HOLD, "", true, NULL, "", false},
        {GW_CALL_HOLD, "{}", true, NULL, "", false},
        {GW_CALL_RESUME, " { } ", true, NULL, "", false},
        {GW_CALL_MUTE, "[]", false, "body", NULL, false},
        {GW_CALL_UNMUTE, "null", false, "body", NULL, false},
        {GW_CALL_HOLD, "{\"on\":true}", false, "on", NULL, false},
        {GW_CALL_HOLD, "{", false, "body", NULL, false},
        {GW_CALL_DTMF, "{\"digits\":\"123#\"}", true, NULL, "123#", false},
        {GW_CALL_DTMF, "{\"digits\":\"*0ABCD9\"}", true, NULL, "*0ABCD9", false},
        {GW_CALL_DTMF, "{\"digits\":\"12345678901234567890123456789012\"}", true, NULL,
         "12345678901234567890123456789012", false},
        {GW_CALL_DTMF, "{\"digits\":\"123456789012345678901234567890123\"}", false, "digits", NULL,
         false},
        {GW_CALL_DTMF, "{\"digits\":\"\"}", false, "digits", NULL, false},
        {GW_CALL_DTMF, "{\"digits\":\"12a\"}", false, "digits", NULL, false},
        {GW_CALL_DTMF, "{\"digits\":\"1 2\"}", false, "digits", NULL, false},
        {GW_CALL_DTMF, "{\"digits\":\"E\"}", false, "digits", NULL, false},
        {GW_CALL_DTMF, "{\"digits\":12}", false, "digits", NULL, false},
        {GW_CALL_DTMF, "{}", false, "digits", NULL, false},
        {GW_CALL_DTMF, "", false, "body", NULL, false},
        {GW_CALL_DTMF, "{\"digits\":\"1\",\"x\":1}", false, "x", NULL, false},
        {GW_CALL_DTMF, "{\"digits\":\"1\",\"digits\":\"2\"}", false, "body", NULL, false},
        {GW_CALL_RECORD, "{\"on\":true}", true, NULL, "", true},
        {GW_CALL_RECORD, "{\"on\":false}", true, NULL, "", false},
        {GW_CALL_RECORD, "{\"on\":1}", false, "on", NULL, false},
        {GW_CALL_RECORD, "{\"on\":\"true\"}", false, "on", NULL, false},
        {GW_CALL_RECORD, "{}", false, "on", NULL, false},
        {GW_CALL_RECORD, "", false, "body", NULL, false},
        {GW_CALL_NONE, "", false, "action", NULL, false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct gw_call_body b;
        char field[64];
        const char *msg = NULL;
        bool ok = gw_call_body_parse(cases[i].action, cases[i].body, strlen(cases[i].body), &b,
                                     field, &msg);
        if (ok != cases[i].ok)
            fail_msg("case %zu (%s): ok %d", i, cases[i].body, ok);
        if (!ok) {
            assert_string_equal(field, cases[i].field);
            assert_non_null(msg);
        } else {
            assert_string_equal(b.digits, cases[i].digits);
            assert_int_equal(b.on, cases[i].on);
            assert_int_equal(b.action, cases[i].action);
        }
    }
}

/* The body is pointer + length: bytes after it are not read. */
static void test_not_terminated(void **state)
{
    const char text[] = "{\"digits\":\"12\"}garbage";
    struct gw_call_body b;
    char field[64];
    const char *msg;
    (void)state;
    assert_true(gw_call_body_parse(GW_CALL_DTMF, text, 15, &b, field, &msg));
    assert_string_equal(b.digits, "12");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_not_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
