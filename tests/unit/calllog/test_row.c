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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enquiry_event),
        cmocka_unit_test(test_leg_and_presence_events),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
