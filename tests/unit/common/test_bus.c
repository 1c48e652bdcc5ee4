/* cc_bus_js_full: which refused JetStream publishes mean "the stream is full". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cc_bus.h"

struct full_case {
    jsErrCode code;
    const char *text;
    bool full;
};

static void test_js_full(void **state)
{
    /* the texts are nats-server's (2.9), as they arrive in a PubAck's error */
    static const struct full_case cases[] = {
        {JSStreamStoreFailedErr, "maximum bytes exceeded", true},
        {JSStreamStoreFailedErr, "maximum messages exceeded", true},
        {JSStreamStoreFailedErr, "maximum messages per subject exceeded", true},
        {JSStorageResourcesExceededErr, "insufficient storage resources available", true},
        {JSStorageResourcesExceededErr, NULL, true},
        {JSStreamStoreFailedErr, "store closed", false}, /* a broken store, not a full one */
        {JSStreamStoreFailedErr, NULL, false},
        {JSStreamNotFoundErr, "stream not found", false},
        {JSStreamMessageExceedsMaximumErr, "message size exceeds maximum allowed", false},
        {0, "timeout", false},
        {0, NULL, false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (cc_bus_js_full(cases[i].code, cases[i].text) != cases[i].full)
            fail_msg("code %d, \"%s\": expected %s", (int)cases[i].code,
                     cases[i].text != NULL ? cases[i].text : "(null)",
                     cases[i].full ? "full" : "not full");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_js_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
