/* pg: libpq access for calllog. See pg.h. */
#include "pg.h"
#include "cc_log.h"
#include "cc_retry.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct clog_pg {
    PGconn *conn;
    char *url;
};

/* Migrations, in order; never edit one that has shipped, add a new one. */
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

#define MIGRATION_LOCK 0x63636c6f67 /* "cclog": advisory lock key */

static cc_status connect_once(struct clog_pg *p, char *err, size_t errlen)
{
    if (p->conn != NULL)
        PQfinish(p->conn);
    p->conn = PQconnectdb(p->url);
    if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
        const char *m = p->conn != NULL ? PQerrorMessage(p->conn) : "out of memory";
        size_t n;
        snprintf(err, errlen, "cannot connect to PostgreSQL: %s", m);
        n = strlen(err);
        while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
            err[--n] = '\0';
        return CC_ERR_UNAVAILABLE;
    }
    return CC_OK;
}

static cc_status attempt_connect(void *arg, char *err, size_t errlen)
{
    return connect_once(arg, err, errlen);
}

cc_status clog_pg_open(struct clog_pg **pp, const char *url, int timeout_ms, char *err,
                       size_t errlen)
{
    struct clog_pg *p = calloc(1, sizeof(*p));

    *pp = NULL;
    if (p == NULL || (p->url = strdup(url)) == NULL) {
        free(p);
        return CC_ERR_NOMEM;
    }
    if (cc_retry(attempt_connect, p, timeout_ms, "PostgreSQL", "CC_PG_URL, CC_CONNECT_TIMEOUT_MS",
                 err, errlen) != CC_OK) {
        clog_pg_close(p);
        return CC_ERR_UNAVAILABLE;
    }
    *pp = p;
    return CC_OK;
}

void clog_pg_close(struct clog_pg *p)
{
    if (p == NULL)
        return;
    if (p->conn != NULL)
        PQfinish(p->conn);
    free(p->url);
    free(p);
}

bool clog_pg_ok(struct clog_pg *p)
{
    return p != NULL && p->conn != NULL && PQstatus(p->conn) == CONNECTION_OK;
}

/* Runs sql; true on success, else writes the server's message into err. */
static bool exec_ok(struct clog_pg *p, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(p->conn, sql);
    ExecStatusType s = PQresultStatus(r);
    bool ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return ok;
}

cc_status clog_pg_migrate(struct clog_pg *p, char *err, size_t errlen)
{
    size_t n = sizeof(migrations) / sizeof(migrations[0]);
    char sql[256];

    if (!exec_ok(p,
                 "CREATE TABLE IF NOT EXISTS schema_migrations ("
                 " version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                 err, errlen)) {
        /* two replicas may race on CREATE TABLE IF NOT EXISTS; the loser retries once */
        if (!exec_ok(p, "SELECT 1 FROM schema_migrations LIMIT 1", err, errlen))
            return CC_ERR_PG;
    }
    for (size_t i = 0; i < n; i++) {
        PGresult *r;
        bool applied;
        int version = (int)i + 1;

        if (!exec_ok(p, "BEGIN", err, errlen))
            return CC_ERR_PG;
        snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)", (long long)MIGRATION_LOCK);
        if (!exec_ok(p, sql, err, errlen))
            goto fail;
        snprintf(sql, sizeof(sql), "SELECT 1 FROM schema_migrations WHERE version = %d", version);
        r = PQexec(p->conn, sql);
        applied = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
        PQclear(r);
        if (!applied) {
            snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations (version) VALUES (%d)",
                     version);
            if (!exec_ok(p, migrations[i], err, errlen) || !exec_ok(p, sql, err, errlen))
                goto fail;
            cc_logf(CC_LOG_INFO, "applied schema migration %d", version);
        }
        if (!exec_ok(p, "COMMIT", err, errlen))
            return CC_ERR_PG;
    }
    return CC_OK;
fail : {
    char ignored[64];
    exec_ok(p, "ROLLBACK", ignored, sizeof(ignored));
}
    return CC_ERR_PG;
}

static cc_status insert_once(struct clog_pg *p, const struct clog_row *row, const uint8_t *body,
                             size_t body_len, bool *inserted, char *err, size_t errlen)
{
    static const char *const sql =
        "INSERT INTO events (id, ts, type, source, instance, enquiry_id, staff_id, body)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING";
    const char *values[8] = {row->id,       row->ts,         row->type,     row->source,
                             row->instance, row->enquiry_id, row->staff_id, (const char *)body};
    int lengths[8] = {0, 0, 0, 0, 0, 0, 0, (int)body_len};
    int formats[8] = {0, 0, 0, 0, 0, 0, 0, 1}; /* body is binary */
    PGresult *r = PQexecParams(p->conn, sql, 8, NULL, values, lengths, formats, 0);
    cc_status st = CC_OK;

    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        *inserted = strcmp(PQcmdTuples(r), "1") == 0;
    } else {
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        st = PQstatus(p->conn) == CONNECTION_OK ? CC_ERR_PG : CC_ERR_UNAVAILABLE;
    }
    PQclear(r);
    return st;
}

cc_status clog_pg_insert(struct clog_pg *p, const struct clog_row *row, const uint8_t *body,
                         size_t body_len, bool *inserted, char *err, size_t errlen)
{
    cc_status st;

    *inserted = false;
    if (!clog_pg_ok(p) && connect_once(p, err, errlen) != CC_OK)
        return CC_ERR_UNAVAILABLE;
    st = insert_once(p, row, body, body_len, inserted, err, errlen);
    if (st == CC_ERR_UNAVAILABLE && connect_once(p, err, errlen) == CC_OK)
        st = insert_once(p, row, body, body_len, inserted, err, errlen);
    return st;
}

bool clog_pg_probe(struct clog_pg *p)
{
    char err[256];

    if (!clog_pg_ok(p) && connect_once(p, err, sizeof(err)) != CC_OK)
        return false;
    if (exec_ok(p, "SELECT 1", err, sizeof(err)))
        return true;
    return connect_once(p, err, sizeof(err)) == CC_OK && exec_ok(p, "SELECT 1", err, sizeof(err));
}
