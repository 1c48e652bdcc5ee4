/* gw_static_path_ok: what may be appended to the web root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "static.h"

static void test_paths(void **state)
{
    static const struct {
        const char *path;
        bool ok;
    } cases[] = {
        {"/", true},
        {"/index.html", true},
        {"/console/app.js", true},
        {"/a/b/c.d.e", true},
        {"", false},
        {"index.html", false},
        {"/../etc/passwd", false},
        {"/a/../../x", false},
        {"/..", false},
        {"/.git/config", false},
        {"/a/.env", false},
        {"//etc/passwd", false},
        {"/a\\..\\b", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (gw_static_path_ok(cases[i].path) != cases[i].ok)
            fail_msg("%s: expected %s", cases[i].path, cases[i].ok ? "ok" : "refused");
    }
}

static void test_overlong(void **state)
{
    char p[1024];
    (void)state;
    p[0] = '/';
    memset(p + 1, 'a', sizeof(p) - 2);
    p[sizeof(p) - 1] = '\0';
    assert_false(gw_static_path_ok(p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_overlong),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
