/* cc_log_format: every line is one valid JSON object, whatever the input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "cc_log.h"

static json_t *parse_line(const char *line, size_t n)
{
    json_error_t e;
    json_t *j;
    assert_true(n >= 2);
    assert_int_equal(line[n - 1], '\n');
    assert_int_equal(line[n - 2], '}');
    assert_int_equal(strlen(line), n);
    j = json_loadb(line, n - 1, 0, &e);
    if (j == NULL)
        fail_msg("not JSON (%s): %s", e.text, line);
    return j;
}

static void test_fields(void **state)
{
    char buf[512];
    const char *kv[] = {"enquiry_id", "e-1", "subject", "cc.queue.ping", NULL};
    size_t n;
    json_t *j;
    (void)state;

    cc_log_setup("queue", "queue-1", CC_LOG_INFO);
    n = cc_log_format(buf, sizeof(buf), 1764039845678LL, CC_LOG_WARN, "dropped", kv);
    j = parse_line(buf, n);
    assert_string_equal(json_string_value(json_object_get(j, "ts")), "2025-11-25T03:04:05.678Z");
    assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(j, "service")), "queue");
    assert_string_equal(json_string_value(json_object_get(j, "instance")), "queue-1");
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "dropped");
    assert_string_equal(json_string_value(json_object_get(j, "enquiry_id")), "e-1");
    assert_string_equal(json_string_value(json_object_get(j, "subject")), "cc.queue.ping");
    json_decref(j);
}

static void test_escaping(void **state)
{
    char buf[512];
    const char *nasty = "quote\" backslash\\ newline\n tab\t cr\r bell\x07 del\x7f end";
    const char *kv[] = {"k\"ey", nasty, NULL};
    size_t n;
    json_t *j;
    (void)state;

    n = cc_log_format(buf, sizeof(buf), 0, CC_LOG_ERROR, nasty, kv);
    assert_null(memchr(buf, '\n', n - 1)); /* the only newline ends the line */
    j = parse_line(buf, n);
    assert_string_equal(json_string_value(json_object_get(j, "msg")), nasty);
    assert_string_equal(json_string_value(json_object_get(j, "k\"ey")), nasty);
    json_decref(j);
}

static void test_long_message_is_cut_but_valid(void **state)
{
    static char msg[10000];
    char buf[300];
    const char *kv[] = {"a", "b", NULL};
    size_t n;
    json_t *j;
    (void)state;

    memset(msg, '"', sizeof(msg) - 1); /* worst case: every byte escapes to two */
    n = cc_log_format(buf, sizeof(buf), 0, CC_LOG_INFO, msg, kv);
    assert_true(n < sizeof(buf));
    j = parse_line(buf, n);
    assert_non_null(json_object_get(j, "level"));
    json_decref(j);
}

static void test_odd_kv_and_tiny_buffer(void **state)
{
    char buf[256], tiny[8];
    const char *kv[] = {"lonely", NULL};
    size_t n;
    json_t *j;
    (void)state;

    n = cc_log_format(buf, sizeof(buf), 0, CC_LOG_INFO, "m", kv);
    j = parse_line(buf, n);
    assert_null(json_object_get(j, "lonely"));
    json_decref(j);
    assert_int_equal(cc_log_format(tiny, sizeof(tiny), 0, CC_LOG_INFO, "m", NULL), 0);
    assert_string_equal(tiny, "");
}

static void test_levels(void **state)
{
    enum cc_log_level l;
    (void)state;
    assert_true(cc_log_level_parse("debug", 5, &l) && l == CC_LOG_DEBUG);
    assert_true(cc_log_level_parse("error", 5, &l) && l == CC_LOG_ERROR);
    assert_true(cc_log_level_parse("warnx", 4, &l) && l == CC_LOG_WARN); /* length-bounded */
    assert_false(cc_log_level_parse("WARN", 4, &l));
    assert_false(cc_log_level_parse("", 0, &l));
    cc_log_setup("x", "x-1", CC_LOG_WARN);
    assert_false(cc_log_enabled(CC_LOG_INFO));
    assert_true(cc_log_enabled(CC_LOG_ERROR));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_long_message_is_cut_but_valid),
        cmocka_unit_test(test_odd_kv_and_tiny_buffer),
        cmocka_unit_test(test_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
