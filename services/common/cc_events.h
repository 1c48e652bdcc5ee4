/*
 * cc_events: the JetStream stream of call, enquiry and staff events.
 *
 * Stream CC_EVENTS holds subjects cc.evt.> on file storage. Every publisher
 * and the calllog consumer call cc_events_ensure at start (idempotent), so
 * the start order of services does not matter. Events are published with
 * their id as Nats-Msg-Id: a publish retried after a timeout is stored once.
 *
 * Limits: events older than CC_EVENTS_MAX_AGE_MS are deleted, and the stream
 * holds at most CC_EVENTS_MAX_BYTES (cfg->events_max_bytes). At that size it
 * refuses new events (discard-new: a publish gets error 10077 "maximum bytes
 * exceeded", cc_bus_js_full) rather than deleting the oldest, which calllog
 * may not have stored yet: publishers keep a refused event (the outbox relay
 * leaves it in the service's Redis outbox) and send it again later. The
 * stream is a buffer, not the history: calllog purges what every consumer
 * has read (services/calllog/consumer.c), so full means a consumer is
 * behind.
 */
#ifndef CC_EVENTS_H
#define CC_EVENTS_H
#include "cc_bus.h"
#include "event.pb-c.h"

#define CC_EVENTS_STREAM "CC_EVENTS"
#define CC_EVENTS_SUBJECTS "cc.evt.>"
#define CC_EVENTS_MAX_AGE_MS (30LL * 24 * 3600 * 1000) /* 30 days of replay */

/* Creates the stream or brings an existing one to these subjects and limits
 * (a size limit below what it holds is not applied, and logged: see
 * cc_bus_stream_ensure). cfg is read during the call only. */
cc_status cc_events_ensure(struct cc_bus *bus, const struct cc_config *cfg, char *err,
                           size_t errlen);

/* Events are published only by the outbox relay (cc_outbox.h). */

#endif
