/*
 * cc_events: the JetStream stream of call, enquiry and staff events.
 *
 * Stream CC_EVENTS holds subjects cc.evt.> on file storage. Every publisher
 * and the calllog consumer call cc_events_ensure at start (idempotent), so
 * the start order of services does not matter. Events are published with
 * their id as Nats-Msg-Id: a publish retried after a timeout is stored once.
 */
#ifndef CC_EVENTS_H
#define CC_EVENTS_H
#include "cc_bus.h"
#include "event.pb-c.h"

#define CC_EVENTS_STREAM "CC_EVENTS"
#define CC_EVENTS_SUBJECTS "cc.evt.>"
#define CC_EVENTS_MAX_AGE_MS (30LL * 24 * 3600 * 1000) /* 30 days of replay */

cc_status cc_events_ensure(struct cc_bus *bus, char *err, size_t errlen);

/*
 * Fills ev's id (if empty), ts_ms (if 0), source and instance, then publishes
 * it on cc.evt.<type> into the stream without waiting for the stream's ack
 * (cc_bus_js_publish_async: retried when not acknowledged, flushed by
 * cc_bus_drain at stop); events keep their order. ev->type must be
 * "<entity>.<event>". The strings written into ev point into id_buf
 * and the service's config: keep both alive while ev is used.
 */
cc_status cc_events_publish(struct cc_bus *bus, const struct cc_config *cfg, Cc__Event *ev,
                            char id_buf[37]);

#endif
