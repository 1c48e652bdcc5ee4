/* cc_events: the event stream and its limits. */
#include "cc_events.h"
#include "cc_log.h"

#include <stdio.h>

cc_status cc_events_ensure(struct cc_bus *bus, const struct cc_config *cfg, char *err,
                           size_t errlen)
{
    const char *subjects[] = {CC_EVENTS_SUBJECTS};
    const struct cc_bus_stream_limits lim = {
        .max_age_ms = CC_EVENTS_MAX_AGE_MS,
        .max_bytes = cfg->events_max_bytes,
        .discard_new = true,
    };
    int64_t held = 0;
    cc_status st =
        cc_bus_stream_ensure(bus, CC_EVENTS_STREAM, subjects, 1, &lim, &held, err, errlen);

    if (st == CC_OK && held != lim.max_bytes) {
        char want[24], now[24];
        snprintf(want, sizeof(want), "%lld", (long long)lim.max_bytes);
        snprintf(now, sizeof(now), "%lld", (long long)held);
        cc_log(CC_LOG_WARN,
               "CC_EVENTS_MAX_BYTES not applied: the event stream holds more, and shrinking it "
               "would delete its oldest events",
               "requested", want, "kept", now, NULL);
    }
    return st;
}
