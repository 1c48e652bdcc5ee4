/*
 * pg: calllog's schema (migrations of component "calllog") and the
 * idempotent event insert. The connection is a cc_pg owned by the consumer
 * thread.
 */
#ifndef CLOG_PG_H
#define CLOG_PG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cc_pg.h"
#include "row.h"

cc_status clog_pg_migrate(struct cc_pg *p, char *err, size_t errlen);

#define CLOG_PG_COLUMNS 8      /* parameters per row */
#define CLOG_PG_BATCH_MAX 1000 /* rows per statement (8,000 parameters of 65,535) */

/* One event to store: its columns and its protobuf body, both borrowed. */
struct clog_pg_event {
    const struct clog_row *row;
    const uint8_t *body;
    size_t len;
};

/*
 * Stores n events (1 to CLOG_PG_BATCH_MAX) with one multi-row
 * INSERT ... VALUES (...), (...) ON CONFLICT (id) DO NOTHING: one statement,
 * one transaction, so all are stored or none. An id already stored, or twice
 * in evs, is skipped, so storing an event again is a no-op; *inserted is how
 * many rows are new. CC_ERR_UNAVAILABLE when the server cannot be reached
 * (the caller retries later); CC_ERR_PG when it refused the statement (then
 * no row of it was stored).
 */
cc_status clog_pg_insert(struct cc_pg *p, const struct clog_pg_event *evs, size_t n,
                         size_t *inserted, char *err, size_t errlen);

#endif
