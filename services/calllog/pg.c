/* pg: calllog's tables and its idempotent event insert, on cc_pg. See pg.h. */
#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Migrations of component "calllog", in order. */
static const char *const migrations[] = {
    /* 1: the event history, one row per event id */
    "CREATE TABLE events ("
    "  id uuid PRIMARY KEY,"
    "  ts timestamptz NOT NULL,"
    "  type text NOT NULL,"
    "  source text,"
    "  instance text,"
    "  enquiry_id uuid,"
    "  staff_id text,"
    "  body bytea NOT NULL,"
    "  received_at timestamptz NOT NULL DEFAULT now());"
    "CREATE INDEX events_type_ts ON events (type, ts);"
    "CREATE INDEX events_enquiry ON events (enquiry_id) WHERE enquiry_id IS NOT NULL;",
};

cc_status clog_pg_migrate(struct cc_pg *p, char *err, size_t errlen)
{
    return cc_pg_migrate(p, "calllog", migrations, sizeof(migrations) / sizeof(migrations[0]), err,
                         errlen);
}

/* The statement for n rows: VALUES ($1..$8), ($9..$16), ... into buf. */
static void insert_sql(char *buf, size_t cap, size_t n)
{
    size_t at = (size_t)snprintf(buf, cap,
                                 "INSERT INTO events (id, ts, type, source, instance,"
                                 " enquiry_id, staff_id, body) VALUES ");

    for (size_t i = 0; i < n && at < cap; i++) {
        size_t k = i * CLOG_PG_COLUMNS;
        at += (size_t)snprintf(buf + at, cap - at, "%s($%zu,$%zu,$%zu,$%zu,$%zu,$%zu,$%zu,$%zu)",
                               i > 0 ? "," : "", k + 1, k + 2, k + 3, k + 4, k + 5, k + 6, k + 7,
                               k + 8);
    }
    if (at < cap)
        snprintf(buf + at, cap - at, " ON CONFLICT (id) DO NOTHING");
}

cc_status clog_pg_insert(struct cc_pg *p, const struct clog_pg_event *evs, size_t n,
                         size_t *inserted, char *err, size_t errlen)
{
    /* per row: "($1,...,$8)" is at most 8 * 7 + 9 characters for n <= 1000 */
    size_t cap = 128 + n * 72, np = n * CLOG_PG_COLUMNS;
    char *sql = malloc(cap);
    const char **values = calloc(np, sizeof(*values));
    int *lengths = calloc(np, sizeof(*lengths));
    int *formats = calloc(np, sizeof(*formats));
    cc_status st = CC_ERR_NOMEM;
    PGresult *r;

    *inserted = 0;
    if (n == 0 || n > CLOG_PG_BATCH_MAX) {
        snprintf(err, errlen, "a batch of %zu events (1 to %d)", n, CLOG_PG_BATCH_MAX);
        st = CC_ERR_INVALID;
        goto out;
    }
    if (sql == NULL || values == NULL || lengths == NULL || formats == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    insert_sql(sql, cap, n);
    for (size_t i = 0; i < n; i++) {
        const struct clog_row *row = evs[i].row;
        const char **v = values + i * CLOG_PG_COLUMNS;
        v[0] = row->id;
        v[1] = row->ts;
        v[2] = row->type;
        v[3] = row->source;
        v[4] = row->instance;
        v[5] = row->enquiry_id;
        v[6] = row->staff_id;
        v[7] = (const char *)evs[i].body; /* binary: bytea as it is */
        lengths[i * CLOG_PG_COLUMNS + 7] = (int)evs[i].len;
        formats[i * CLOG_PG_COLUMNS + 7] = 1;
    }
    /* One statement is one transaction: every row is stored, or none. A
     * retry after a lost connection (cc_pg_exec sends it once more) is
     * harmless, since a row already there is skipped. */
    r = cc_pg_exec(p, sql, (int)np, values, lengths, formats, &st, err, errlen);
    if (r != NULL) {
        *inserted = strtoul(PQcmdTuples(r), NULL, 10);
        PQclear(r);
    }
out:
    free(formats);
    free(lengths);
    free(values);
    free(sql);
    return st;
}
