/* gw_push_derive: the pushes each fact or notification causes (table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "push.h"

/* The pushes of ev as "s:<to>:<type>:<reason>" / "v:<to>:<type>:<reason>", joined by ' ';
 * a panel push (push.h) ends in '*'. */
static void derive(const Cc__Event *ev, char *out, size_t len)
{
    struct gw_push p[16];
    size_t n;

    assert_true(gw_push_max(ev) <= 16);
    n = gw_push_derive(ev, p);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char one[128];
        snprintf(one, sizeof(one), "%s%s:%s:%s:%s%s", i ? " " : "", p[i].staff ? "s" : "v",
                 p[i].to, p[i].type, p[i].reason, p[i].panel ? "*" : "");
        strncat(out, one, len - strlen(out) - 1);
    }
}

static void test_table(void **state)
{
    static char *ab[] = {"a", "b"}, *c[] = {"c"}, *s[] = {"s"};
    static const struct {
        const char *type, *staff, *reason;
        char **offered;
        size_t n_offered;
        char **withdrawn;
        size_t n_withdrawn;
        const char *want;
    } cases[] = {
        {"enquiry.created", "", "", ab, 2, NULL, 0, "s:a:enquiry.offered:* s:b:enquiry.offered:*"},
        {"enquiry.blocked", "", "no_staff_available", NULL, 0, NULL, 0,
         "v:e1:enquiry.blocked:no_staff_available"},
        {"enquiry.answered", "a", "", NULL, 0, c, 1,
         "s:a:enquiry.answered: v:e1:enquiry.answered: s:c:enquiry.withdrawn:answered_by_other*"},
        {"enquiry.missed", "", "max_wait", NULL, 0, ab, 2,
         "v:e1:enquiry.missed:max_wait s:a:enquiry.missed:max_wait* s:b:enquiry.missed:max_wait*"},
        {"enquiry.cancelled", "", "caller_hung_up", NULL, 0, c, 1,
         "v:e1:enquiry.cancelled:caller_hung_up s:c:enquiry.withdrawn:caller_hung_up*"},
        {"enquiry.ended", "a", "staff_ended", NULL, 0, NULL, 0,
         "s:a:enquiry.ended:staff_ended v:e1:enquiry.ended:staff_ended"},
        {"enquiry.transfer", "s", "blind", ab, 2, NULL, 0,
         "s:s:enquiry.transfer:blind v:e1:enquiry.transfer:blind s:a:enquiry.offered:transfer* "
         "s:b:enquiry.offered:transfer*"},
        {"enquiry.transfer_returned", "s", "not_answered", s, 1, c, 1,
         "s:s:enquiry.transfer_returned:not_answered v:e1:enquiry.transfer_returned:not_answered "
         "s:s:enquiry.offered:transfer_returned* s:c:enquiry.withdrawn:transfer_not_answered*"},
        {"enquiry.transfer_returned", "s", "cancelled", NULL, 0, c, 1,
         "s:s:enquiry.transfer_returned:cancelled v:e1:enquiry.transfer_returned:cancelled "
         "s:c:enquiry.withdrawn:transfer_cancelled*"},
        /* notifications: to the one staff member named, never to the visitor */
        {"enquiry.offered", "a", "staff_available", NULL, 0, NULL, 0,
         "s:a:enquiry.offered:staff_available*"},
        {"enquiry.withdrawn", "a", "staff_unavailable", NULL, 0, NULL, 0,
         "s:a:enquiry.withdrawn:staff_unavailable*"},
        {"enquiry.closed", "a", "", NULL, 0, NULL, 0, "s:a:enquiry.closed:"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Cc__Enquiry e = CC__ENQUIRY__INIT;
        Cc__Event ev = CC__EVENT__INIT;
        char got[1024];
        e.id = "e1";
        ev.type = (char *)cases[i].type;
        ev.staff_id = (char *)cases[i].staff;
        ev.reason = (char *)cases[i].reason;
        ev.body_case = CC__EVENT__BODY_ENQUIRY;
        ev.enquiry = &e;
        ev.offered_to = cases[i].offered;
        ev.n_offered_to = cases[i].n_offered;
        ev.withdrawn_from = cases[i].withdrawn;
        ev.n_withdrawn_from = cases[i].n_withdrawn;
        derive(&ev, got, sizeof(got));
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].type, got, cases[i].want);
    }
}

static void test_presence(void **state)
{
    Cc__Event ev = CC__EVENT__INIT;
    char got[256];
    (void)state;
    ev.type = "presence.changed";
    ev.staff_id = "bob";
    ev.reason = "status";
    derive(&ev, got, sizeof(got));
    assert_string_equal(got, "s:bob:presence.changed:status");
    ev.type = NULL;
    derive(&ev, got, sizeof(got));
    assert_string_equal(got, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_presence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
