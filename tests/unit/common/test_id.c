/* cc_id (UUIDv7) and cc_status names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cc_id.h"
#include "cc_status.h"

static void test_format(void **state)
{
    char id[CC_ID_LEN];
    (void)state;
    cc_id_new_at(id, 0x0123456789abLL);
    assert_int_equal(strlen(id), 36);
    assert_true(cc_id_valid(id, 36));
    assert_memory_equal(id, "01234567-89ab-7", 15); /* time prefix, version 7 */
    assert_non_null(strchr("89ab", id[19]));        /* RFC 9562 variant */
}

static int cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_time_order_and_uniqueness(void **state)
{
    enum { N = 10000 };
    char(*ids)[CC_ID_LEN] = malloc(sizeof(*ids) * N);
    char early[CC_ID_LEN], late[CC_ID_LEN];
    (void)state;

    cc_id_new_at(early, 1700000000000LL);
    cc_id_new_at(late, 1700000000001LL);
    assert_true(strcmp(early, late) < 0);

    for (int i = 0; i < N; i++)
        cc_id_new(ids[i]);
    qsort(ids, N, sizeof(*ids), cmp);
    for (int i = 1; i < N; i++)
        assert_true(strcmp(ids[i - 1], ids[i]) != 0);
    free(ids);
}

static void test_valid(void **state)
{
    (void)state;
    assert_true(cc_id_valid("01234567-89ab-7def-8123-456789abcdef", 36));
    assert_false(cc_id_valid("01234567-89ab-7def-8123-456789abcde", 35));
    assert_false(cc_id_valid("01234567-89AB-7def-8123-456789abcdef", 36)); /* uppercase */
    assert_false(cc_id_valid("01234567x89ab-7def-8123-456789abcdef", 36));
    assert_false(cc_id_valid("0123456g-89ab-7def-8123-456789abcdef", 36));
    assert_false(cc_id_valid(NULL, 36));
    assert_false(cc_id_valid("", 0));
}

static void test_status_names(void **state)
{
    (void)state;
    for (int i = 0; i < CC_STATUS_COUNT; i++) {
        const char *a = cc_status_str((cc_status)i);
        assert_non_null(a);
        assert_true(strncmp(a, "CC_", 3) == 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(a, cc_status_str((cc_status)j));
    }
    assert_string_equal(cc_status_str(CC_STATUS_COUNT), "CC_ERR_UNKNOWN");
    assert_string_equal(cc_status_str((cc_status)-1), "CC_ERR_UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_time_order_and_uniqueness),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
