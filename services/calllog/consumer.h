/*
 * consumer: the durable JetStream pull consumer "calllog" on stream
 * CC_EVENTS. Replicas share it (same durable name), so each event is handled
 * by one of them. A fetch of up to max(CC_CALLLOG_BATCH, 64) events is stored
 * CC_CALLLOG_BATCH at a time, each batch one INSERT; an event is acked only
 * after PostgreSQL committed it (or it was already there), so a crash or an
 * outage loses nothing and a redelivery doubles nothing. A malformed event
 * is terminated on its own and holds back no other.
 */
#ifndef CLOG_CONSUMER_H
#define CLOG_CONSUMER_H
#include <stdbool.h>
#include "cc_bus.h"
#include "pg.h"

#define CLOG_DURABLE "calllog"

struct clog_consumer;

/* Binds the durable consumer and starts the consumer thread, which owns pg
 * from now on. It stores up to cfg->calllog_batch events per INSERT. cfg,
 * bus and pg are borrowed until clog_consumer_stop returns. */
cc_status clog_consumer_start(struct clog_consumer **cp, const struct cc_config *cfg,
                              struct cc_bus *bus, struct cc_pg *pg, char *err, size_t errlen);
/* Stops fetching, finishes the batch in hand, joins the thread and lets go of
 * the subscription; c stays readable (clog_consumer_db_ok) until freed. */
void clog_consumer_stop(struct clog_consumer *c);
/* Frees a stopped consumer. Accepts NULL. */
void clog_consumer_free(struct clog_consumer *c);
/* Whether the last database operation worked; safe from any thread. */
bool clog_consumer_db_ok(const struct clog_consumer *c);

#endif
