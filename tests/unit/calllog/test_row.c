/* clog_row_from_event: which events are stored, and with which columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "row.h"

#define ID1 "019ab8a0-1234-7abc-8def-0123456789ab"
#define ID2 "019ab8a0-5678-7abc-9def-0123456789ab"

static void test_enquiry_event(void **state)
{
    Cc__Event ev = CC__EVENT__INIT;
    Cc__Enquiry enq = CC__ENQUIRY__INIT;
    struct clog_row row;
    const char *why = NULL;
    (void)state;

    ev.id = ID1;
    ev.ts_ms = 1764039845678LL;
    ev.type = "enquiry.created";
    ev.source = "queue";
    ev.instance = "queue-1";
    enq.id = ID2;
    ev.body_case = CC__EVENT__BODY_ENQUIRY;
    ev.enquiry = &enq;
    assert_true(clog_row_from_event(&row, &ev, &why));
    assert_string_equal(row.id, ID1);
    assert_string_equal(row.ts, "2025-11-25T03:04:05.678Z");
    assert_string_equal(row.type, "enquiry.created");
    assert_string_equal(row.source, "queue");
    assert_string_equal(row.enquiry_id, ID2);
    assert_null(row.staff_id);
}

static void test_leg_and_presence_events(void **state)
{
    Cc__Event ev = CC__EVENT__INIT;
    Cc__CallLeg leg = CC__CALL_LEG__INIT;
    Cc__StaffPresence p = CC__STAFF_PRESENCE__INIT;
    struct clog_row row;
    const char *why;
    (void)state;

    ev.id = ID1;
    ev.ts_ms = 1;
    ev.type = "leg.connected";
    leg.enquiry_id = ID2;
    ev.body_case = CC__EVENT__BODY_LEG;
    ev.leg = &leg;
    assert_true(clog_row_from_event(&row, &ev, &why));
    assert_string_equal(row.enquiry_id, ID2);
    assert_null(row.source); /* empty strings become NULL columns */

    ev.type = "presence.changed";
    p.staff_id = "staff-9";
    ev.body_case = CC__EVENT__BODY_PRESENCE;
    ev.presence = &p;
    assert_true(clog_row_from_event(&row, &ev, &why));
    assert_null(row.enquiry_id);
    assert_string_equal(row.staff_id, "staff-9");

    ev.staff_id = "staff-1"; /* the top-level field wins */
    assert_true(clog_row_from_event(&row, &ev, &why));
    assert_string_equal(row.staff_id, "staff-1");
}

static void test_refused(void **state)
{
    Cc__Event ev = CC__EVENT__INIT;
    Cc__Enquiry enq = CC__ENQUIRY__INIT;
    struct clog_row row;
    const char *why = NULL;
    (void)state;

    ev.ts_ms = 1;
    ev.type = "enquiry.created";
    assert_false(clog_row_from_event(&row, &ev, &why)); /* empty id */
    assert_string_equal(why, "event id is not a UUID");
    ev.id = "not-a-uuid";
    assert_false(clog_row_from_event(&row, &ev, &why));
    ev.id = ID1;
    ev.type = "";
    assert_false(clog_row_from_event(&row, &ev, &why));
    assert_string_equal(why, "event has no type");
    ev.type = "x.y";
    ev.ts_ms = 0;
    assert_false(clog_row_from_event(&row, &ev, &why));
    assert_string_equal(why, "event has no timestamp");

    /* an enquiry id that is not a UUID is not put in the uuid column */
    ev.ts_ms = 1;
    enq.id = "legacy-7";
    ev.body_case = CC__EVENT__BODY_ENQUIRY;
    ev.enquiry = &enq;
    assert_true(clog_row_from_event(&row, &ev, &why));
    assert_null(row.enquiry_id);

    /* the last millisecond of 9999 is stored; the next one is refused */
    ev.ts_ms = 253402300799999LL;
    assert_true(clog_row_from_event(&row, &ev, &why));
    assert_string_equal(row.ts, "9999-12-31T23:59:59.999Z");
    ev.ts_ms = 253402300800000LL;
    assert_false(clog_row_from_event(&row, &ev, &why));
    assert_string_equal(why, "event timestamp is past the year 9999");
}

struct text_case {
    const char *text;
    bool ok;
};

/* Every text column must be UTF-8, or PostgreSQL refuses the whole INSERT. */
static void test_utf8(void **state)
{
    static const struct text_case cases[] = {
        {"plain", true},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e", true}, /* é € 📞 */
        {"\xef\xbf\xbf", true},                              /* U+FFFF */
        {"\xf4\x8f\xbf\xbf", true},                          /* U+10FFFF */
        {"\xff", false},
        {"\x80", false},             /* a continuation byte alone */
        {"\xc3", false},             /* cut short by the end */
        {"\xc3(", false},            /* cut short */
        {"\xc0\xaf", false},         /* overlong '/' */
        {"\xe0\x80\xaf", false},     /* overlong */
        {"\xf0\x80\x80\xaf", false}, /* overlong */
        {"\xed\xa0\x80", false},     /* a surrogate */
        {"\xf4\x90\x80\x80", false}, /* past U+10FFFF */
        {"\xf5\x80\x80\x80", false},
    };
    Cc__Event ev = CC__EVENT__INIT;
    struct clog_row row;
    const char *why = NULL;
    (void)state;

    ev.id = ID1;
    ev.ts_ms = 1;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int field = 0; field < 4; field++) {
            ev.type = "x.y";
            ev.source = ev.instance = ev.staff_id = NULL;
            const char **f[] = {(const char **)&ev.type, (const char **)&ev.source,
                                (const char **)&ev.instance, (const char **)&ev.staff_id};
            *f[field] = cases[i].text;
            if (clog_row_from_event(&row, &ev, &why) != cases[i].ok)
                fail_msg("case %zu, field %d: expected %s", i, field,
                         cases[i].ok ? "stored" : "refused");
            if (!cases[i].ok)
                assert_string_equal(why, "event has text that is not UTF-8");
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enquiry_event),
        cmocka_unit_test(test_leg_and_presence_events),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
