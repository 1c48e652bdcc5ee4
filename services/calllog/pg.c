/* pg: calllog's tables and its idempotent event insert, on cc_pg. See pg.h. */
#include "pg.h"

#include <stdio.h>
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

cc_status clog_pg_insert(struct cc_pg *p, const struct clog_row *row, const uint8_t *body,
                         size_t body_len, bool *inserted, char *err, size_t errlen)
{
    static const char *const sql =
        "INSERT INTO events (id, ts, type, source, instance, enquiry_id, staff_id, body)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING";
    const char *values[8] = {row->id,       row->ts,         row->type,     row->source,
                             row->instance, row->enquiry_id, row->staff_id, (const char *)body};
    int lengths[8] = {0, 0, 0, 0, 0, 0, 0, (int)body_len};
    int formats[8] = {0, 0, 0, 0, 0, 0, 0, 1}; /* body is binary */
    cc_status st;
    PGresult *r = cc_pg_exec(p, sql, 8, values, lengths, formats, &st, err, errlen);

    *inserted = false;
    if (r == NULL)
        return st;
    *inserted = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return CC_OK;
}
