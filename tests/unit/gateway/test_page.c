/* gw_page_parse: ?limit= and ?before= of GET /api/v1/pending (table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "page.h"

#define ID "019abf00-0000-7000-8000-000000000001"

static void test_table(void **state)
{
    static const struct {
        const char *limit, *before;
        bool ok;
        int want_limit;
        const char *field;
    } cases[] = {
        {NULL, NULL, true, GW_PAGE_DEFAULT, NULL},
        {"1", NULL, true, 1, NULL},
        {"200", ID, true, 200, NULL},
        {NULL, ID, true, GW_PAGE_DEFAULT, NULL},
        {"0", NULL, false, 0, "limit"},
        {"201", NULL, false, 0, "limit"},
        {"-1", NULL, false, 0, "limit"},
        {"", NULL, false, 0, "limit"},
        {"10x", NULL, false, 0, "limit"},
        {" 10", NULL, false, 0, "limit"},
        {"99999999999999999999999", NULL, false, 0, "limit"},
        {NULL, "", false, 0, "before"},
        {NULL, "E1", false, 0, "before"},
        {NULL, "019ABF00-0000-7000-8000-000000000001", false, 0, "before"},
        {NULL, ID "0", false, 0, "before"},
        {NULL, "019abf00-0000-7000-8000-00000000000", false, 0, "before"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct gw_page p;
        const char *field = NULL;
        bool ok = gw_page_parse(cases[i].limit, cases[i].before, &p, &field);
        if (ok != cases[i].ok)
            fail_msg("limit=%s before=%s: ok %d", cases[i].limit ? cases[i].limit : "(none)",
                     cases[i].before ? cases[i].before : "(none)", ok);
        if (ok) {
            assert_int_equal(p.limit, cases[i].want_limit);
            assert_string_equal(p.before, cases[i].before != NULL ? cases[i].before : "");
        } else {
            assert_string_equal(field, cases[i].field);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
