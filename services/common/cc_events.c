/* cc_events: stream setup and event publishing. */
#include "cc_events.h"
#include "cc_id.h"
#include "cc_log.h"
#include "cc_time.h"

#include <stdio.h>
#include <string.h>

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

cc_status cc_events_publish(struct cc_bus *bus, const struct cc_config *cfg, Cc__Event *ev,
                            char id_buf[37])
{
    char subject[128];

    if (ev->type == NULL || ev->type[0] == '\0' || strchr(ev->type, '.') == NULL)
        return CC_ERR_INVALID;
    if (ev->id == NULL || ev->id[0] == '\0') {
        cc_id_new(id_buf);
        ev->id = id_buf;
    }
    if (ev->ts_ms == 0)
        ev->ts_ms = cc_wall_ms();
    ev->source = (char *)cfg->service;
    ev->instance = (char *)cfg->instance;
    if ((size_t)snprintf(subject, sizeof(subject), "cc.evt.%s", ev->type) >= sizeof(subject))
        return CC_ERR_INVALID;
    return cc_bus_js_publish_async(bus, subject, &ev->base, ev->id);
}
