/* ingress: which queue notifications reach the workers (notes.c,
 * notes_item): offered / withdrawn about a call enquiry to one staff
 * member; never a withdrawal by answer, a chat, or a note without its
 * staff member or enquiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "enquiry.pb-c.h"
#include "notes.h"

static Cc__Enquiry enq;
static Cc__Event ev;

static void make(const char *type, const char *staff, const char *reason, const char *id,
                 Cc__EnquiryKind kind)
{
    cc__enquiry__init(&enq);
    cc__event__init(&ev);
    enq.id = (char *)id;
    enq.kind = kind;
    ev.type = (char *)type;
    ev.staff_id = (char *)staff;
    ev.reason = (char *)reason;
    ev.body_case = CC__EVENT__BODY_ENQUIRY;
    ev.enquiry = &enq;
}

static void test_taken(void **state)
{
    struct sip_req *r;

    (void)state;
    make("enquiry.offered", "bob", "staff_available", "e1", CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL);
    r = notes_item(&ev);
    assert_non_null(r);
    assert_int_equal(r->kind, SIP_REQ_NOTE_OFFERED);
    assert_string_equal(r->call_id, "e1");
    assert_string_equal(r->to_user, "bob");
    assert_int_equal(r->txn, 0);
    sip_req_free(r);
    make("enquiry.withdrawn", "bob", "staff_unavailable", "e1",
         CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL);
    r = notes_item(&ev);
    assert_non_null(r);
    assert_int_equal(r->kind, SIP_REQ_NOTE_WITHDRAWN);
    sip_req_free(r);
    make("enquiry.withdrawn", "bob", NULL, "e1", CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL);
    r = notes_item(&ev); /* no reason: still a withdrawal */
    assert_non_null(r);
    sip_req_free(r);
}

static void test_ignored(void **state)
{
    const Cc__EnquiryKind call = CC__ENQUIRY_KIND__ENQUIRY_KIND_CALL;

    (void)state;
    make("enquiry.withdrawn", "bob", "answered_by_other", "e1", call);
    assert_null(notes_item(&ev)); /* the answered fact cancels the rings */
    make("enquiry.offered", "bob", "", "e1", CC__ENQUIRY_KIND__ENQUIRY_KIND_CHAT);
    assert_null(notes_item(&ev));
    make("enquiry.offered", "", "", "e1", call);
    assert_null(notes_item(&ev));
    make("enquiry.offered", NULL, "", "e1", call);
    assert_null(notes_item(&ev));
    make("enquiry.offered", "bob", "", "", call);
    assert_null(notes_item(&ev));
    make("enquiry.offered", "bob", "", NULL, call);
    assert_null(notes_item(&ev));
    make("enquiry.answered", "bob", "", "e1", call);
    assert_null(notes_item(&ev));
    make(NULL, "bob", "", "e1", call);
    assert_null(notes_item(&ev));
    make("enquiry.offered", "bob", "", "e1", call);
    ev.enquiry = NULL;
    assert_null(notes_item(&ev));
    make("enquiry.offered", "bob", "", "e1", call);
    ev.body_case = CC__EVENT__BODY__NOT_SET;
    assert_null(notes_item(&ev));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_taken),
        cmocka_unit_test(test_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
