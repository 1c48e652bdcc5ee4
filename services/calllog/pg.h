/*
 * pg: calllog's PostgreSQL connection, schema migrations and the idempotent
 * event insert. One connection, used by one thread (the consumer thread).
 */
#ifndef CLOG_PG_H
#define CLOG_PG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cc_status.h"
#include "row.h"

struct clog_pg;

/* Connects, retrying for timeout_ms. Caller frees with clog_pg_close(). */
cc_status clog_pg_open(struct clog_pg **pp, const char *url, int timeout_ms, char *err,
                       size_t errlen);
void clog_pg_close(struct clog_pg *p);
/* Applies the migrations not yet applied, each in its own transaction, under
 * an advisory lock so replicas starting together do not race. */
cc_status clog_pg_migrate(struct clog_pg *p, char *err, size_t errlen);
/* INSERT ... ON CONFLICT (id) DO NOTHING: storing an event twice is a no-op.
 * *inserted tells whether this call stored it. Reconnects once on a broken
 * connection. */
cc_status clog_pg_insert(struct clog_pg *p, const struct clog_row *row, const uint8_t *body,
                         size_t body_len, bool *inserted, char *err, size_t errlen);
/* True while the connection is good (as last seen; no round trip). */
bool clog_pg_ok(struct clog_pg *p);
/* Round trip (SELECT 1), reconnecting if needed; true when it answered. */
bool clog_pg_probe(struct clog_pg *p);

#endif
