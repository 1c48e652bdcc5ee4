/* gw_visitor_view: what a visitor is shown, by allowlist (table), and
 * gw_audit_limit: the ?limit= of GET /api/v1/audit (table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "visitor.h"

/* The view of the JSON text in, as compact JSON with sorted keys. */
static char *view_of(const char *in)
{
    json_error_t je;
    json_t *j = json_loads(in, JSON_DECODE_ANY, &je), *v;
    char *text;

    assert_non_null(j);
    v = gw_visitor_view(j);
    json_decref(j);
    if (v == NULL)
        return NULL;
    text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    return text;
}

static void expect_view(const char *in, const char *want)
{
    char *got = view_of(in);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* A whole enquiry as the gateway renders it (every field of cc.Enquiry). */
#define ENQUIRY                                                                                    \
    "{\"id\":\"e1\",\"kind\":\"chat\",\"mode\":\"broadcast\",\"state\":\"active\","                \
    "\"channel_id\":\"web\",\"group_id\":\"sales\",\"staff_id\":\"\",\"caller\":\"Ann\","          \
    "\"created_at_ms\":1,\"deadline_ms\":2,\"answered_by\":\"bob\",\"answered_at_ms\":3,"          \
    "\"ended_at_ms\":0,\"end_reason\":\"\",\"room_id\":\"e1\",\"transfers\":[{\"from_staff_id\":"  \
    "\"bob\",\"to_group_id\":\"support\",\"outcome\":\"pending\"}],\"closed_at_ms\":0}"
#define ENQUIRY_VIEW                                                                               \
    "{\"answered_at_ms\":3,\"caller\":\"Ann\",\"channel_id\":\"web\",\"created_at_ms\":1,"         \
    "\"deadline_ms\":2,\"end_reason\":\"\",\"ended_at_ms\":0,\"id\":\"e1\",\"kind\":\"chat\","     \
    "\"mode\":\"broadcast\",\"room_id\":\"e1\",\"state\":\"active\"}"

static void test_views(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        /* GET /enquiries/{id}: no custom info, channel name, offered_to */
        {"{\"enquiry\":" ENQUIRY ",\"custom_info\":{\"brand\":\"Acme\"},\"channel_name\":\"Web\","
         "\"offered_to\":[\"bob\"],\"error\":null}",
         "{\"enquiry\":" ENQUIRY_VIEW "}"},
        /* POST /enquiries */
        {"{\"enquiry\":" ENQUIRY ",\"visitor_token\":\"v-1\"}",
         "{\"enquiry\":" ENQUIRY_VIEW ",\"visitor_token\":\"v-1\"}"},
        /* a push: no staff_id */
        {"{\"type\":\"enquiry.answered\",\"staff_id\":\"bob\",\"reason\":\"\",\"ts_ms\":9,"
         "\"enquiry\":" ENQUIRY "}",
         "{\"enquiry\":" ENQUIRY_VIEW
         ",\"reason\":\"\",\"ts_ms\":9,\"type\":\"enquiry.answered\"}"},
        /* a message: the author is "staff", never who */
        {"{\"type\":\"enquiry.message\",\"staff_id\":\"bob\",\"message\":{\"id\":\"m\","
         "\"enquiry_id\":\"e1\",\"author\":\"staff:bob\",\"text\":\"hi\",\"ts_ms\":5}}",
         "{\"message\":{\"author\":\"staff\",\"enquiry_id\":\"e1\",\"id\":\"m\",\"text\":\"hi\","
         "\"ts_ms\":5},\"type\":\"enquiry.message\"}"},
        {"{\"messages\":[{\"author\":\"visitor\",\"text\":\"a\"},{\"author\":\"staff:c\","
         "\"text\":\"b\",\"x\":1},7,{\"author\":7}],\"error\":null}",
         "{\"messages\":[{\"author\":\"visitor\",\"text\":\"a\"},{\"author\":\"staff\","
         "\"text\":\"b\"},{}]}"},
        /* resync */
        {"{\"type\":\"enquiry.resync\",\"enquiry\":" ENQUIRY "}",
         "{\"enquiry\":" ENQUIRY_VIEW ",\"type\":\"enquiry.resync\"}"},
        /* a listed key of the wrong type is left out; so is anything unknown */
        {"{\"enquiry\":{\"id\":1,\"state\":[\"x\"],\"caller\":{\"a\":1},\"kind\":\"call\"},"
         "\"ts_ms\":\"1\",\"reason\":null,\"message\":\"m\",\"presence\":{}}",
         "{\"enquiry\":{\"kind\":\"call\"}}"},
        {"{}", "{}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_view(cases[i].in, cases[i].want);
    /* not an object: no view */
    assert_null(view_of("[{\"enquiry\":{}}]"));
    assert_null(view_of("\"x\""));
}

static void test_limit(void **state)
{
    static const struct {
        const char *s;
        size_t len;
        bool ok;
        int want;
    } cases[] = {
        {"1", 1, true, 1},      {"1000", 4, true, 1000}, {"0100", 4, true, 100},
        {"50x", 2, true, 50}, /* only len bytes are read */
        {"0", 1, false, 0},     {"1001", 4, false, 0},   {"", 0, false, 0},
        {"10000", 5, false, 0}, {"-1", 2, false, 0},     {"1e2", 3, false, 0},
        {" 1", 2, false, 0},    {"1.5", 3, false, 0},
    };
    int limit;

    assert_true(gw_audit_limit(NULL, 0, &limit));
    assert_int_equal(limit, GW_AUDIT_LIMIT_DEFAULT);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        limit = -1;
        assert_int_equal(gw_audit_limit(cases[i].s, cases[i].len, &limit), cases[i].ok);
        if (cases[i].ok)
            assert_int_equal(limit, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
