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
/* INSERT ... ON CONFLICT (id) DO NOTHING: storing an event twice is a no-op;
 * *inserted tells whether this call stored it. CC_ERR_UNAVAILABLE when the
 * server cannot be reached (the caller retries later). */
cc_status clog_pg_insert(struct cc_pg *p, const struct clog_row *row, const uint8_t *body,
                         size_t body_len, bool *inserted, char *err, size_t errlen);

#endif
