/*
 * cc_pg: a PostgreSQL connection (libpq) with start-up retry, reconnect,
 * schema migrations and parameterised queries.
 *
 * Not thread-safe: one thread at a time per struct cc_pg (the owner keeps
 * its own lock when several threads share one).
 */
#ifndef CC_PG_H
#define CC_PG_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include "cc_status.h"

struct cc_pg;

/* Connects, retrying for timeout_ms. Caller frees with cc_pg_close(). */
cc_status cc_pg_open(struct cc_pg **pp, const char *url, int timeout_ms, char *err, size_t errlen);
void cc_pg_close(struct cc_pg *p);
/* True while the connection is good, as last seen (no round trip). */
bool cc_pg_ok(struct cc_pg *p);
/* Round trip (SELECT 1), reconnecting if needed; true when it answered. */
bool cc_pg_probe(struct cc_pg *p);

/*
 * Applies the migrations of component not yet applied, in order (version =
 * index + 1), each in its own transaction under an advisory lock, recording
 * them in cc_schema_migrations(component, version). Never edit a migration
 * that has shipped: add one.
 */
cc_status cc_pg_migrate(struct cc_pg *p, const char *component, const char *const *migrations,
                        size_t n, char *err, size_t errlen);

/*
 * PQexecParams with text parameters (values[i] NULL = SQL NULL; lengths and
 * formats may be NULL for all-text). Reconnects once if the connection was
 * broken. On success returns the result (caller PQclear()s it) and sets *st
 * to CC_OK; on failure returns NULL, sets *st (CC_ERR_UNAVAILABLE when the
 * server is unreachable, CC_ERR_CONFLICT on a unique/foreign-key violation,
 * else CC_ERR_PG) and writes the server's message into err.
 */
PGresult *cc_pg_exec(struct cc_pg *p, const char *sql, int n, const char *const *values,
                     const int *lengths, const int *formats, cc_status *st, char *err,
                     size_t errlen);

/* The same without reconnecting: for statements inside a transaction, where
 * a retry on a new connection would run outside it. */
PGresult *cc_pg_exec_once(struct cc_pg *p, const char *sql, int n, const char *const *values,
                          const int *lengths, const int *formats, cc_status *st, char *err,
                          size_t errlen);

#endif
