/* gw_panel: one console's panel pushes, one by one or coalesced (a script
 * of steps over time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "panel.h"

#define W 500 /* the window, ms */

static void test_ordinary_traffic_goes_one_by_one(void **state)
{
    struct gw_panel p = {0};
    (void)state;
    /* 12 changes a second for 10 s (a busy group): never coalesced */
    for (int64_t t = 1000; t < 11000; t += 83) {
        assert_true(gw_panel_push(&p, t, W));
        assert_false(gw_panel_due(&p, t, W));
    }
    assert_int_equal(p.state, GW_PANEL_LIVE);
}

static void test_a_burst_becomes_snapshots(void **state)
{
    struct gw_panel p = {0};
    int one_by_one = 0, snapshots = 0;
    (void)state;
    /* 600 changes in 1.5 s; the hub checks every 100 ms; a snapshot takes 30 ms to read */
    for (int64_t t = 10000; t < 13000; t++) {
        if (t < 11500 && t % 5 == 0 && gw_panel_push(&p, t, W))
            one_by_one++;
        if (t % 100 == 0 && gw_panel_due(&p, t, W))
            snapshots++;
        if (p.state == GW_PANEL_FETCHING && t == p.fetch_ms + 30)
            assert_true(gw_panel_fetched(&p, true, t));
    }
    assert_int_equal(one_by_one, GW_PANEL_BURST);
    assert_true(snapshots >= 2 && snapshots <= 4); /* one per window at most, and a last one */
    assert_int_equal(p.state, GW_PANEL_LIVE);      /* the last snapshot came after the last change */
    assert_true(gw_panel_push(&p, 13000, W));      /* and changes go one by one again */
}

static void test_snapshot_waits_for_the_window(void **state)
{
    struct gw_panel p = {0};
    (void)state;
    for (int i = 0; i < GW_PANEL_BURST; i++)
        assert_true(gw_panel_push(&p, 1000, W));
    assert_false(gw_panel_push(&p, 1001, W));
    assert_int_equal(p.state, GW_PANEL_DIRTY);
    assert_false(gw_panel_due(&p, 1400, W)); /* the burst's window is still open */
    assert_true(gw_panel_due(&p, 1500, W));
    assert_int_equal(p.state, GW_PANEL_FETCHING);
    assert_false(gw_panel_due(&p, 1600, W)); /* one at a time */
}

static void test_a_change_while_reading_asks_for_another(void **state)
{
    struct gw_panel p = {0};
    (void)state;
    for (int i = 0; i <= GW_PANEL_BURST; i++)
        gw_panel_push(&p, 0, W);
    assert_true(gw_panel_due(&p, W, W));
    assert_false(gw_panel_push(&p, W + 10, W)); /* dropped: the snapshot may predate it */
    assert_true(gw_panel_fetched(&p, true, W + 20));
    assert_int_equal(p.state, GW_PANEL_DIRTY);
    assert_false(gw_panel_push(&p, W + 30, W));
    assert_false(gw_panel_due(&p, W + 400, W)); /* a window after the last one */
    assert_true(gw_panel_due(&p, 2 * W + 20, W));
    assert_true(gw_panel_fetched(&p, true, 2 * W + 40));
    assert_int_equal(p.state, GW_PANEL_LIVE);
}

static void test_a_failed_read_is_retried(void **state)
{
    struct gw_panel p = {0};
    (void)state;
    for (int i = 0; i <= GW_PANEL_BURST; i++)
        gw_panel_push(&p, 0, W);
    assert_true(gw_panel_due(&p, W, W));
    assert_false(gw_panel_fetched(&p, false, W + 5)); /* nothing to send */
    assert_int_equal(p.state, GW_PANEL_DIRTY);
    assert_false(gw_panel_due(&p, W + 100, W));
    assert_true(gw_panel_due(&p, 2 * W, W));
}

static void test_a_snapshot_nobody_waits_for(void **state)
{
    struct gw_panel p = {0};
    (void)state;
    assert_false(gw_panel_fetched(&p, true, 100)); /* a socket opened after the read began */
    assert_int_equal(p.state, GW_PANEL_LIVE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordinary_traffic_goes_one_by_one),
        cmocka_unit_test(test_a_burst_becomes_snapshots),
        cmocka_unit_test(test_snapshot_waits_for_the_window),
        cmocka_unit_test(test_a_change_while_reading_asks_for_another),
        cmocka_unit_test(test_a_failed_read_is_retried),
        cmocka_unit_test(test_a_snapshot_nobody_waits_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
