/*
 * cc_consumer: a durable JetStream pull consumer of the event stream
 * (CC_EVENTS, cc_events.h), run on a thread of its own, for a service that
 * must react to facts and may not miss one (DESIGN.md, "Events").
 *
 * The consumer is made on first start with deliver-new (facts from before
 * it existed are not its business), explicit acks, a 10 s ack wait and
 * unlimited redelivery, and is bound again by name on every start, so a
 * restarted or another replica's thread goes on where the last ack left
 * it. Each message is unpacked as a cc.Event and handed to fn on the
 * consumer's thread, with how many times it was delivered; fn says what
 * becomes of it. A message that is not an Event is dropped (logged). When
 * the fetch fails because the stream or the consumer is gone (the stream
 * recreated), the stream is ensured and the consumer bound again.
 */
#ifndef CC_CONSUMER_H
#define CC_CONSUMER_H
#include "cc_bus.h"
#include "cc_config.h"
#include "event.pb-c.h"

typedef enum {
    CC_CONSUMER_ACK,   /* done: acknowledged */
    CC_CONSUMER_RETRY, /* not now: delivered again after retry_delay_ms */
    CC_CONSUMER_DROP,  /* never: acknowledged as terminated (malformed) */
} cc_consumer_verdict;

typedef cc_consumer_verdict (*cc_consumer_fn)(const Cc__Event *ev, int delivered, void *arg);

struct cc_consumer_spec {
    const char *durable;  /* the consumer's name, e.g. "queue-presence" */
    const char *filter;   /* subjects, e.g. "cc.evt.presence.changed" */
    const char *what;     /* for log lines, e.g. "presence events" */
    int batch;            /* messages per fetch */
    int retry_delay_ms;   /* a RETRY, and the pause after a failed fetch */
};

struct cc_consumer;

/* Binds (or makes) the consumer and starts its thread. spec's strings must
 * outlive the consumer; bus and cfg too. On failure *cp is NULL and err
 * says why. */
cc_status cc_consumer_start(struct cc_consumer **cp, struct cc_bus *bus,
                            const struct cc_config *cfg, const struct cc_consumer_spec *spec,
                            cc_consumer_fn fn, void *arg, char *err, size_t errlen);

/* Stops the thread after its current fetch (at most about a second) and
 * unbinds; the durable consumer stays on the server. NULL is fine. */
void cc_consumer_stop(struct cc_consumer *c);

void cc_consumer_free(struct cc_consumer *c);

#endif
