/* cc_pg: libpq wrapper. See cc_pg.h. */
#include "cc_pg.h"
#include "cc_log.h"
#include "cc_retry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cc_pg {
    PGconn *conn;
    char *url;
};

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static cc_status connect_once(void *arg, char *err, size_t errlen)
{
    struct cc_pg *p = arg;

    if (p->conn != NULL)
        PQfinish(p->conn);
    p->conn = PQconnectdb(p->url);
    if (p->conn == NULL || PQstatus(p->conn) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to PostgreSQL: %s",
                 p->conn != NULL ? PQerrorMessage(p->conn) : "out of memory");
        trim(err);
        return CC_ERR_UNAVAILABLE;
    }
    return CC_OK;
}

cc_status cc_pg_open(struct cc_pg **pp, const char *url, int timeout_ms, char *err, size_t errlen)
{
    struct cc_pg *p = calloc(1, sizeof(*p));
    cc_status st;

    *pp = NULL;
    if (p == NULL || (p->url = strdup(url)) == NULL) {
        free(p);
        return CC_ERR_NOMEM;
    }
    st = cc_retry(connect_once, p, timeout_ms, "PostgreSQL", "CC_PG_URL, CC_CONNECT_TIMEOUT_MS",
                  err, errlen);
    if (st != CC_OK) {
        cc_pg_close(p);
        return st;
    }
    *pp = p;
    return CC_OK;
}

void cc_pg_close(struct cc_pg *p)
{
    if (p == NULL)
        return;
    if (p->conn != NULL)
        PQfinish(p->conn);
    free(p->url);
    free(p);
}

bool cc_pg_ok(struct cc_pg *p)
{
    return p != NULL && p->conn != NULL && PQstatus(p->conn) == CONNECTION_OK;
}

PGresult *cc_pg_exec_once(struct cc_pg *p, const char *sql, int n, const char *const *values,
                          const int *lengths, const int *formats, cc_status *st, char *err,
                          size_t errlen)
{
    PGresult *r;
    ExecStatusType es;
    const char *code;

    if (!cc_pg_ok(p)) {
        snprintf(err, errlen, "PostgreSQL connection lost");
        *st = CC_ERR_UNAVAILABLE;
        return NULL;
    }
    r = PQexecParams(p->conn, sql, n, NULL, values, lengths, formats, 0);
    es = PQresultStatus(r);
    if (es == PGRES_COMMAND_OK || es == PGRES_TUPLES_OK) {
        *st = CC_OK;
        return r;
    }
    snprintf(err, errlen, "%s", PQresultErrorMessage(r));
    trim(err);
    code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (PQstatus(p->conn) != CONNECTION_OK)
        *st = CC_ERR_UNAVAILABLE;
    else if (code != NULL && (strcmp(code, "23505") == 0 || strcmp(code, "23503") == 0))
        *st = CC_ERR_CONFLICT; /* unique_violation, foreign_key_violation */
    else
        *st = CC_ERR_PG;
    PQclear(r);
    return NULL;
}

PGresult *cc_pg_exec(struct cc_pg *p, const char *sql, int n, const char *const *values,
                     const int *lengths, const int *formats, cc_status *st, char *err,
                     size_t errlen)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        PGresult *r;
        if (!cc_pg_ok(p) && connect_once(p, err, errlen) != CC_OK) {
            *st = CC_ERR_UNAVAILABLE;
            return NULL;
        }
        r = cc_pg_exec_once(p, sql, n, values, lengths, formats, st, err, errlen);
        if (r != NULL || *st != CC_ERR_UNAVAILABLE)
            return r;
        /* the connection broke: reconnect and try once more */
    }
    return NULL;
}

static bool run(struct cc_pg *p, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(p->conn, sql);
    ExecStatusType s = PQresultStatus(r);
    bool ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    if (!ok) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        trim(err);
    }
    PQclear(r);
    return ok;
}

bool cc_pg_probe(struct cc_pg *p)
{
    char err[256];

    if (!cc_pg_ok(p) && connect_once(p, err, sizeof(err)) != CC_OK)
        return false;
    if (run(p, "SELECT 1", err, sizeof(err)))
        return true;
    return connect_once(p, err, sizeof(err)) == CC_OK && run(p, "SELECT 1", err, sizeof(err));
}

#define MIGRATION_LOCK 0x63636d6967 /* "ccmig": advisory lock key */

cc_status cc_pg_migrate(struct cc_pg *p, const char *component, const char *const *migrations,
                        size_t n, char *err, size_t errlen)
{
    char sql[256], ver[24];
    char ignored[64];

    if (!cc_pg_ok(p))
        return CC_ERR_UNAVAILABLE;
    for (size_t i = 0; i < n; i++) {
        const char *params[2] = {component, ver};
        PGresult *r;
        bool applied;
        cc_status st;

        snprintf(ver, sizeof(ver), "%zu", i + 1);
        if (!run(p, "BEGIN", err, errlen))
            return CC_ERR_PG;
        /* the lock serialises replicas; the table is created under it */
        snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)", (long long)MIGRATION_LOCK);
        if (!run(p, sql, err, errlen) ||
            !run(
                p,
                "CREATE TABLE IF NOT EXISTS cc_schema_migrations (component text, version int,"
                " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))",
                err, errlen))
            goto fail;
        r = cc_pg_exec(p,
                       "SELECT 1 FROM cc_schema_migrations WHERE component = $1 AND version = $2",
                       2, params, NULL, NULL, &st, err, errlen);
        if (r == NULL)
            goto fail;
        applied = PQntuples(r) == 1;
        PQclear(r);
        if (!applied) {
            if (!run(p, migrations[i], err, errlen))
                goto fail;
            r = cc_pg_exec(p,
                           "INSERT INTO cc_schema_migrations (component, version) VALUES ($1, $2)",
                           2, params, NULL, NULL, &st, err, errlen);
            if (r == NULL)
                goto fail;
            PQclear(r);
            cc_log(CC_LOG_INFO, "applied schema migration", "component", component, "version", ver,
                   NULL);
        }
        if (!run(p, "COMMIT", err, errlen))
            return CC_ERR_PG;
    }
    return CC_OK;
fail:
    run(p, "ROLLBACK", ignored, sizeof(ignored));
    return CC_ERR_PG;
}
