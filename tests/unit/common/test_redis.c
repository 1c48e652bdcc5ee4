/* cc_redis_reply_status: which replies are answers, which mean "try again"
 * and which are other errors (table-driven; no server needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "cc_redis.h"

struct reply_case {
    int type;
    const char *str; /* error text for REDIS_REPLY_ERROR */
    cc_status want;
};

static const struct reply_case cases[] = {
    /* answers, including "nothing there" */
    {REDIS_REPLY_NIL, NULL, CC_OK},
    {REDIS_REPLY_ARRAY, NULL, CC_OK}, /* an empty HGETALL */
    {REDIS_REPLY_INTEGER, NULL, CC_OK},
    {REDIS_REPLY_STRING, "LOADING", CC_OK}, /* a value that looks like an error code */
    {REDIS_REPLY_STATUS, "OK", CC_OK},
    /* the server cannot serve now: the same call later may work */
    {REDIS_REPLY_ERROR, "LOADING Redis is loading the dataset in memory", CC_ERR_UNAVAILABLE},
    {REDIS_REPLY_ERROR,
     "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
     CC_ERR_UNAVAILABLE},
    {REDIS_REPLY_ERROR,
     "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
     CC_ERR_UNAVAILABLE},
    {REDIS_REPLY_ERROR, "TRYAGAIN Multiple keys request during rehashing of slot",
     CC_ERR_UNAVAILABLE},
    {REDIS_REPLY_ERROR, "READONLY You can't write against a read only replica.",
     CC_ERR_UNAVAILABLE},
    {REDIS_REPLY_ERROR, "CLUSTERDOWN The cluster is down", CC_ERR_UNAVAILABLE},
    {REDIS_REPLY_ERROR, "LOADING", CC_ERR_UNAVAILABLE}, /* the code alone */
    {REDIS_REPLY_ERROR, "ERR max number of clients reached", CC_ERR_UNAVAILABLE},
    /* other errors: the command or the data is wrong */
    {REDIS_REPLY_ERROR, "ERR unknown command 'FOO'", CC_ERR_REDIS},
    {REDIS_REPLY_ERROR, "WRONGTYPE Operation against a key holding the wrong kind of value",
     CC_ERR_REDIS},
    {REDIS_REPLY_ERROR, "NOSCRIPT No matching script. Please use EVAL.", CC_ERR_REDIS},
    {REDIS_REPLY_ERROR, "NOAUTH Authentication required.", CC_ERR_REDIS},
    {REDIS_REPLY_ERROR, "OOM command not allowed when used memory > 'maxmemory'.", CC_ERR_REDIS},
    {REDIS_REPLY_ERROR, "ERR Error running script (call to f_0123): @user_script:1: oops",
     CC_ERR_REDIS},
    /* whole words only: these begin like a transient code but are not one */
    {REDIS_REPLY_ERROR, "BUSYKEY Target key name already exists.", CC_ERR_REDIS},
    {REDIS_REPLY_ERROR, "BUSYGROUP Consumer Group name already exists", CC_ERR_REDIS},
    {REDIS_REPLY_ERROR, "LOADINGX", CC_ERR_REDIS},
    {REDIS_REPLY_ERROR, "ERR LOADING", CC_ERR_REDIS},
    {REDIS_REPLY_ERROR, "loading lower case", CC_ERR_REDIS},
    {REDIS_REPLY_ERROR, "", CC_ERR_REDIS},
};

static void test_reply_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        redisReply r;
        cc_status got;
        memset(&r, 0, sizeof(r));
        r.type = cases[i].type;
        r.str = (char *)cases[i].str;
        r.len = cases[i].str != NULL ? strlen(cases[i].str) : 0;
        got = cc_redis_reply_status(&r);
        if (got != cases[i].want)
            fail_msg("case %zu (type %d, \"%s\"): got %s, want %s", i, cases[i].type,
                     cases[i].str != NULL ? cases[i].str : "", cc_status_str(got),
                     cc_status_str(cases[i].want));
    }
}

static void test_no_reply_is_unavailable(void **state)
{
    (void)state;
    assert_int_equal(cc_redis_reply_status(NULL), CC_ERR_UNAVAILABLE);
}

/* Only the error's own length counts: a code followed by the end of the
 * reply (len) is the code even when the buffer goes on. */
static void test_length_bounds_the_code(void **state)
{
    char buf[] = "BUSYKEY";
    redisReply r;
    (void)state;
    memset(&r, 0, sizeof(r));
    r.type = REDIS_REPLY_ERROR;
    r.str = buf;
    r.len = 4; /* "BUSY" */
    assert_int_equal(cc_redis_reply_status(&r), CC_ERR_UNAVAILABLE);
    r.len = 3; /* "BUS" */
    assert_int_equal(cc_redis_reply_status(&r), CC_ERR_REDIS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_table),
        cmocka_unit_test(test_no_reply_is_unavailable),
        cmocka_unit_test(test_length_bounds_the_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
