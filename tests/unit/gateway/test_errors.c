/* errors: the one table from a service's Error.code to HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cc_log.h"
#include "errors.h"

static void test_table(void **state)
{
    static const struct {
        int code;
        int status;
        const char *api;
    } cases[] = {
        {CC_ERR_INVALID, 400, "invalid"},
        {CC_ERR_DENIED, 403, "forbidden"},
        {CC_ERR_NOT_FOUND, 404, "not_found"},
        {CC_ERR_CONFLICT, 409, "conflict"},
        {CC_ERR_LIMIT, 429, "limit"},
        {CC_ERR_RATE_LIMITED, 429, "rate_limited"},
        {CC_ERR_MISMATCH, 422, "idempotency_key_reused"},
        {CC_ERR_UNAVAILABLE, 503, "unavailable"},
        {CC_ERR_TIMEOUT, 503, "unavailable"},
        {CC_ERR_REDIS, 503, "unavailable"},
        {CC_ERR_NATS, 503, "unavailable"},
        {CC_ERR_PG, 503, "unavailable"},
        {CC_ERR_NOMEM, 503, "unavailable"},
        {CC_ERR_PROTO, 503, "unavailable"},
        {CC_OK, 503, "unavailable"}, /* asked of no error: never a 2xx */
        {CC_STATUS_COUNT, 503, "unavailable"}, /* a code of a newer peer */
        {-1, 503, "unavailable"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *api = NULL;
        int status = gw_error_status((cc_status)cases[i].code, &api);
        if (status != cases[i].status || api == NULL || strcmp(api, cases[i].api) != 0)
            fail_msg("%d: got %d %s, expected %d %s", cases[i].code, status, api ? api : "(null)",
                     cases[i].status, cases[i].api);
    }
}

/* The reply: a 4xx carries the service's message and field, a 503 neither. */
static void test_reply(void **state)
{
    Cc__Error e = CC__ERROR__INIT;
    struct gw_reply r = {.fd = -1};
    json_t *j;
    (void)state;

    assert_false(gw_error_reply(&r, NULL, "queue"));
    assert_false(gw_error_reply(&r, &e, "queue")); /* ERROR_NONE: no error */
    assert_null(r.body);

    e.code = CC__ERROR_CODE__ERR_CONFLICT;
    e.message = "answered by another staff member";
    e.field = "id";
    assert_true(gw_error_reply(&r, &e, "queue"));
    assert_int_equal(r.status, 409);
    j = json_loadb(r.body, r.len, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                        "conflict");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                        "answered by another staff member");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "field")),
                        "id");
    json_decref(j);

    e.code = CC__ERROR_CODE__ERR_REDIS;
    e.message = "redis at 10.0.0.7:6379 refused";
    assert_true(gw_error_reply(&r, &e, "queue"));
    assert_int_equal(r.status, 503);
    assert_null(strstr(r.body, "10.0.0.7"));
    assert_non_null(strstr(r.body, "queue is not available"));
    assert_null(strstr(r.body, "field"));
    free(r.body);
    r.body = NULL;

    e.code = (Cc__ErrorCode)99; /* a code this build does not know: retry later */
    assert_true(gw_error_reply(&r, &e, "queue"));
    assert_int_equal(r.status, 503);
    free(r.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_reply),
    };
    cc_log_setup("test", "test-1", CC_LOG_ERROR); /* keep the 503's warning out of the output */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
