/*
 * cc_outbox: the relay of a service's outbox (DESIGN, "Events: the outbox").
 *
 * A Lua step that changes state appends that change's events to the Redis
 * stream cc:outbox:<service> in the same atomic step (services/common/lua/
 * 10_outbox.lua). The relay reads the stream in the consumer group "relay";
 * every replica of the service runs one, Redis hands each entry to one of
 * them. An entry is
 *   - a fact (note = "0"): published into JetStream on cc.evt.<type> with
 *     Nats-Msg-Id = the event id, so a repeat is stored once; or
 *   - a notification (note = "1"): published on core NATS cc.note.<type>
 *     for the gateways to push, never stored.
 * The entry is acknowledged and deleted only after that worked (JetStream
 * acked the fact). A relay that dies leaves its entries pending in the group;
 * another replica claims them after CC_OUTBOX_CLAIM_MS, or the same one reads
 * them again when it restarts. So a process killed at any instant loses and
 * doubles nothing (a fact relayed twice has the same Nats-Msg-Id).
 *
 * Threads: one relay thread, owning its own Redis connection (its reads
 * block) and its own JetStream context (its acks are its own).
 */
#ifndef CC_OUTBOX_H
#define CC_OUTBOX_H
#include <stdbool.h>
#include <stddef.h>
#include "cc_bus.h"
#include "cc_config.h"
#include "cc_status.h"
#include "event.pb-c.h"

#define CC_OUTBOX_BATCH 256
#define CC_OUTBOX_CLAIM_MS 10000 /* an entry pending this long on a silent relay is taken over */
/* Set (for 3 s, renewed) by a relay whose facts JetStream refuses because
 * the stream is at its limits; request steps answer 503 while it exists. */
#define CC_OUTBOX_FULL_KEY "cc:events:full"

/* One stream entry: its fields, borrowed for the duration of a build call. */
struct cc_outbox_entry {
    const char *stream_id;
    size_t n;
    const char *const *name;
    const char *const *value;
    const size_t *len;
};

/* The value of field name (its length in *len when len is not NULL), or NULL. */
const char *cc_outbox_get(const struct cc_outbox_entry *e, const char *name, size_t *len);

/*
 * The service's part: fill ev's body, staff_id, reason ... from the entry's
 * own fields (id, type, ts_ms, source and instance are filled by the relay).
 * Strings may point into the entry; anything allocated is released by clear.
 * False: the entry is malformed (logged, acknowledged and dropped, so one
 * bad entry cannot stop the outbox).
 */
struct cc_outbox_builder {
    bool (*build)(void *arg, const struct cc_outbox_entry *e, Cc__Event *ev);
    void (*clear)(void *arg, Cc__Event *ev);
    void *arg;
};

struct cc_outbox;

/* The stream key of a service's outbox: "cc:outbox:<service>" into buf. */
void cc_outbox_key(char *buf, size_t len, const char *service);

/*
 * Connects the relay's own Redis connection, creates the consumer group if
 * needed and starts the relay thread. cfg, bus and the builder are borrowed
 * until cc_outbox_stop returns. Caller frees with cc_outbox_free().
 */
cc_status cc_outbox_start(struct cc_outbox **op, const struct cc_config *cfg, struct cc_bus *bus,
                          const struct cc_outbox_builder *b, char *err, size_t errlen);
/* Finishes the batch in hand and joins the thread; what is left in the
 * stream stays for another replica or the next start. Accepts NULL. */
void cc_outbox_stop(struct cc_outbox *o);
void cc_outbox_free(struct cc_outbox *o);

#endif
